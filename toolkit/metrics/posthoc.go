package metrics

import (
	"fmt"
	"math"
)

// PriorAdjusted re-weights class probabilities against the training set's
// class prior pi_c = counts_c / sum(counts): p'_ic = p_ic pi_c^-tau / sum_k
// p_ik pi_k^-tau. For p = softmax(z) that is softmax(z - tau log pi), the
// post-hoc logit adjustment of Menon et al. 2021 ("Long-tail learning via
// logit adjustment"): it moves a model trained on imbalanced data towards
// a balanced classifier without retraining (tau = 1 under their
// assumptions); tau = 0 only normalises each row to sum 1 (run logs keep
// rounded probabilities). Every count must be > 0 when tau is not 0.
func PriorAdjusted(scores [][]float64, counts []int, tau float64) ([][]float64, error) {
	if math.IsNaN(tau) || math.IsInf(tau, 0) {
		return nil, fmt.Errorf("%w: tau %g", ErrInput, tau)
	}
	total := 0
	for c, n := range counts {
		if n < 0 || (n == 0 && tau != 0) {
			return nil, fmt.Errorf("%w: class %d has training count %d: its prior must be > 0", ErrInput, c, n)
		}
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: no training counts", ErrInput)
	}
	// In log space, as softmax(log p - tau log pi): no overflow for any
	// tau, and a probability of 0 stays 0.
	shift := make([]float64, len(counts))
	for c, n := range counts {
		if tau != 0 {
			shift[c] = tau * math.Log(float64(n)/float64(total))
		}
	}
	out := make([][]float64, len(scores))
	for i, row := range scores {
		if len(row) != len(counts) {
			return nil, fmt.Errorf("%w: sample %d has %d scores for %d classes", ErrInput, i, len(row), len(counts))
		}
		z := make([]float64, len(row))
		top := math.Inf(-1)
		for c, p := range row {
			if !(p >= 0) || math.IsInf(p, 0) {
				return nil, fmt.Errorf("%w: sample %d class %d: probability %g", ErrInput, i, c, p)
			}
			z[c] = math.Log(p) - shift[c]
			top = math.Max(top, z[c])
		}
		if math.IsInf(top, -1) {
			return nil, fmt.Errorf("%w: sample %d: every probability is 0", ErrInput, i)
		}
		out[i] = softmax(z, 1)
	}
	return out, nil
}

// ArgMax is each row's predicted class: the index of its largest value,
// the first of equal ones (as numpy.argmax).
func ArgMax(scores [][]float64) []int {
	out := make([]int, len(scores))
	for i, row := range scores {
		for c, v := range row {
			if v > row[out[i]] {
				out[i] = c
			}
		}
	}
	return out
}
