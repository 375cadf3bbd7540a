package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// DefaultTaus are the adjustment strengths PostHoc draws when none are
// given: 0 (the run as trained) to 2 in steps of 0.25.
var DefaultTaus = []float64{0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2}

// PostHoc draws, for each run, the validation balanced accuracy (left) and
// accuracy (right) of its best epoch after post-hoc logit adjustment by
// each tau (runlog.PostHoc: the class probabilities re-weighted by the
// training prior to the power -tau; nothing retrained), with tau = 1,
// Menon et al.'s choice, marked. A run trained for balance (logit
// adjustment, CB losses, resampling) already sits near its best at tau 0;
// a plain run gains on the rare classes as tau grows, until the head
// classes pay. Reading the best tau off these validation samples is
// optimistic.
func PostHoc(logs []*runlog.Log, taus []float64) (*Figure, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	if len(taus) == 0 {
		taus = DefaultTaus
	}
	names := runNames(logs)
	f := newFigure("post-hoc logit adjustment of each run's best epoch (valid; nothing retrained)", 1, 2)
	f.Width = 11 * vg.Inch
	f.Height = 4.8 * vg.Inch
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range taus {
		lo, hi = math.Min(lo, t), math.Max(hi, t)
	}
	panels := []struct {
		label string
		value func(balanced, accuracy float64) float64
	}{{"balanced accuracy (%)", func(b, _ float64) float64 { return b }}, {"accuracy (%)", func(_, a float64) float64 { return a }}}
	for col, pn := range panels {
		p := f.Panel(0, col)
		p.X.Label.Text = "tau (probabilities times prior^-tau)"
		p.Y.Label.Text = "valid " + pn.label
		p.Add(plotter.NewGrid())
		if lo <= 1 && 1 <= hi {
			ref := vLine(1, refStyle(refColor, true))
			p.Add(ref)
			if col == 0 {
				f.AddLegend("tau 1 (Menon et al.)", ref)
			}
		}
		for r, l := range logs {
			pts := make(plotter.XYs, len(taus))
			for i, tau := range taus {
				rep, err := runlog.PostHoc(l, tau)
				if err != nil {
					return nil, fmt.Errorf("run %q: %w", names[r], err)
				}
				pts[i] = plotter.XY{X: tau, Y: 100 * pn.value(rep.BalancedAccuracy, rep.Accuracy)}
			}
			legend := ""
			if col == 0 {
				legend = names[r]
			}
			if err := addRunSeries(f, p, r, pts, legend); err != nil {
				return nil, fmt.Errorf("plots: post-hoc: %w", err)
			}
		}
		p.X.Min, p.X.Max = lo-0.05*(hi-lo+1e-9), hi+0.05*(hi-lo+1e-9)
		padRange(&p.Y.Min, &p.Y.Max, true)
	}
	return f, nil
}
