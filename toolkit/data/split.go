package data

import (
	"math"
	"math/rand/v2"
	"slices"
)

// StratifiedSplit splits the positions of labels into train and valid so
// that each class keeps its share: class c with n_c samples puts
// round(validFraction * n_c) of them, chosen by a random shuffle seeded by
// seed, in valid. When 0 < validFraction < 1, every class keeps at least
// one sample in train, and one in valid if it has two or more.
// validFraction is clamped to [0, 1]. Both index lists come back sorted.
func StratifiedSplit(labels []int, validFraction float64, seed int64) (train, valid []int) {
	validFraction = min(max(validFraction, 0), 1)
	byClass := map[int][]int{}
	for i, y := range labels {
		byClass[y] = append(byClass[y], i)
	}
	classes := make([]int, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes) // map order is random; the shuffle order must not be
	rng := rand.New(rand.NewPCG(uint64(seed), streamSplit))
	train, valid = []int{}, []int{}
	for _, c := range classes {
		idx := byClass[c]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		n := len(idx)
		k := int(math.Round(validFraction * float64(n)))
		if validFraction > 0 && validFraction < 1 {
			k = min(max(k, min(1, n-1)), n-1)
		}
		valid = append(valid, idx[:k]...)
		train = append(train, idx[k:]...)
	}
	slices.Sort(train)
	slices.Sort(valid)
	return train, valid
}
