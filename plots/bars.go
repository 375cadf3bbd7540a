package plots

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Bars is a grouped bar chart of any numbers: one group of bars per
// category (e.g. a class), one bar per series within it (e.g. a weighting
// scheme, or a model before and after training), each series in its own
// colour with a legend entry. Values[s][g] is series s at category g.
// It draws what the run-log charts do not cover: class weights, loss values,
// final-layer norms per class.
type Bars struct {
	Title      string
	XLabel     string // the categories' axis
	YLabel     string
	Categories []string
	Series     []string
	Values     [][]float64
	// RefLine draws a dashed horizontal reference line at this value
	// (e.g. a MaxNorm threshold) when RefLabel, its legend entry, is set.
	RefLine  float64
	RefLabel string
}

// ErrBars reports a Bars whose shape does not match its labels.
var ErrBars = errors.New("plots: bars")

// GroupedBars draws b as a figure; errors name what does not fit.
func GroupedBars(b Bars) (*Figure, error) {
	nc, ns := len(b.Categories), len(b.Series)
	if nc == 0 || ns == 0 {
		return nil, fmt.Errorf("%w: need at least one category and one series (got %d and %d)", ErrBars, nc, ns)
	}
	if len(b.Values) != ns {
		return nil, fmt.Errorf("%w: %d rows of values for %d series", ErrBars, len(b.Values), ns)
	}
	for s, row := range b.Values {
		if len(row) != nc {
			return nil, fmt.Errorf("%w: series %q has %d values for %d categories", ErrBars, b.Series[s], len(row), nc)
		}
		for g, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: series %q, category %q: value %g is not finite", ErrBars, b.Series[s], b.Categories[g], v)
			}
		}
	}
	f := newFigure(b.Title, 1, 1)
	p := f.Panel(0, 0)
	p.X.Label.Text = b.XLabel
	p.Y.Label.Text = b.YLabel
	p.NominalX(b.Categories...)
	p.Add(plotter.NewGrid())
	// A panel is about 440 points wide; bars fill 80% of each category's slot.
	width := vg.Points(440 * 0.8 / float64(nc*ns))
	for s, row := range b.Values {
		bars, err := plotter.NewBarChart(plotter.Values(row), width)
		if err != nil {
			return nil, fmt.Errorf("%w: series %q: %v", ErrBars, b.Series[s], err)
		}
		bars.Color = seriesColor(s)
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(s)-float64(ns-1)/2)
		p.Add(bars)
		f.AddLegend(b.Series[s], bars)
	}
	// Bars start at zero, with headroom above the tallest.
	p.Y.Min = math.Min(p.Y.Min, 0)
	p.Y.Max = math.Max(p.Y.Max, 0)
	if b.RefLabel != "" {
		if math.IsNaN(b.RefLine) || math.IsInf(b.RefLine, 0) {
			return nil, fmt.Errorf("%w: reference line %q at %g", ErrBars, b.RefLabel, b.RefLine)
		}
		line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: b.RefLine}, {X: float64(nc) - 0.5, Y: b.RefLine}})
		if err != nil {
			return nil, fmt.Errorf("%w: reference line: %v", ErrBars, err)
		}
		line.LineStyle = refStyle(refColor, true)
		p.Add(line)
		f.AddLegend(b.RefLabel, line)
	}
	p.Y.Max += 0.05 * (p.Y.Max - p.Y.Min)
	return f, nil
}
