package sampling

import (
	"slices"
	"testing"
)

func TestStratifiedKFold(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		k      int
	}{
		{"study", []int{750, 425, 250, 75}, 5},
		{"uneven", []int{11, 7, 5}, 3},
		{"k equals minority", []int{9, 4}, 4},
		{"absent class", []int{6, 0, 4}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels := labelsWithCounts(tt.counts...)
			folds, err := StratifiedKFold(labels, tt.k, 11)
			if err != nil {
				t.Fatal(err)
			}
			if len(folds) != tt.k {
				t.Fatalf("%d folds, want %d", len(folds), tt.k)
			}
			validOf := make([]int, len(labels))
			for i := range validOf {
				validOf[i] = -1
			}
			minSize, maxSize := len(labels), 0
			for f, fold := range folds {
				if len(fold.Train)+len(fold.Valid) != len(labels) {
					t.Errorf("fold %d: %d train + %d valid != %d", f, len(fold.Train), len(fold.Valid), len(labels))
				}
				all := append(slices.Clone(fold.Train), fold.Valid...)
				slices.Sort(all)
				if !slices.Equal(all, seq(len(labels))) {
					t.Errorf("fold %d: train and valid do not partition the indices", f)
				}
				for _, i := range fold.Valid {
					if validOf[i] != -1 {
						t.Errorf("index %d validated in folds %d and %d", i, validOf[i], f)
					}
					validOf[i] = f
				}
				got := ClassCounts(labels, fold.Valid, len(tt.counts))
				for c, n := range tt.counts {
					lo, hi := n/tt.k, (n+tt.k-1)/tt.k
					if got[c] < lo || got[c] > hi {
						t.Errorf("fold %d class %d: %d valid samples, want %d..%d", f, c, got[c], lo, hi)
					}
				}
				minSize, maxSize = min(minSize, len(fold.Valid)), max(maxSize, len(fold.Valid))
			}
			if maxSize-minSize > 1 {
				t.Errorf("valid fold sizes range %d..%d, want within 1", minSize, maxSize)
			}
			for i, f := range validOf {
				if f == -1 {
					t.Errorf("index %d in no valid fold", i)
				}
			}
			again, _ := StratifiedKFold(labels, tt.k, 11)
			if !slices.EqualFunc(folds, again, func(a, b Fold) bool {
				return slices.Equal(a.Train, b.Train) && slices.Equal(a.Valid, b.Valid)
			}) {
				t.Error("same seed gave different folds")
			}
			other, _ := StratifiedKFold(labels, tt.k, 12)
			if slices.Equal(other[0].Valid, folds[0].Valid) {
				t.Error("seeds 11 and 12 gave the same first fold")
			}
		})
	}
}

func TestStratifiedKFoldErrors(t *testing.T) {
	tests := []struct {
		labels []int
		k      int
		want   string
	}{
		{labelsWithCounts(10, 10), 1, "stratified k-fold: k = 1, need at least 2"},
		{labelsWithCounts(10, 3), 4, "stratified k-fold: k = 4 exceeds the smallest class count 3"},
		{[]int{0, -1}, 2, "stratified k-fold: negative label -1 at index 1"},
	}
	for _, tt := range tests {
		_, err := StratifiedKFold(tt.labels, tt.k, 1)
		if err == nil || err.Error() != tt.want {
			t.Errorf("StratifiedKFold(k=%d) error = %v, want %q", tt.k, err, tt.want)
		}
	}
}
