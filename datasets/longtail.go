package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/debiaser/debiaser/toolkit/data"
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

// LongTail makes loaded image-folder splits long-tailed, as the config
// key imbalance_factor does for folder data: the classes are ranked by
// their training images, most first (ties by class order), and rank k
// keeps floor(n * factor^(-k/(C-1))) training images, n being the largest
// head count every class can fill; the validation split gets the same
// profile from its own largest fitting head count (the study's validation
// set was imbalanced like its training set). Images are drawn without
// replacement by a shuffle seeded with seed, one stream per split. Class
// names and order are kept; factor 1 keeps every class at the fitting
// head count (a balanced subset).
func LongTail(train, valid *data.Dataset, factor float64, seed int64) (*data.Dataset, *data.Dataset, error) {
	if train == nil || valid == nil {
		return nil, nil, fmt.Errorf("long tail: need both splits")
	}
	if !(factor >= 1) || math.IsInf(factor, 0) {
		return nil, nil, fmt.Errorf("long tail: imbalance factor %v, need a finite value >= 1", factor)
	}
	have := train.Counts()
	rank := make([]int, len(have)) // rank[k]: the class at rank k
	for c := range rank {
		rank[c] = c
	}
	slices.SortStableFunc(rank, func(a, b int) int { return have[b] - have[a] })
	var out [2]*data.Dataset
	for s, ds := range []*data.Dataset{train, valid} {
		counts := ds.Counts()
		ranked := make([]int, len(rank))
		for k, c := range rank {
			ranked[k] = counts[c]
		}
		nMax, err := fittingHead(ranked, factor)
		if err != nil {
			what := [2]string{"train", "valid"}[s]
			return nil, nil, fmt.Errorf("long tail: %s split: %w", what, err)
		}
		profile, err := LongTailCounts(nMax, len(rank), factor)
		if err != nil {
			return nil, nil, fmt.Errorf("long tail: %w", err)
		}
		want := make([]int, len(rank))
		for k, c := range rank {
			want[c] = profile[k]
		}
		idx, err := pickPerClass(ds.Labels, want, rand.New(rand.NewPCG(uint64(seed), uint64(0x10a6+s))), "long tail", ds.Classes)
		if err != nil {
			return nil, nil, err
		}
		if out[s], err = ds.Subset(idx); err != nil {
			return nil, nil, err
		}
	}
	return out[0], out[1], nil
}

// fittingHead is the largest head count n whose profile
// floor(n * factor^(-k/(C-1))) fits every ranked count.
func fittingHead(ranked []int, factor float64) (int, error) {
	// Rank 0 keeps n itself, so n <= ranked[0]; the minimum is taken in
	// float64 (a huge factor would overflow an int).
	limit := math.Inf(1)
	for k, have := range ranked {
		if have == 0 {
			return 0, fmt.Errorf("rank %d class has no images", k)
		}
		ratio := 1.0
		if len(ranked) > 1 {
			ratio = math.Pow(factor, -float64(k)/float64(len(ranked)-1))
		}
		limit = min(limit, float64(have)/ratio+1e-9)
	}
	n := int(limit)
	// Rounding may leave one rank a single image short: step down until
	// every count fits.
	for ; n > 0; n-- {
		counts, err := LongTailCounts(n, len(ranked), factor)
		if err != nil {
			return 0, err
		}
		fits := true
		for k := range counts {
			fits = fits && counts[k] <= ranked[k]
		}
		if fits {
			return n, nil
		}
	}
	return 0, fmt.Errorf("no head count fits %v", ranked)
}
