package metrics

import (
	"fmt"
	"math"
)

// Calibration is a reliability diagram's data: predicted probabilities
// binned into equal-width bins of [0, 1], and for each non-empty bin the
// mean predicted probability against the observed frequency of the
// outcome.
type Calibration struct {
	Bins []CalibrationBin `json:"bins"` // the non-empty bins, low to high
	// ECE is the expected calibration error, sum over bins of
	// count/N * |frequency - confidence|; MCE the largest of those gaps.
	ECE float64 `json:"ece"`
	MCE float64 `json:"mce"`
	N   int     `json:"n"`
}

// CalibrationBin is one bin of a Calibration.
type CalibrationBin struct {
	Lo, Hi     float64 // the bin's edges; it holds probabilities in (Lo, Hi], the first one 0 too
	Confidence float64 // mean predicted probability
	Frequency  float64 // share of the bin's predictions whose outcome happened
	Count      int
}

// CalibrationCurve bins the probabilities prob of binary outcomes as
// scikit-learn's calibration_curve(strategy="uniform") does: edges
// i/bins, a probability on an edge in the bin below it. Its bins'
// Frequency and Confidence are calibration_curve's prob_true and
// prob_pred.
func CalibrationCurve(outcome []bool, prob []float64, bins int) (Calibration, error) {
	if bins < 1 {
		return Calibration{}, fmt.Errorf("%w: %d bins", ErrInput, bins)
	}
	if len(outcome) != len(prob) {
		return Calibration{}, fmt.Errorf("%w: %d outcomes but %d probabilities", ErrInput, len(outcome), len(prob))
	}
	if len(prob) == 0 {
		return Calibration{}, fmt.Errorf("%w: no samples", ErrInput)
	}
	step := 1 / float64(bins) // edges as numpy.linspace makes them: i*step
	sum, hits := make([]float64, bins), make([]float64, bins)
	count := make([]int, bins)
	for i, p := range prob {
		if !(p >= 0 && p <= 1) {
			return Calibration{}, fmt.Errorf("%w: probability %g of sample %d is outside [0, 1]", ErrInput, p, i)
		}
		// The number of inner edges below p (numpy.searchsorted, side left).
		b := 0
		for b < bins-1 && float64(b+1)*step < p {
			b++
		}
		sum[b] += p
		count[b]++
		if outcome[i] {
			hits[b]++
		}
	}
	c := Calibration{N: len(prob)}
	for b := range bins {
		if count[b] == 0 {
			continue
		}
		n := float64(count[b])
		bin := CalibrationBin{Lo: float64(b) * step, Hi: float64(b+1) * step, Confidence: sum[b] / n, Frequency: hits[b] / n, Count: count[b]}
		if b == bins-1 {
			bin.Hi = 1
		}
		gap := math.Abs(bin.Frequency - bin.Confidence)
		c.ECE += n / float64(len(prob)) * gap
		c.MCE = math.Max(c.MCE, gap)
		c.Bins = append(c.Bins, bin)
	}
	return c, nil
}

// TopLabelCalibration is the usual reliability diagram of a classifier:
// each sample's largest class probability (its confidence) against
// whether that prediction is right.
func TopLabelCalibration(yTrue []int, scores [][]float64, bins int) (Calibration, error) {
	if _, err := width(yTrue, scores); err != nil {
		return Calibration{}, err
	}
	pred := ArgMax(scores)
	right := make([]bool, len(yTrue))
	conf := make([]float64, len(yTrue))
	for i, y := range yTrue {
		right[i], conf[i] = pred[i] == y, scores[i][pred[i]]
	}
	return CalibrationCurve(right, conf, bins)
}

// ClassCalibration is class's one-vs-rest reliability diagram: every
// sample's probability of class against whether it is of that class. For
// a rare class it shows whether a model that was trained to favour it
// now overstates it.
func ClassCalibration(yTrue []int, scores [][]float64, class, bins int) (Calibration, error) {
	pos, s, err := binary(yTrue, scores, class)
	if err != nil {
		return Calibration{}, err
	}
	return CalibrationCurve(pos, s, bins)
}
