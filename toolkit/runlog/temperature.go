package runlog

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/debiaser/debiaser/toolkit/metrics"
)

// ErrTooFewSamples is returned by TemperatureScaling for a log whose
// validation samples cannot be split into two halves to fit and measure.
var ErrTooFewSamples = errors.New("too few validation samples for a cross-fitted temperature")

// TemperatureFit is the temperature scaling (Guo et al. 2017) of a run's
// best epoch: its validation class probabilities (run.valid_scores)
// softened or sharpened by one temperature so that they say how often
// they are right. Predictions do not change.
type TemperatureFit struct {
	// Temperature is fitted on every validation sample: the one to apply
	// to the run's probabilities on new data.
	Temperature float64 `json:"temperature"`
	// FoldTemperatures are the two halves' fits, each applied to the
	// other half.
	FoldTemperatures [2]float64 `json:"fold_temperatures"`
	// NLL is the mean negative log-likelihood of the true classes as the
	// run kept them; NLLScaled after the cross-fitted scaling.
	NLL       float64 `json:"nll"`
	NLLScaled float64 `json:"nll_scaled"`
	// Before and After are the top-label calibration (CalibrationBins
	// bins) as kept and after the cross-fitted scaling.
	Before metrics.Calibration `json:"before"`
	After  metrics.Calibration `json:"after"`
	// Scaled are the cross-fitted probabilities, in the log's sample
	// order.
	Scaled [][]float64 `json:"-"`
}

// TemperatureScaling fits the temperature of the log's best epoch and
// measures it honestly: the validation samples are split into two halves
// (within each class, alternately in sample order), each half is scaled
// by the temperature fitted on the other, and NLLScaled and After are
// computed on those scaled probabilities, so no sample is scored by a
// temperature fitted on it (a 2-fold cross-fit). A log without scores is
// ErrNoScores, one whose halves would be empty ErrTooFewSamples; a class
// with a single validation sample puts it in the first half only.
func TemperatureScaling(l *Log) (TemperatureFit, error) {
	var fit TemperatureFit
	yTrue, scores, err := l.BestValidScores()
	if err != nil {
		return fit, err
	}
	if len(yTrue) < 2 {
		return fit, fmt.Errorf("runlog: %s: %d validation sample(s): %w (2 or more)", l.name(), len(yTrue), ErrTooFewSamples)
	}
	wrap := func(err error) error { return fmt.Errorf("runlog: %s: %w", l.name(), err) }
	if fit.Temperature, err = metrics.FitTemperature(yTrue, scores); err != nil {
		return fit, wrap(err)
	}
	// Halves: the k-th sample of each class goes to half k%2.
	seen := map[int]int{}
	var idx [2][]int
	for i, y := range yTrue {
		idx[seen[y]%2] = append(idx[seen[y]%2], i)
		seen[y]++
	}
	if len(idx[1]) == 0 {
		return fit, fmt.Errorf("runlog: %s: no class has 2 validation samples: %w", l.name(), ErrTooFewSamples)
	}
	pick := func(ix []int) ([]int, [][]float64) {
		y, s := make([]int, len(ix)), make([][]float64, len(ix))
		for j, i := range ix {
			y[j], s[j] = yTrue[i], scores[i]
		}
		return y, s
	}
	fit.Scaled = make([][]float64, len(scores))
	for h := range 2 {
		y, s := pick(idx[h])
		if fit.FoldTemperatures[h], err = metrics.FitTemperature(y, s); err != nil {
			return fit, wrap(err)
		}
		_, other := pick(idx[1-h])
		scaled, err := metrics.TemperatureScaled(other, fit.FoldTemperatures[h])
		if err != nil {
			return fit, wrap(err)
		}
		for j, i := range idx[1-h] {
			fit.Scaled[i] = scaled[j]
		}
	}
	if fit.NLL, err = metrics.NLL(yTrue, scores); err != nil {
		return fit, wrap(err)
	}
	if fit.NLLScaled, err = metrics.NLL(yTrue, fit.Scaled); err != nil {
		return fit, wrap(err)
	}
	if fit.Before, err = metrics.TopLabelCalibration(yTrue, scores, CalibrationBins); err != nil {
		return fit, wrap(err)
	}
	if fit.After, err = metrics.TopLabelCalibration(yTrue, fit.Scaled, CalibrationBins); err != nil {
		return fit, wrap(err)
	}
	return fit, nil
}

// TemperatureTable is TemperatureScaling for every log, one row each: the
// run's note, the temperature fitted on all its validation samples, and
// the validation NLL and top-label expected calibration error as the run
// kept its probabilities and after the cross-fitted scaling ("_scaled").
func TemperatureTable(logs []*Log) (*Table, error) {
	t := &Table{
		Columns: []string{"note", "temperature", "valid_nll", "valid_nll_scaled", "valid_ece", "valid_ece_scaled"},
		metric:  []bool{false, true, true, true, true, true},
	}
	for _, l := range logs {
		fit, err := TemperatureScaling(l)
		if err != nil {
			return nil, err
		}
		row := Row{Log: l, Epoch: l.Run.BestEpoch}
		row.Cells = append(row.Cells, Cell{Text: l.Note},
			Cell{Text: strconv.FormatFloat(fit.Temperature, 'f', 4, 64), Value: fit.Temperature})
		for _, v := range []float64{fit.NLL, fit.NLLScaled, fit.Before.ECE, fit.After.ECE} {
			row.Cells = append(row.Cells, Cell{Text: formatMetric(v), Value: v})
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
