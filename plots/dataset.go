package plots

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/data"
)

// DatasetCounts draws the images per class of a training set and, when
// valid is not nil, of its validation set beside it (grouped bars, counts
// printed above them), with the imbalance ratio of the training set (its
// largest class over its smallest) in the title. It reads the datasets,
// not a run log: the data as loaded, before any sampler.
func DatasetCounts(title string, train, valid *data.Dataset) (*Figure, error) {
	if train == nil || train.Len() == 0 {
		return nil, fmt.Errorf("%w: empty training set", ErrNoData)
	}
	groups := []*data.Dataset{train}
	names := []string{fmt.Sprintf("train (%d)", train.Len())}
	if valid != nil {
		if !slices.Equal(valid.Classes, train.Classes) {
			return nil, fmt.Errorf("%w: train has %v, valid %v", ErrClassMismatch, train.Classes, valid.Classes)
		}
		groups = append(groups, valid)
		names = append(names, fmt.Sprintf("valid (%d)", valid.Len()))
	}
	counts := train.Counts()
	if title != "" {
		title += ": "
	}
	f := newFigure(fmt.Sprintf("%simages per class, imbalance ratio %s", title, ratio(counts)), 1, 1)
	p := f.Panel(0, 0)
	p.Y.Label.Text = "images"
	p.NominalX(train.Classes...)
	p.Add(plotter.NewGrid())
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	p.Y.Min, p.Y.Max = 0, float64(top)*1.08 // room for the labels
	// Training in blue, validation in vermillion, as in the curves.
	colors := []color.Color{trainColor, validColor}
	width := vg.Points(min(40, 480*0.7/float64(len(train.Classes)*len(groups))))
	for g, ds := range groups {
		vals := make(plotter.Values, len(train.Classes))
		for c, n := range ds.Counts() {
			vals[c] = float64(n)
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, fmt.Errorf("plots: dataset counts: %w", err)
		}
		bars.Color = colors[g]
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(g)-float64(len(groups)-1)/2)
		p.Add(bars)
		f.AddLegend(names[g], bars)
		if len(train.Classes) <= 12 {
			labels, err := barLabels(vals, bars.Offset)
			if err != nil {
				return nil, err
			}
			p.Add(labels)
		}
	}
	return f, nil
}

// barLabels prints each bar's value just above it.
func barLabels(vals plotter.Values, offset vg.Length) (*plotter.Labels, error) {
	xys := plotter.XYLabels{XYs: make(plotter.XYs, len(vals)), Labels: make([]string, len(vals))}
	for i, v := range vals {
		xys.XYs[i] = plotter.XY{X: float64(i), Y: v}
		xys.Labels[i] = fmt.Sprint(v)
	}
	l, err := plotter.NewLabels(xys)
	if err != nil {
		return nil, fmt.Errorf("plots: bar labels: %w", err)
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = 8
		l.TextStyle[i].XAlign = -0.5
	}
	l.Offset = vg.Point{X: offset, Y: vg.Points(2)}
	return l, nil
}

// ratio formats largest/smallest of the non-zero counts.
func ratio(counts []int) string {
	lo, hi := 0, 0
	for _, n := range counts {
		if n > 0 && (lo == 0 || n < lo) {
			lo = n
		}
		hi = max(hi, n)
	}
	if lo == 0 {
		return "undefined"
	}
	return fmt.Sprintf("%.3g", float64(hi)/float64(lo))
}

// ClassImages draws perClass images of each class of ds in a grid, one row
// per class labelled with the class name and its image count. The images
// of each class are chosen by a shuffle seeded by seed; a class with fewer
// images leaves its remaining tiles empty.
func ClassImages(title string, ds *data.Dataset, perClass int, seed int64) (*Figure, error) {
	if ds == nil || ds.Len() == 0 || len(ds.Classes) == 0 {
		return nil, fmt.Errorf("%w: empty dataset", ErrNoData)
	}
	if perClass < 1 {
		return nil, fmt.Errorf("plots: class images: perClass %d < 1", perClass)
	}
	byClass := make([][]int, len(ds.Classes))
	for i, y := range ds.Labels {
		if y < 0 || y >= len(ds.Classes) {
			return nil, fmt.Errorf("%w: image %d has label %d of %d classes", ErrClassMismatch, i, y, len(ds.Classes))
		}
		byClass[y] = append(byClass[y], i)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	rows, cols := len(ds.Classes), perClass
	f := newFigure(title, rows, cols)
	// Square tiles of at most 1.2 inches, the grid at most 10 x 11 inches.
	tile := min(1.2*vg.Inch, 10*vg.Inch/vg.Length(cols), 11*vg.Inch/vg.Length(rows))
	// Tiles plus the gaps of Figure.Draw (16 and 12 points), its 8-point
	// margins, the row labels and the title, so the images stay square.
	f.Width = (tile+vg.Points(16))*vg.Length(cols) + vg.Points(28)
	f.Height = (tile+vg.Points(12))*vg.Length(rows) + vg.Points(10)
	if title != "" {
		f.Height += vg.Points(24)
	}
	for c, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for k := range cols {
			if k >= len(idx) {
				f.Panels[c][k] = nil
				continue
			}
			img := ds.Images[idx[k]]
			if img == nil {
				return nil, fmt.Errorf("plots: class images: image %d of class %s is nil", idx[k], ds.Classes[c])
			}
			p := f.Panel(c, k)
			b := img.Bounds()
			p.Add(plotter.NewImage(image.Image(img), 0, 0, float64(b.Dx()), float64(b.Dy())))
			p.HideAxes()
			if k == 0 {
				p.Y.Label.Text = fmt.Sprintf("%s (%d)", ds.Classes[c], len(idx))
				p.Y.Label.TextStyle.Font.Size = 10
			}
		}
	}
	return f, nil
}
