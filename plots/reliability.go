package plots

import (
	"errors"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/metrics"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Reliability draws the reliability diagrams of each run's best epoch on
// the validation set (its run.valid_scores), runlog.CalibrationBins
// equal-width bins: left, the top label (each prediction's probability
// against how often it is right; metrics.TopLabelCalibration), with the
// expected calibration error in the legend; right, the class with the
// fewest training images one-vs-rest (metrics.ClassCalibration), where
// re-weighted and re-sampled training tends to overstate the rare class.
// A calibrated model lies on the diagonal; bins are drawn at their mean
// probability.
func Reliability(logs []*runlog.Log) (*Figure, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	_, classes, err := splitClasses(logs, SplitValid)
	if err != nil {
		return nil, err
	}
	sizes, what, err := classSizes(logs[0], len(classes))
	if err != nil {
		return nil, err
	}
	rare := 0
	for c, n := range sizes {
		if n < sizes[rare] {
			rare = c
		}
	}
	names := runNames(logs)
	f := newFigure("reliability of each run's best epoch (valid)", 1, 2)
	f.Width, f.Height = 11*vg.Inch, 5*vg.Inch
	titles := []string{"top label: probability of the predicted class", fmt.Sprintf("class %s (fewest %s, %d): its probability", classes[rare], what, sizes[rare])}
	ylabels := []string{"share of those predictions that are right (%)", "share of those samples of class " + classes[rare] + " (%)"}
	for col := range 2 {
		p, err := reliabilityPanel(f, col, titles[col], "mean predicted probability in the bin (%)", ylabels[col])
		if err != nil {
			return nil, fmt.Errorf("plots: reliability: %w", err)
		}
		for r, l := range logs {
			yTrue, scores, err := l.BestValidScores()
			if errors.Is(err, runlog.ErrNoScores) {
				return nil, fmt.Errorf("%w: run %q: %w", ErrNoData, names[r], err)
			}
			if err != nil {
				return nil, err
			}
			var cal metrics.Calibration
			if col == 0 {
				cal, err = metrics.TopLabelCalibration(yTrue, scores, runlog.CalibrationBins)
			} else {
				cal, err = metrics.ClassCalibration(yTrue, scores, rare, runlog.CalibrationBins)
			}
			if err != nil {
				return nil, fmt.Errorf("run %q: %w", names[r], err)
			}
			pts := reliabilityPoints(cal)
			legend := ""
			if col == 0 {
				legend = fmt.Sprintf("%s (ECE %.3f)", names[r], cal.ECE)
			}
			if err := addRunSeries(f, p, r, pts, legend); err != nil {
				return nil, fmt.Errorf("plots: reliability: %w", err)
			}
		}
	}
	return f, nil
}

// reliabilityPanel sets up panel col of f for reliability curves in
// percent: titles, grid, the diagonal of a calibrated model (in the legend
// once, from the first panel) and the axis ranges.
func reliabilityPanel(f *Figure, col int, title, xlabel, ylabel string) (*plot.Plot, error) {
	p := f.Panel(0, col)
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 100, Y: 100}})
	if err != nil {
		return nil, err
	}
	diag.LineStyle = refStyle(refColor, true)
	p.Add(diag)
	if col == 0 {
		f.AddLegend("calibrated", diag)
	}
	p.X.Min, p.X.Max = 0, 100
	p.Y.Min, p.Y.Max = -3, 103
	return p, nil
}
