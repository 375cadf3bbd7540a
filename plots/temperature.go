package plots

import (
	"errors"
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/metrics"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Temperature draws, for each run's best epoch, the top-label reliability
// diagram of its validation probabilities as the run kept them (left) and
// after temperature scaling (right; runlog.TemperatureScaling: each half
// of the samples scaled by the temperature fitted on the other half), one
// series per run, the legend giving the temperature and the ECE before and
// after. A run without run.valid_scores, or with too few validation
// samples to cross-fit, is ErrNoData.
func Temperature(logs []*runlog.Log) (*Figure, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	names := runNames(logs)
	fits := make([]runlog.TemperatureFit, len(logs))
	for r, l := range logs {
		fit, err := runlog.TemperatureScaling(l)
		if errors.Is(err, runlog.ErrNoScores) || errors.Is(err, runlog.ErrTooFewSamples) {
			return nil, fmt.Errorf("%w: run %q: %w", ErrNoData, names[r], err)
		}
		if err != nil {
			return nil, err
		}
		fits[r] = fit
	}
	f := newFigure("temperature scaling of each run's best epoch (valid; halves cross-fitted; predictions unchanged)", 1, 2)
	f.Width, f.Height = 11*vg.Inch, 5*vg.Inch
	titles := []string{"as trained", "after temperature scaling"}
	for col := range 2 {
		p, err := reliabilityPanel(f, col, titles[col], "probability of the predicted class, bin mean (%)", "share of those predictions that are right (%)")
		if err != nil {
			return nil, fmt.Errorf("plots: temperature: %w", err)
		}
		for r, fit := range fits {
			cal := fit.Before
			if col == 1 {
				cal = fit.After
			}
			legend := ""
			if col == 0 {
				legend = fmt.Sprintf("%s (T %.2f; ECE %.3f -> %.3f)", names[r], fit.Temperature, fit.Before.ECE, fit.After.ECE)
			}
			if err := addRunSeries(f, p, r, reliabilityPoints(cal), legend); err != nil {
				return nil, fmt.Errorf("plots: temperature: %w", err)
			}
		}
	}
	return f, nil
}

// reliabilityPoints are a calibration's non-empty bins as (confidence,
// frequency) in percent.
func reliabilityPoints(cal metrics.Calibration) plotter.XYs {
	pts := make(plotter.XYs, len(cal.Bins))
	for i, b := range cal.Bins {
		pts[i] = plotter.XY{X: 100 * b.Confidence, Y: 100 * b.Frequency}
	}
	return pts
}
