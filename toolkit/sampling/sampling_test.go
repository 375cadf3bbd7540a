package sampling

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// labelsWithCounts returns labels with counts[c] samples of class c,
// interleaved so that class members are not contiguous.
func labelsWithCounts(counts ...int) []int {
	var labels []int
	left := slices.Clone(counts)
	for more := true; more; {
		more = false
		for c := range left {
			if left[c] > 0 {
				labels = append(labels, c)
				left[c]--
				more = true
			}
		}
	}
	return labels
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, weight string
		want         Sampler
		wantErr      string
	}{
		{name: "", want: None{}},
		{name: "none", want: None{}},
		{name: "weighted", want: Weighted{}},
		{name: "weighted", weight: "inverse", want: Weighted{}},
		{name: "weighted", weight: "inverse_sqrt", want: Weighted{Sqrt: true}},
		{name: "weighted", weight: "ENS", wantErr: `sampling_weight "ENS" unknown, valid: inverse, inverse_sqrt`},
		{name: "oversampling", want: Oversampling{}},
		{name: "undersampling", want: Undersampling{}},
		{name: "smote", wantErr: `sampling_strategy "smote" unknown, valid: none, oversampling, undersampling, weighted`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.weight, func(t *testing.T) {
			got, err := New(tt.name, Options{Weight: tt.weight})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("New(%q) error = %v, want %q", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("New(%q) = %#v, %v, want %#v", tt.name, got, err, tt.want)
			}
		})
	}
}

func TestTargetCounts(t *testing.T) {
	counts := []int{750, 425, 0, 250, 75}
	tests := []struct {
		sampler Targeter
		want    []int
	}{
		{None{}, []int{750, 425, 0, 250, 75}},
		{Oversampling{}, []int{750, 750, 0, 750, 750}},
		{Undersampling{}, []int{75, 75, 0, 75, 75}},
	}
	for _, tt := range tests {
		if got := tt.sampler.TargetCounts(counts); !slices.Equal(got, tt.want) {
			t.Errorf("%T.TargetCounts(%v) = %v, want %v", tt.sampler, counts, got, tt.want)
		}
	}
}

func TestIndicesSmall(t *testing.T) {
	// Six of class 0, three of class 1, one of class 2.
	labels := []int{0, 1, 0, 2, 0, 1, 0, 0, 1, 0}
	tests := []struct {
		sampler    Sampler
		wantCounts []int
		// everyOnce: each original index appears at least once.
		everyOnce bool
		distinct  bool
	}{
		{None{}, []int{6, 3, 1}, true, true},
		{Oversampling{}, []int{6, 6, 6}, true, false},
		{Undersampling{}, []int{1, 1, 1}, false, true},
	}
	for _, tt := range tests {
		idx, err := tt.sampler.Indices(labels, 3, 0, 42)
		if err != nil {
			t.Fatal(err)
		}
		if got := ClassCounts(labels, idx, 3); !slices.Equal(got, tt.wantCounts) {
			t.Errorf("%T: class counts %v, want %v", tt.sampler, got, tt.wantCounts)
		}
		seen := map[int]int{}
		for _, i := range idx {
			seen[i]++
		}
		if tt.everyOnce && len(seen) != len(labels) {
			t.Errorf("%T: %d distinct indices, want all %d", tt.sampler, len(seen), len(labels))
		}
		if tt.distinct && len(seen) != len(idx) {
			t.Errorf("%T: repeated indices in %v", tt.sampler, idx)
		}
	}
}

func TestIndicesErrors(t *testing.T) {
	for _, name := range Names() {
		s, _ := New(name, Options{})
		if _, err := s.Indices([]int{0, 3}, 3, 0, 1); err == nil || !strings.Contains(err.Error(), "label 3 at index 1") {
			t.Errorf("%s: out-of-range label: error %v", name, err)
		}
		if _, err := s.Indices(nil, 0, 0, 1); err == nil {
			t.Errorf("%s: numClasses 0 gave no error", name)
		}
	}
}

// TestConformance runs every registered sampler through the same checks
// (imbalanced-learn's estimator_checks): determinism per seed and epoch,
// change across epochs and seeds, indices in range, every class present,
// and the target counts met.
func TestConformance(t *testing.T) {
	labelSets := map[string]struct {
		labels     []int
		numClasses int
	}{
		"study":        {labelsWithCounts(750, 425, 250, 75), 4},
		"balanced":     {labelsWithCounts(20, 20, 20), 3},
		"absent class": {labelsWithCounts(30, 0, 7), 3},
		"singleton":    {labelsWithCounts(40, 1), 2},
	}
	for _, name := range Names() {
		for _, opts := range []Options{{}, {Weight: WeightInverseSqrt}} {
			s, err := New(name, opts)
			if err != nil {
				t.Fatal(err)
			}
			for setName, ls := range labelSets {
				t.Run(name+"/"+opts.Weight+"/"+setName, func(t *testing.T) {
					checkSampler(t, s, ls.labels, ls.numClasses)
				})
			}
		}
	}
}

