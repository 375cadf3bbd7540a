package sampling

import (
	"fmt"
	"math"
	"sort"
)

// Weighted is weighted random sampling (torchsampler's
// ImbalancedDatasetSampler, PyTorch's WeightedRandomSampler): each sample
// weighs 1/n_c (or 1/sqrt(n_c)) and an epoch is len(labels) draws with
// replacement, so with 1/n_c each class is drawn about N/C times.
type Weighted struct {
	// Sqrt selects 1/sqrt(n_c) weights instead of 1/n_c.
	Sqrt bool
}

func newWeighted(opts Options) (Sampler, error) {
	switch opts.Weight {
	case "", WeightInverse:
		return Weighted{}, nil
	case WeightInverseSqrt:
		return Weighted{Sqrt: true}, nil
	}
	return nil, fmt.Errorf("sampling_weight %q unknown, valid: %s, %s", opts.Weight, WeightInverse, WeightInverseSqrt)
}

// ClassProbabilities returns the probability that one draw picks class c,
// given the training class counts: n_c*w_c / sum_k n_k*w_k.
func (w Weighted) ClassProbabilities(counts []int) []float64 {
	p := make([]float64, len(counts))
	var total float64
	for c, n := range counts {
		if n > 0 {
			p[c] = float64(n) * w.weight(n)
			total += p[c]
		}
	}
	for c := range p {
		if total > 0 {
			p[c] /= total
		}
	}
	return p
}

func (w Weighted) weight(n int) float64 {
	if w.Sqrt {
		return 1 / math.Sqrt(float64(n))
	}
	return 1 / float64(n)
}

// Indices implements Sampler.
func (w Weighted) Indices(labels []int, numClasses, epoch int, seed int64) ([]int, error) {
	groups, err := byClass(labels, numClasses)
	if err != nil {
		return nil, err
	}
	counts := countsOf(groups)
	// Cumulative per-sample weights; a draw is a binary search of a
	// uniform number in [0, total), as torch.multinomial does.
	cum := make([]float64, len(labels))
	var total float64
	for i, y := range labels {
		total += w.weight(counts[y])
		cum[i] = total
	}
	rng := newRand(seed, epoch)
	out := make([]int, len(labels))
	for k := range out {
		u := rng.Float64() * total
		// Sample i owns [cum[i-1], cum[i]): the first i with cum[i] > u.
		i := sort.Search(len(cum), func(i int) bool { return cum[i] > u })
		out[k] = min(i, len(cum)-1) // guards rounding at u just below total

	}
	return out, nil
}
