package metrics

import (
	"fmt"
	"math"
)

// ProbFloor is the smallest probability the temperature functions read:
// a class probability of 0 (a float32 softmax underflows below about
// 1.4e-45, the smallest positive float32) is read as ProbFloor, so its
// logarithm stays finite.
const ProbFloor = 1.401298464324817e-45

// Temperature bounds of FitTemperature: a fit that would go past them
// stops there.
const (
	MinTemperature float64 = 0.01
	MaxTemperature float64 = 100
)

// NLL is the mean negative log-likelihood of the true classes,
// -mean_i log p_i,y_i, each row normalised to sum 1 (probabilities under
// ProbFloor read as ProbFloor): PyTorch's cross_entropy with the
// logarithms of the probabilities as logits.
func NLL(yTrue []int, scores [][]float64) (float64, error) {
	z, err := logScores(yTrue, scores)
	if err != nil {
		return 0, err
	}
	if len(z) == 0 {
		return 0, fmt.Errorf("%w: no samples", ErrInput)
	}
	var s float64
	for i, row := range z {
		s += logSumExp(row, 1) - row[yTrue[i]]
	}
	return s / float64(len(z)), nil
}

// TemperatureScaled returns softmax(log p / T) of each row of class
// probabilities p: for p = softmax(z), softmax(z / T), the temperature
// scaling of Guo et al. 2017 ("On calibration of modern neural
// networks"). T > 1 softens over-confident probabilities, T < 1 sharpens
// them; the largest class of each row stays the largest, so predictions
// and accuracy do not change.
func TemperatureScaled(scores [][]float64, t float64) ([][]float64, error) {
	if !(t > 0) || math.IsInf(t, 0) {
		return nil, fmt.Errorf("%w: temperature %g (want > 0)", ErrInput, t)
	}
	z, err := logScores(nil, scores)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(z))
	for i, row := range z {
		out[i] = softmax(row, 1/t)
	}
	return out, nil
}

// softmax returns softmax(beta z), computed without overflow; entries of
// -Inf get 0. The row's largest entry must be finite.
func softmax(z []float64, beta float64) []float64 {
	top := math.Inf(-1)
	for _, v := range z {
		top = math.Max(top, v)
	}
	p := make([]float64, len(z))
	var sum float64
	for c, v := range z {
		p[c] = math.Exp(beta * (v - top))
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
	return p
}

// FitTemperature returns the temperature T in [MinTemperature,
// MaxTemperature] that minimises the NLL of TemperatureScaled(scores, T)
// on the labels yTrue (Guo et al.'s fit, on held-out samples). The NLL is
// convex in 1/T; the minimum is found by Newton's method on 1/T inside a
// bracket that bisection keeps (to a relative 1e-12). Samples that every
// temperature fits alike (a row of equal probabilities) change nothing.
func FitTemperature(yTrue []int, scores [][]float64) (float64, error) {
	z, err := logScores(yTrue, scores)
	if err != nil {
		return 0, err
	}
	if len(z) == 0 {
		return 0, fmt.Errorf("%w: no samples", ErrInput)
	}
	// d/dbeta and d2/dbeta2 of the NLL at inverse temperature beta:
	// mean(E_s[z] - z_y) and mean(Var_s[z]), s = softmax(beta z).
	derivs := func(beta float64) (d1, d2 float64) {
		for i, row := range z {
			top := math.Inf(-1)
			for _, v := range row {
				top = math.Max(top, v)
			}
			var sum, m1, m2 float64
			for _, v := range row {
				w := math.Exp(beta * (v - top))
				sum += w
				m1 += w * (v - top)
				m2 += w * (v - top) * (v - top)
			}
			m1, m2 = m1/sum, m2/sum
			d1 += m1 - (row[yTrue[i]] - top)
			d2 += math.Max(m2-m1*m1, 0)
		}
		n := float64(len(z))
		return d1 / n, d2 / n
	}
	lo, hi := 1/MaxTemperature, 1/MinTemperature
	if d, _ := derivs(lo); d >= 0 {
		return MaxTemperature, nil
	}
	if d, _ := derivs(hi); d <= 0 {
		return MinTemperature, nil
	}
	beta := math.Min(math.Max(1, lo), hi)
	for range 200 {
		d1, d2 := derivs(beta)
		if d1 == 0 {
			break
		}
		if d1 > 0 {
			hi = beta
		} else {
			lo = beta
		}
		if hi-lo <= 1e-12*hi {
			break
		}
		next := beta - d1/d2
		if !(d2 > 0) || !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-beta) <= 1e-14*beta {
			beta = next
			break
		}
		beta = next
	}
	return 1 / beta, nil
}

// logScores returns the logarithms of the probabilities (under ProbFloor
// read as ProbFloor), checking them and, when yTrue is not nil, the
// labels.
func logScores(yTrue []int, scores [][]float64) ([][]float64, error) {
	if yTrue != nil && len(yTrue) != len(scores) {
		return nil, fmt.Errorf("%w: %d labels but %d rows of scores", ErrInput, len(yTrue), len(scores))
	}
	out := make([][]float64, len(scores))
	for i, row := range scores {
		if len(row) == 0 || (i > 0 && len(row) != len(scores[0])) {
			return nil, fmt.Errorf("%w: sample %d has %d scores, sample 0 %d", ErrInput, i, len(row), len(scores[0]))
		}
		if yTrue != nil && (yTrue[i] < 0 || yTrue[i] >= len(row)) {
			return nil, fmt.Errorf("%w: label %d of sample %d outside [0, %d)", ErrInput, yTrue[i], i, len(row))
		}
		z := make([]float64, len(row))
		for c, p := range row {
			if !(p >= 0) || p > 1+1e-6 {
				return nil, fmt.Errorf("%w: sample %d class %d: probability %g", ErrInput, i, c, p)
			}
			z[c] = math.Log(math.Max(p, ProbFloor))
		}
		out[i] = z
	}
	return out, nil
}

// logSumExp is log sum_c exp(beta z_c), computed without overflow.
func logSumExp(z []float64, beta float64) float64 {
	top := math.Inf(-1)
	for _, v := range z {
		top = math.Max(top, beta*v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(beta*v - top)
	}
	return top + math.Log(s)
}