func checkSampler(t *testing.T, s Sampler, labels []int, numClasses int) {
	t.Helper()
	const seed = 7
	a, err := s.Indices(labels, numClasses, 3, seed)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Indices(labels, numClasses, 3, seed)
	if !slices.Equal(a, b) {
		t.Error("same seed and epoch gave different indices")
	}
	if other, _ := s.Indices(labels, numClasses, 4, seed); slices.Equal(a, other) {
		t.Error("epochs 3 and 4 gave the same indices")
	}
	if other, _ := s.Indices(labels, numClasses, 3, seed+1); slices.Equal(a, other) {
		t.Error("seeds 7 and 8 gave the same indices")
	}
	for _, i := range a {
		if i < 0 || i >= len(labels) {
			t.Fatalf("index %d outside [0, %d)", i, len(labels))
		}
	}
	counts := ClassCounts(labels, seq(len(labels)), numClasses)
	got := ClassCounts(labels, a, numClasses)
	for c := range counts {
		if counts[c] > 0 && got[c] == 0 {
			t.Errorf("class %d (%d samples) never drawn: counts %v", c, counts[c], got)
		}
		if counts[c] == 0 && got[c] != 0 {
			t.Errorf("absent class %d drawn %d times", c, got[c])
		}
	}
	if tg, ok := s.(Targeter); ok {
		if want := tg.TargetCounts(counts); !slices.Equal(got, want) {
			t.Errorf("drawn counts %v, target %v", got, want)
		}
	} else if len(a) != len(labels) {
		t.Errorf("%d draws, want N = %d", len(a), len(labels))
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestWeightedBalance checks that weighted sampling's class counts, summed
// over epochs, match their expectation N*p_c within 5 standard deviations
// of the binomial: balanced for 1/n_c, proportional to sqrt(n_c) for
// 1/sqrt(n_c).
func TestWeightedBalance(t *testing.T) {
	counts := []int{500, 100, 20}
	labels := labelsWithCounts(counts...)
	tests := []struct {
		sampler Weighted
		wantP   []float64
	}{
		{Weighted{}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{Weighted{Sqrt: true}, sqrtShares(counts)},
	}
	const epochs = 20
	for _, tt := range tests {
		if p := tt.sampler.ClassProbabilities(counts); !closeAll(p, tt.wantP, 1e-12) {
			t.Errorf("%+v: ClassProbabilities = %v, want %v", tt.sampler, p, tt.wantP)
		}
		total := make([]int, len(counts))
		draws := 0
		for e := range epochs {
			idx, err := tt.sampler.Indices(labels, len(counts), e, 1)
			if err != nil {
				t.Fatal(err)
			}
			for c, n := range ClassCounts(labels, idx, len(counts)) {
				total[c] += n
			}
			draws += len(idx)
		}
		for c, p := range tt.wantP {
			want := float64(draws) * p
			sd := math.Sqrt(float64(draws) * p * (1 - p))
			if math.Abs(float64(total[c])-want) > 5*sd {
				t.Errorf("%+v: class %d drawn %d times in %d draws, want %.0f +- %.0f", tt.sampler, c, total[c], draws, want, 5*sd)
			}
		}
	}
}

func sqrtShares(counts []int) []float64 {
	var sum float64
	p := make([]float64, len(counts))
	for c, n := range counts {
		p[c] = math.Sqrt(float64(n))
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
	return p
}

func closeAll(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// TestWeightedCoversMinority: over epochs, weighted sampling reaches every
// member of a rare class (no member is stuck at weight zero).
func TestWeightedCoversMinority(t *testing.T) {
	labels := labelsWithCounts(200, 10)
	seen := map[int]bool{}
	for e := range 10 {
		idx, _ := Weighted{}.Indices(labels, 2, e, 3)
		for _, i := range idx {
			if labels[i] == 1 {
				seen[i] = true
			}
		}
	}
	if len(seen) != 10 {
		t.Errorf("minority members drawn: %d of 10", len(seen))
	}
}

// Deferred draws None's epochs before From and the weighted sampler's from
// From on, each exactly as the sampler alone draws that epoch.
func TestDeferred(t *testing.T) {
	labels := make([]int, 0, 110)
	for c, n := range []int{80, 20, 10} {
		for range n {
			labels = append(labels, c)
		}
	}
	w, err := New("weighted", Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := Deferred{Before: None{}, After: w, From: 2}
	for epoch := range 4 {
		got, err := d.Indices(labels, 3, epoch, 5)
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		if epoch < 2 {
			want, err = None{}.Indices(labels, 3, epoch, 5)
		} else {
			want, err = w.Indices(labels, 3, epoch, 5)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("epoch %d: not the %s sampler's draw", epoch, map[bool]string{true: "first", false: "second"}[epoch < 2])
		}
		counts := ClassCounts(labels, got, 3)
		if len(got) != len(labels) {
			t.Errorf("epoch %d: %d draws, want %d (the epoch keeps its size)", epoch, len(got), len(labels))
		}
		if balanced := counts[2] > 20; balanced != (epoch >= 2) {
			t.Errorf("epoch %d: class counts %v", epoch, counts)
		}
	}
	if _, err := (Deferred{After: w}).Indices(labels, 3, 0, 1); err == nil {
		t.Error("Deferred without Before: no error")
	}
}
