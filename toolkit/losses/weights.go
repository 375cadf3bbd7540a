package losses

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/debiaser/debiaser/toolkit/config"
)

// ClassWeights returns the class-balancing weights w_c of Cui et al. 2019
// for the per-class counts of the whole training set (not of a batch):
//
//	INS:  w_c = 1 / n_c
//	ISNS: w_c = 1 / sqrt(n_c)
//	ENS:  w_c = (1 - beta) / (1 - beta^n_c)   (the inverse effective number)
//	none: w_c = 1
//
// then normalised so that sum_c w_c = C, as in Cui et al.'s official
// code. The study's slides print ISNS as 1/sqrt(2 n_c); after
// normalisation the factor 2 cancels, so both forms give the same weights.
//
// A zero count is an error for INS, ISNS and ENS (its weight is infinite;
// for ENS with beta = 0 it is 1/0 too).
func ClassWeights(counts []int, weighting string, beta float64) ([]float64, error) {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("losses: %w", &config.FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if !slices.Contains(KnownWeightings, weighting) {
		return nil, bad("weighting", "unknown %q (valid: %s)", weighting, strings.Join(KnownWeightings, ", "))
	}
	if weighting == WeightENS && !(beta >= 0 && beta < 1) {
		return nil, bad("beta", "must be in [0, 1), got %g", beta)
	}
	if len(counts) == 0 {
		return nil, bad("counts", "no classes")
	}
	w := make([]float64, len(counts))
	var sum float64
	for c, n := range counts {
		if n < 0 || (n == 0 && weighting != WeightNone) {
			return nil, bad("counts", "class %d has count %d: weighting %s needs counts > 0", c, n, weighting)
		}
		switch weighting {
		case WeightINS:
			w[c] = 1 / float64(n)
		case WeightISNS:
			w[c] = 1 / math.Sqrt(float64(n))
		case WeightENS:
			// -expm1(n log beta) = 1 - beta^n without cancellation for beta near 1.
			if beta == 0 {
				w[c] = 1
			} else {
				w[c] = (1 - beta) / -math.Expm1(float64(n)*math.Log(beta))
			}
		case WeightNone:
			w[c] = 1
		}
		sum += w[c]
	}
	for c := range w {
		w[c] *= float64(len(w)) / sum
	}
	return w, nil
}

// InitialBias is the classifier bias Cui et al. start from with the
// sigmoid-based losses (CB BCE_sigmoid and focal): -log(C - 1), so that
// every class starts at sigmoid probability 1/C and the many negatives do
// not swamp the first steps. It is 0 for the other losses and for C < 2.
// Models apply it when they create the "classifier" biases.
func InitialBias(cfg Config, nClass int) float64 {
	if cfg.Family != FamilyCB || (cfg.Type != TypeBCESigmoid && cfg.Type != TypeFocal) || nClass < 2 {
		return 0
	}
	return -math.Log(float64(nClass - 1))
}

// LDAMMargins are the per-class margins of the LDAM loss (Cao et al.
// 2019), in cosine units: proportional to n_c^(-1/4), the rarest class's
// equal to maxMargin. Every class needs at least one sample.
func LDAMMargins(counts []int, maxMargin float64) ([]float64, error) {
	if len(counts) == 0 {
		return nil, fmt.Errorf("losses: %w", &config.FieldError{Key: "counts", Reason: "loss_type LDAM needs the training set's class counts"})
	}
	out := make([]float64, len(counts))
	largest := 0.0
	for c, n := range counts {
		if n < 1 {
			return nil, fmt.Errorf("losses: %w", &config.FieldError{Key: "counts", Reason: fmt.Sprintf("class %d has %d samples: loss_type LDAM needs every class's count > 0", c, n)})
		}
		out[c] = math.Pow(float64(n), -0.25)
		largest = max(largest, out[c])
	}
	for c := range out {
		out[c] *= maxMargin / largest
	}
	return out, nil
}

// LogitOffsets are the per-class logit offsets of the logit-adjusted loss
// (family LA): tau*log(n_c/N) for the training counts n_c, N their sum.
// Every class needs at least one sample.
func LogitOffsets(counts []int, tau float64) ([]float64, error) {
	if len(counts) == 0 {
		return nil, fmt.Errorf("losses: %w", &config.FieldError{Key: "counts", Reason: "family LA needs the training set's class counts"})
	}
	total := 0
	for c, n := range counts {
		if n < 1 {
			return nil, fmt.Errorf("losses: %w", &config.FieldError{Key: "counts", Reason: fmt.Sprintf("class %d has %d samples: family LA needs every class's prior > 0", c, n)})
		}
		total += n
	}
	out := make([]float64, len(counts))
	for c, n := range counts {
		out[c] = tau * math.Log(float64(n)/float64(total))
	}
	return out, nil
}
