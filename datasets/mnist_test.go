package datasets

import (
	"errors"
	"slices"
	"testing"

	"github.com/debiaser/debiaser/toolkit/data"
)

func TestLongTailCounts(t *testing.T) {
	tests := []struct {
		nMax, classes int
		factor        float64
		want          []int
		wantErr       bool
	}{
		// The CIFAR-10-LT counts of Cui et al. and the LDAM-DRW code.
		{5000, 10, 100, []int{5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50}, false},
		{5000, 10, 10, []int{5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500}, false},
		{500, 10, 10, []int{500, 387, 299, 232, 179, 139, 107, 83, 64, 50}, false},
		{750, 4, 10, []int{750, 348, 161, 75}, false},
		{7, 3, 1, []int{7, 7, 7}, false},
		{3, 3, 1000, []int{3, 1, 1}, false},
		{10, 1, 10, []int{10}, false},
		{0, 3, 10, nil, true},
		{10, 0, 10, nil, true},
		{10, 3, 0.5, nil, true},
	}
	for _, tt := range tests {
		got, err := LongTailCounts(tt.nMax, tt.classes, tt.factor)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("LongTailCounts(%d, %d, %v) = %v, %v; want %v (error %v)", tt.nMax, tt.classes, tt.factor, got, err, tt.want, tt.wantErr)
		}
	}
}

func loadOrSkip(t *testing.T, name string, opts Options) (train, valid *data.Dataset) {
	t.Helper()
	tr, va, err := Load(name, opts)
	if errors.Is(err, ErrNotInstalled) {
		t.Skipf("%s not installed here: %v", name, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tr, va
}

func TestEmbeddedLongTail(t *testing.T) {
	for _, name := range []string{"mnist-lt", "fashion-mnist-lt"} {
		t.Run(name, func(t *testing.T) {
			train, valid := loadOrSkip(t, name, Options{})
			wantTrain := []int{500, 387, 299, 232, 179, 139, 107, 83, 64, 50}
			wantValid := []int{167, 129, 100, 77, 60, 46, 35, 27, 21, 16}
			if got := train.Counts(); !slices.Equal(got, wantTrain) {
				t.Errorf("train counts %v, want %v", got, wantTrain)
			}
			if got := valid.Counts(); !slices.Equal(got, wantValid) {
				t.Errorf("valid counts %v, want %v", got, wantValid)
			}
			checkDataset(t, train, 28, 28)
			checkDataset(t, valid, 28, 28)
			again, _ := loadOrSkip(t, name, Options{})
			if !slices.Equal(again.Sources, train.Sources) {
				t.Error("same seed gave different images")
			}
			other, _ := loadOrSkip(t, name, Options{Seed: 2})
			if slices.Equal(other.Sources, train.Sources) {
				t.Error("seeds 1 and 2 gave the same images")
			}
			_, bal := loadOrSkip(t, name, Options{ImbalanceFactor: 100, MaxPerClass: 60, BalancedValid: true, ValidRatio: 0.5})
			if got := bal.Counts(); !slices.Equal(got, []int{30, 30, 30, 30, 30, 30, 30, 30, 30, 30}) {
				t.Errorf("balanced valid counts %v", got)
			}
		})
	}
}

func TestEmbeddedErrors(t *testing.T) {
	if _, _, err := Load("cifar-lt", Options{}); err == nil || err.Error() != `dataset "cifar-lt" unknown, valid: fashion-mnist-lt, mnist-lt, shapes-study` {
		t.Errorf("unknown name: %v", err)
	}
	t.Setenv("DEBIASER_MNIST_DIR", t.TempDir())
	if _, _, err := MNISTLT(Options{}); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("empty MNIST dir: error %v, want ErrNotInstalled", err)
	}
}

func TestMNISTTooMany(t *testing.T) {
	if _, err := MNISTDir(); err != nil {
		t.Skip(err)
	}
	_, _, err := MNISTLT(Options{MaxPerClass: 6000})
	if err == nil || err.Error() != `mnist train: class "0" needs 6000 images, only 5923 available` {
		t.Errorf("error %v", err)
	}
}
