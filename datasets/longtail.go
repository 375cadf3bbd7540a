package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// LongTailCounts returns the per-class counts of the CIFAR-LT profile of
// Cui et al. 2019 ("Class-Balanced Loss Based on Effective Number of
// Samples"): n_c = floor(nMax * factor^(-c/(C-1))), so class 0 keeps nMax
// and class C-1 keeps nMax/factor. factor 100 and nMax 5000 give the
// CIFAR-10-LT counts 5000, 2997, ..., 83, 50. Every count is at least 1.
func LongTailCounts(nMax, numClasses int, factor float64) ([]int, error) {
	switch {
	case nMax < 1:
		return nil, fmt.Errorf("long-tail counts: n_max %d < 1", nMax)
	case numClasses < 1:
		return nil, fmt.Errorf("long-tail counts: %d classes < 1", numClasses)
	case !(factor >= 1) || math.IsInf(factor, 0):
		return nil, fmt.Errorf("long-tail counts: imbalance factor %v, need a finite value >= 1", factor)
	}
	counts := make([]int, numClasses)
	for c := range counts {
		ratio := 1.0
		if numClasses > 1 {
			ratio = math.Pow(factor, -float64(c)/float64(numClasses-1))
		}
		// The small epsilon keeps exact products (500 * 0.1) from
		// truncating to one less through rounding.
		counts[c] = max(1, int(float64(nMax)*ratio+1e-9))
	}
	return counts, nil
}

// longTailSplits returns the train counts LongTailCounts(nMax, C, factor)
// and the valid counts of the same profile from round(nMax*validRatio),
// or that count for every class when balancedValid is set.
func longTailSplits(nMax, numClasses int, factor, validRatio float64, balancedValid bool) (train, valid []int, err error) {
	if !(validRatio > 0) {
		return nil, nil, fmt.Errorf("valid_ratio %v, need > 0", validRatio)
	}
	if train, err = LongTailCounts(nMax, numClasses, factor); err != nil {
		return nil, nil, err
	}
	validFactor := factor
	if balancedValid {
		validFactor = 1
	}
	valid, err = LongTailCounts(max(1, int(math.Round(float64(nMax)*validRatio))), numClasses, validFactor)
	return train, valid, err
}

// pickPerClass returns, for each class c, counts[c] indices of labels with
// label c, drawn without replacement by a seeded shuffle (as the LDAM-DRW
// and CB-loss code build CIFAR-LT), in ascending index order overall.
// what names the split for errors.
func pickPerClass(labels []int, counts []int, rng *rand.Rand, what string, classes []string) ([]int, error) {
	groups := make([][]int, len(counts))
	for i, y := range labels {
		if y >= 0 && y < len(groups) {
			groups[y] = append(groups[y], i)
		}
	}
	chosen := make([]bool, len(labels))
	for c, g := range groups {
		if counts[c] > len(g) {
			return nil, fmt.Errorf("%s: class %q needs %d images, only %d available", what, classes[c], counts[c], len(g))
		}
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		for _, i := range g[:counts[c]] {
			chosen[i] = true
		}
	}
	var out []int
	for i, ok := range chosen {
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}
