package plots

import (
	"fmt"
	"image"
	"image/color"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// ClassCounts draws, per class, the training set's image count next to
// what the sampler drew per epoch (mean over epochs), and, beside it, the
// drawn counts of every epoch stacked by class. The drawn counts come from
// results.sampled_class_counts, else from the per-epoch training labels in
// y (which are the labels the sampler drew); the original counts from
// run.train_counts, and are left out when the log lacks them.
func ClassCounts(l *runlog.Log) (*Figure, error) {
	classes, err := Classes(l)
	if err != nil {
		return nil, err
	}
	drawn, err := sampledCounts(l, len(classes))
	if err != nil {
		return nil, err
	}
	var orig []int
	if l.Run != nil && len(l.Run.TrainCounts) > 0 {
		if len(l.Run.TrainCounts) != len(classes) {
			return nil, fmt.Errorf("%w: run.train_counts has %d entries for %d classes", ErrClassMismatch, len(l.Run.TrainCounts), len(classes))
		}
		orig = l.Run.TrainCounts
	}
	f := newFigure(runName(l, 0)+": class counts, training set vs sampler draws", 1, 2)
	left, right := f.Panel(0, 0), f.Panel(0, 1)
	left.Title.Text = "Per class"
	left.Y.Label.Text = "images (per epoch)"
	left.NominalX(classes...)
	left.Add(plotter.NewGrid())
	mean := make(plotter.Values, len(classes))
	for _, row := range drawn {
		for c, v := range row {
			mean[c] += float64(v) / float64(len(drawn))
		}
	}
	groups := []plotter.Values{mean}
	names := []string{"drawn per epoch (mean)"}
	if orig != nil {
		o := make(plotter.Values, len(orig))
		for c, v := range orig {
			o[c] = float64(v)
		}
		groups = []plotter.Values{o, mean}
		names = []string{"training set", "drawn per epoch (mean)"}
	}
	// The training set in light grey, the draws in dark grey: no class
	// colour of the stacked panel beside it (whose legend they share).
	groupColors := []color.Color{color.Gray{Y: 0xB8}, color.Gray{Y: 0x40}}
	// A panel is about 320 points wide; bars fill 70% of each class's slot.
	width := vg.Points(320 * 0.7 / float64(len(classes)*len(groups)))
	for g, vals := range groups {
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, fmt.Errorf("plots: class counts: %w", err)
		}
		bars.Color = groupColors[2-len(groups)+g]
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(g)-float64(len(groups)-1)/2)
		left.Add(bars)
		f.AddLegend(names[g], bars)
	}
	// Room above the tallest bar, so it does not touch the frame.
	top := 0.0
	for _, vals := range groups {
		for _, v := range vals {
			top = max(top, v)
		}
	}
	left.Y.Min, left.Y.Max = 0, top*1.06
	right.Title.Text = "Drawn per epoch, stacked by class"
	right.X.Label.Text = "epoch"
	right.Y.Label.Text = "images drawn"
	right.X.Tick.Marker = integerTicks{}
	right.Add(plotter.NewGrid())
	epochW := vg.Points(min(14, 300/float64(len(drawn))))
	var below *plotter.BarChart
	for c, name := range classes {
		vals := make(plotter.Values, len(drawn))
		for e, row := range drawn {
			vals[e] = float64(row[c])
		}
		bars, err := plotter.NewBarChart(vals, epochW)
		if err != nil {
			return nil, fmt.Errorf("plots: class counts: %w", err)
		}
		bars.Color = seriesColor(c)
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		right.Add(bars)
		f.AddLegend(name, bars)
	}
	tallest := 0
	for _, row := range drawn {
		n := 0
		for _, v := range row {
			n += v
		}
		tallest = max(tallest, n)
	}
	right.Y.Min, right.Y.Max = 0, float64(tallest)*1.06
	return f, nil
}

// sampledCounts returns drawn[e][c], per epoch and class.
func sampledCounts(l *runlog.Log, n int) ([][]int, error) {
	if sc := l.Results.SampledClassCounts; len(sc) > 0 {
		for e, row := range sc {
			if len(row) != n {
				return nil, fmt.Errorf("%w: sampled_class_counts[%d] has %d entries for %d classes", ErrClassMismatch, e, len(row), n)
			}
		}
		return sc, nil
	}
	var out [][]int
	for e := 0; e < epochs(l); e++ {
		yt := epochLabels(l.Y.Train, false, e)
		if len(yt) == 0 {
			break
		}
		c, err := countLabels(yt, n)
		if err != nil {
			return nil, fmt.Errorf("%w: y.train epoch %d: %v", ErrClassMismatch, e, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s has neither sampled_class_counts nor y.train labels", ErrNoData, runName(l, 0))
	}
	return out, nil
}

// TransformGrid draws before/after image pairs: one column per pair, the
// original on top and the transformed image below, labelled with
// labels[i] (a class name or transform; may be nil).
func TransformGrid(title string, before, after []image.Image, labels []string) (*Figure, error) {
	if len(before) == 0 {
		return nil, fmt.Errorf("%w: no image pairs", ErrNoData)
	}
	if len(before) != len(after) || (labels != nil && len(labels) != len(before)) {
		return nil, fmt.Errorf("plots: transform grid: %d before, %d after images and %d labels", len(before), len(after), len(labels))
	}
	n := len(before)
	f := newFigure(title, 2, n)
	f.Width = vg.Length(min(11, 1.6*float64(n)+0.6)) * vg.Inch
	f.Height = f.Width/vg.Length(n)*2 + 0.5*vg.Inch
	for i := range n {
		for r, img := range []image.Image{before[i], after[i]} {
			if img == nil {
				return nil, fmt.Errorf("plots: transform grid: image %d (%s) is nil", i, []string{"before", "after"}[r])
			}
			p := f.Panel(r, i)
			b := img.Bounds()
			p.Add(plotter.NewImage(img, 0, 0, float64(b.Dx()), float64(b.Dy())))
			p.HideAxes()
			p.Title.TextStyle.Font.Size = 10
			label := ""
			if labels != nil {
				label = labels[i] + ", "
			}
			p.Title.Text = label + []string{"before", "after"}[r]
		}
	}
	return f, nil
}
