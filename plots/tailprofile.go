package plots

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// TailProfile draws each run's per-class recall (top) and precision
// (bottom) at its best epoch, with the classes ordered by their training
// images, head to tail: the long-tail literature's view of where along the
// tail a method gains recall, and what it costs in precision and on the
// head classes (the study's goal was good precision and recall on every
// class). Each class is labelled with its training images, from the first
// run's run.train_counts (else its validation samples: the study's own
// logs have no counts). split is "valid" (default) or "train".
func TailProfile(logs []*runlog.Log, split string) (*Figure, error) {
	split, classes, err := splitClasses(logs, split)
	if err != nil {
		return nil, err
	}
	sizes, what, err := classSizes(logs[0], len(classes))
	if err != nil {
		return nil, err
	}
	order := make([]int, len(classes)) // order[k]: the class at position k
	for c := range order {
		order[c] = c
	}
	slices.SortStableFunc(order, func(a, b int) int { return sizes[b] - sizes[a] })
	labels := make([]string, len(classes))
	for k, c := range order {
		labels[k] = fmt.Sprintf("%s\n(%d)", classes[c], sizes[c])
	}
	names := runNames(logs)
	f := newFigure(fmt.Sprintf("recall and precision by class, head to tail (%s, best epoch of each run)", split), 2, 1)
	f.Width = vg.Length(max(7, 0.8*float64(len(classes))+3.5)) * vg.Inch
	f.Height = 7.5 * vg.Inch
	for row, metric := range []string{"recall", "precision"} {
		p := f.Panel(row, 0)
		p.NominalX(labels...)
		if row == 1 {
			p.X.Label.Text = "class (" + what + "), most to fewest"
		}
		p.Y.Label.Text = split + " " + metric + " (%)"
		p.Add(plotter.NewGrid())
		for r, l := range logs {
			pts := make(plotter.XYs, len(order))
			for k, c := range order {
				v, err := Metric(l, split+"_"+metric+":"+classes[c], -1)
				if err != nil {
					return nil, fmt.Errorf("run %q: %w", names[r], err)
				}
				pts[k] = plotter.XY{X: float64(k), Y: 100 * v}
			}
			legend := ""
			if row == 0 {
				legend = names[r]
			}
			if err := addRunSeries(f, p, r, pts, legend); err != nil {
				return nil, fmt.Errorf("plots: tail profile: %w", err)
			}
		}
		p.X.Min, p.X.Max = -0.4, float64(len(classes))-0.6
		p.Y.Min, p.Y.Max = -3, 103
	}
	return f, nil
}

// addRunSeries draws run r's points on p as a line with markers in the
// run's style, and adds them to f's legend as legend unless it is empty.
func addRunSeries(f *Figure, p *plot.Plot, r int, pts plotter.XYs, legend string) error {
	line, dots, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	line.LineStyle = seriesLine(r)
	dots.GlyphStyle = seriesGlyph(r)
	p.Add(line, dots)
	if legend != "" {
		f.AddLegend(legend, line, dots)
	}
	return nil
}

// classSizes are the per-class sizes that order TailProfile: the run's
// training counts, else its validation samples at epoch 0; what says
// which.
func classSizes(l *runlog.Log, n int) (sizes []int, what string, err error) {
	if l.Run != nil && len(l.Run.TrainCounts) == n {
		return l.Run.TrainCounts, "training images", nil
	}
	yt := epochLabels(l.Y.Valid, false, 0)
	if len(yt) == 0 {
		return nil, "", fmt.Errorf("%w: neither run.train_counts nor y.valid.true.0 to size the classes", ErrEmptyLog)
	}
	sizes, err = countLabels(yt, n)
	if err != nil {
		return nil, "", fmt.Errorf("%w: y.valid epoch 0: %v", ErrClassMismatch, err)
	}
	return sizes, "validation samples", nil
}
