package plots

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// SamplerDraws is what one sampling strategy drew, Counts[epoch][class]
// (sampling.EpochCounts, or a run log's sampled_class_counts).
type SamplerDraws struct {
	Strategy string
	Counts   [][]int
}

// epochColors colour the epochs' bars; the training set is grey.
var epochColors = []int{4, 1, 2, 5, 0, 3}

// SamplerCounts draws one panel per strategy, all on one scale: for each
// class, its training count (grey) and what the sampler drew in each
// epoch beside it. It needs no run: the draws come from the samplers.
func SamplerCounts(classes []string, original []int, draws []SamplerDraws) (*Figure, error) {
	epochs, err := checkDraws(classes, original, draws)
	if err != nil {
		return nil, err
	}
	cols := min(2, len(draws))
	rows := (len(draws) + cols - 1) / cols
	f := newFigure("Images per class: training set vs drawn per epoch", rows, cols)
	f.Height = vg.Length(rows)*3*vg.Inch + 0.5*vg.Inch
	top := 0
	for _, n := range original {
		top = max(top, n)
	}
	for _, d := range draws {
		for _, row := range d.Counts {
			for _, n := range row {
				top = max(top, n)
			}
		}
	}
	groups := epochs + 1
	width := vg.Points(min(20, 330*0.75/float64(len(classes)*groups)))
	for i, d := range draws {
		p := f.Panel(i/cols, i%cols)
		p.Title.Text = d.Strategy
		p.NominalX(classes...)
		p.Y.Min, p.Y.Max = 0, float64(top)*1.05
		if i%cols == 0 {
			p.Y.Label.Text = "images"
		}
		p.Add(plotter.NewGrid())
		for g := range groups {
			vals := make(plotter.Values, len(classes))
			for c := range classes {
				if g == 0 {
					vals[c] = float64(original[c])
				} else {
					vals[c] = float64(d.Counts[g-1][c])
				}
			}
			bars, err := plotter.NewBarChart(vals, width)
			if err != nil {
				return nil, fmt.Errorf("plots: sampler counts: %w", err)
			}
			bars.LineStyle.Width = 0
			bars.Offset = width * vg.Length(float64(g)-float64(groups-1)/2)
			bars.Color = color.Gray{Y: 0xA8}
			if g > 0 {
				bars.Color = OkabeIto[epochColors[(g-1)%len(epochColors)]]
			}
			p.Add(bars)
			if i == 0 {
				name := "training set"
				if g > 0 {
					name = fmt.Sprintf("epoch %d", g-1)
				}
				f.AddLegend(name, bars)
			}
		}
	}
	for i := len(draws); i < rows*cols; i++ {
		f.Panels[i/cols][i%cols] = nil
	}
	return f, nil
}

// SamplerTable is the study's resampling table: one row per epoch, a
// column for the training set and one per strategy, each cell the class
// counts in class order ("750 / 425 / 250 / 75") and their total.
func SamplerTable(classes []string, original []int, draws []SamplerDraws) (*Table, error) {
	epochs, err := checkDraws(classes, original, draws)
	if err != nil {
		return nil, err
	}
	t := &Table{Header: []string{"epoch", "original"}}
	for _, d := range draws {
		t.Header = append(t.Header, d.Strategy)
	}
	for e := range epochs {
		row := []string{fmt.Sprint(e), countsCell(original)}
		for _, d := range draws {
			row = append(row, countsCell(d.Counts[e]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func countsCell(counts []int) string {
	parts := make([]string, len(counts))
	total := 0
	for i, n := range counts {
		parts[i] = fmt.Sprint(n)
		total += n
	}
	return fmt.Sprintf("%s (%d)", strings.Join(parts, " / "), total)
}

// checkDraws checks that every count has one entry per class and every
// strategy the same number of epochs, and returns that number.
func checkDraws(classes []string, original []int, draws []SamplerDraws) (int, error) {
	if len(draws) == 0 || len(classes) == 0 {
		return 0, fmt.Errorf("%w: no sampler draws", ErrNoData)
	}
	if len(original) != len(classes) {
		return 0, fmt.Errorf("%w: %d original counts for %d classes", ErrClassMismatch, len(original), len(classes))
	}
	epochs := len(draws[0].Counts)
	for _, d := range draws {
		if len(d.Counts) == 0 || len(d.Counts) != epochs {
			return 0, fmt.Errorf("%w: %s has %d epochs, %s %d", ErrNoData, d.Strategy, len(d.Counts), draws[0].Strategy, epochs)
		}
		for e, row := range d.Counts {
			if len(row) != len(classes) {
				return 0, fmt.Errorf("%w: %s epoch %d has %d counts for %d classes", ErrClassMismatch, d.Strategy, e, len(row), len(classes))
			}
		}
	}
	return epochs, nil
}
