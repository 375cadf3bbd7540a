package sampling

import "fmt"

// Fold is one train/valid split of StratifiedKFold: indices into the labels.
type Fold struct {
	Train []int `json:"train"`
	Valid []int `json:"valid"`
}

// StratifiedKFold splits the indices of labels into k folds that keep each
// class's share (scikit-learn's StratifiedKFold with shuffle=true): fold i
// validates on the i-th part and trains on the rest. Each class is
// shuffled with seed and dealt round-robin, continuing from where the
// previous class stopped, so every class's count per fold differs by at
// most one and so do the fold sizes. Indices within a fold are ascending.
// It fails when k < 2 or k exceeds the smallest count of a class present.
func StratifiedKFold(labels []int, k int, seed int64) ([]Fold, error) {
	if k < 2 {
		return nil, fmt.Errorf("stratified k-fold: k = %d, need at least 2", k)
	}
	numClasses := 0
	for i, y := range labels {
		if y < 0 {
			return nil, fmt.Errorf("stratified k-fold: negative label %d at index %d", y, i)
		}
		numClasses = max(numClasses, y+1)
	}
	groups, err := byClass(labels, max(numClasses, 1))
	if err != nil {
		return nil, err
	}
	lo, _ := extremes(countsOf(groups))
	if k > lo {
		return nil, fmt.Errorf("stratified k-fold: k = %d exceeds the smallest class count %d", k, lo)
	}
	rng := newRand(seed, 0)
	foldOf := make([]int, len(labels))
	next := 0
	for _, g := range groups {
		members := append([]int(nil), g...)
		rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		for _, idx := range members {
			foldOf[idx] = next
			next = (next + 1) % k
		}
	}
	folds := make([]Fold, k)
	for idx, f := range foldOf {
		for i := range folds {
			if i == f {
				folds[i].Valid = append(folds[i].Valid, idx)
			} else {
				folds[i].Train = append(folds[i].Train, idx)
			}
		}
	}
	return folds, nil
}
