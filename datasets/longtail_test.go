package datasets

import (
	"fmt"
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/data"
)

// countsDataset has counts[c] one-pixel images of class c, each source
// named after its class and index.
func countsDataset(counts []int) *data.Dataset {
	d := &data.Dataset{Classes: []string{"a", "b", "c", "d"}[:len(counts)]}
	for c, n := range counts {
		for i := range n {
			img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
			img.Pix[3] = 255
			d.Images = append(d.Images, img)
			d.Labels = append(d.Labels, c)
			d.Sources = append(d.Sources, fmt.Sprintf("%s/%d.png", d.Classes[c], i))
		}
	}
	return d
}

func TestLongTail(t *testing.T) {
	tests := []struct {
		name                 string
		train, valid         []int
		factor               float64
		wantTrain, wantValid []int
		wantErr              string
	}{
		// Ranked b, c, a by training images; profile 1, 10^-0.5, 0.1.
		{"head is the largest class", []int{100, 300, 200}, []int{50, 50, 50}, 10, []int{30, 300, 94}, []int{5, 50, 15}, ""},
		{"factor 1: balanced at the smallest", []int{100, 300, 200}, []int{40, 60, 50}, 1, []int{100, 100, 100}, []int{40, 40, 40}, ""},
		// Rank 2 (b, 40 images) limits the head: n = 40 / 2^-1 = 80.
		{"a small tail class lowers the head", []int{300, 40, 290}, []int{30, 30, 30}, 2, []int{80, 40, 56}, []int{30, 15, 21}, ""},
		{"factor below 1", []int{10, 10}, []int{5, 5}, 0.5, nil, nil, "imbalance factor 0.5"},
		// The tail keeps its floor of one image.
		{"huge factor", []int{10, 10}, []int{5, 5}, 1e300, []int{10, 1}, []int{5, 1}, ""},
		{"a class without validation images", []int{10, 10}, []int{5, 0}, 2, nil, nil, "valid split"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, va, err := LongTail(countsDataset(tc.train), countsDataset(tc.valid), tc.factor, 1)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tr.Counts(); !slices.Equal(got, tc.wantTrain) {
				t.Errorf("train counts %v, want %v", got, tc.wantTrain)
			}
			if got := va.Counts(); !slices.Equal(got, tc.wantValid) {
				t.Errorf("valid counts %v, want %v", got, tc.wantValid)
			}
			for _, d := range []*data.Dataset{tr, va} {
				checkDataset(t, d, 1, 1)
				for i, src := range d.Sources {
					if !strings.HasPrefix(src, d.Classes[d.Labels[i]]+"/") {
						t.Fatalf("%s labelled %s", src, d.Classes[d.Labels[i]])
					}
				}
			}
		})
	}
}

// The draw follows the seed: the same seed picks the same images,
// another seed others.
func TestLongTailSeed(t *testing.T) {
	train, valid := countsDataset([]int{200, 100}), countsDataset([]int{60, 60})
	pick := func(seed int64) []string {
		tr, _, err := LongTail(train, valid, 4, seed)
		if err != nil {
			t.Fatal(err)
		}
		return tr.Sources
	}
	a, b, c := pick(1), pick(1), pick(2)
	if !slices.Equal(a, b) {
		t.Error("the same seed drew other images")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 1 and 2 drew the same images")
	}
}
