package plots

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// bestValues returns values[m][r]: metric m of run r at its best epoch,
// in percent for rates.
func bestValues(logs []*runlog.Log, metrics []string) ([][]float64, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	if len(metrics) == 0 {
		return nil, fmt.Errorf("plots: no metrics chosen (e.g. %s)", strings.Join(StudyMetrics, ", "))
	}
	if _, err := sameClasses(logs); err != nil {
		return nil, err
	}
	out := make([][]float64, len(metrics))
	for m, name := range metrics {
		out[m] = make([]float64, len(logs))
		for r, l := range logs {
			v, err := Metric(l, name, -1)
			if err != nil {
				return nil, fmt.Errorf("run %q: %w", runName(l, r), err)
			}
			if IsRate(name) {
				v *= 100
			}
			out[m][r] = v
		}
	}
	return out, nil
}

// compared returns what MethodBars and BaselineDeltas show: values[m][r]
// (see bestValues), the run names and the baseline's index (-1: none).
func compared(logs []*runlog.Log, baseline string, metrics []string) ([][]float64, []string, int, error) {
	vals, err := bestValues(logs, metrics)
	if err != nil {
		return nil, nil, 0, err
	}
	names := runNames(logs)
	bi, err := baselineIndex(names, baseline)
	if err != nil {
		return nil, nil, 0, err
	}
	return vals, names, bi, nil
}

// baselineIndex finds the run named baseline ("" means none).
func baselineIndex(names []string, baseline string) (int, error) {
	if baseline == "" {
		return -1, nil
	}
	i := slices.Index(names, baseline)
	if i < 0 {
		return -1, fmt.Errorf("plots: baseline %q is not among the runs (%s)", baseline, strings.Join(names, ", "))
	}
	return i, nil
}

// MethodBars compares runs (one per method, named by their notes) on the
// chosen metrics at each run's best epoch: grouped horizontal bars, one
// colour per metric, with the baseline run's values as dashed lines, and
// beside them the change vs the baseline in percentage points, as in the
// study's results tables. An empty baseline draws the values only.
func MethodBars(logs []*runlog.Log, baseline string, metrics ...string) (*Figure, error) {
	vals, names, bi, err := compared(logs, baseline, metrics)
	if err != nil {
		return nil, err
	}
	cols := 1
	if bi >= 0 {
		cols = 2
	}
	n := len(logs)
	f := newFigure("methods compared at each run's best epoch", 1, cols)
	f.Height = vg.Length(math.Max(4, 1.4+0.13*float64(n*len(metrics)))) * vg.Inch
	// Runs top to bottom in the given order.
	rev := make([]string, n)
	for r, name := range names {
		rev[n-1-r] = name
	}
	pos := func(r int) float64 { return float64(n - 1 - r) }
	panelH := float64(f.Height/vg.Inch-1.3) * 72
	barW := vg.Points(panelH / float64(n) * 0.8 / float64(len(metrics)))
	offset := func(m int) vg.Length { return barW * vg.Length(float64(m)-float64(len(metrics)-1)/2) }
	// bars draws metric m's values of every run, the first run on top and
	// the first metric on top within each run's group.
	bars := func(p *plot.Plot, m int, v []float64) (*plotter.BarChart, error) {
		ordered := make(plotter.Values, n)
		for r := range v {
			ordered[int(pos(r))] = v[r]
		}
		b, err := plotter.NewBarChart(ordered, barW)
		if err != nil {
			return nil, fmt.Errorf("plots: %s: %w", metrics[m], err)
		}
		b.Horizontal = true
		b.Color = seriesColor(m)
		b.LineStyle.Width = 0
		b.Offset = -offset(m)
		p.Add(b)
		return b, nil
	}
	abs := f.Panel(0, 0)
	abs.Title.Text = "Value"
	abs.X.Label.Text = "value at best epoch (% for rates)"
	abs.NominalY(rev...)
	abs.Add(plotter.NewGrid())
	for m, name := range metrics {
		b, err := bars(abs, m, vals[m])
		if err != nil {
			return nil, err
		}
		f.AddLegend(MetricLabel(name), b)
	}
	padRange(&abs.X.Min, &abs.X.Max, false)
	if bi < 0 {
		return f, nil
	}
	// Baseline lines last, so bars do not hide them.
	for m := range metrics {
		sty := refStyle(seriesColor(m), true)
		sty.Width = vg.Points(1.6)
		abs.Add(vLine(vals[m][bi], sty))
	}
	f.AddLegend("baseline: "+names[bi], vLine(0, refStyle(refColor, true)))
	d := f.Panel(0, 1)
	d.Title.Text = "Change vs " + names[bi]
	d.X.Label.Text = "change (percentage points)"
	d.NominalY(rev...)
	d.Add(plotter.NewGrid())
	d.Add(vLine(0, refStyle(refColor, false)))
	for m := range metrics {
		delta := make([]float64, n)
		for r := range delta {
			delta[r] = vals[m][r] - vals[m][bi]
		}
		if _, err := bars(d, m, delta); err != nil {
			return nil, err
		}
	}
	padRange(&d.X.Min, &d.X.Max, true)
	return f, nil
}

// splitClasses checks split ("" is valid) and that every run has the first
// run's classes, and returns both.
func splitClasses(logs []*runlog.Log, split string) (string, []string, error) {
	if split == "" {
		split = SplitValid
	}
	if split != SplitValid && split != SplitTrain {
		return "", nil, fmt.Errorf("plots: unknown split %q (valid: %s, %s)", split, SplitTrain, SplitValid)
	}
	classes, err := sameClasses(logs)
	return split, classes, err
}

// Scatter draws per-class precision vs recall at each run's best epoch,
// one panel per class and one point per run (the study's viz_scatter).
// split is "valid" (default) or "train".
func Scatter(logs []*runlog.Log, split string) (*Figure, error) {
	split, classes, err := splitClasses(logs, split)
	if err != nil {
		return nil, err
	}
	names := runNames(logs)
	cols := min(2, len(classes))
	rows := (len(classes) + cols - 1) / cols
	f := newFigure(fmt.Sprintf("per-class precision vs recall (%s, best epoch of each run)", split), rows, cols)
	f.Width = 10 * vg.Inch
	f.Height = vg.Length(0.6+3.2*float64(rows)) * vg.Inch
	for c, class := range classes {
		p := f.Panel(c/cols, c%cols)
		p.Title.Text = class
		p.X.Label.Text = "recall (%)"
		p.Y.Label.Text = "precision (%)"
		p.Add(plotter.NewGrid())
		for r, l := range logs {
			prec, err := Metric(l, split+"_precision:"+class, -1)
			if err != nil {
				return nil, fmt.Errorf("run %q: %w", names[r], err)
			}
			rec, err := Metric(l, split+"_recall:"+class, -1)
			if err != nil {
				return nil, fmt.Errorf("run %q: %w", names[r], err)
			}
			s, err := plotter.NewScatter(plotter.XYs{{X: 100 * rec, Y: 100 * prec}})
			if err != nil {
				return nil, fmt.Errorf("plots: scatter: %w", err)
			}
			s.GlyphStyle = seriesGlyph(r)
			p.Add(s)
			if c == 0 {
				f.AddLegend(names[r], s)
			}
		}
	}
	for c := range classes {
		p := f.Panel(c/cols, c%cols)
		padRange(&p.X.Min, &p.X.Max, true)
		padRange(&p.Y.Min, &p.Y.Max, true)
		// Rates live in 0-100: keep only a sliver of room beyond.
		p.X.Min, p.X.Max = math.Max(p.X.Min, -2), math.Min(p.X.Max, 102)
		p.Y.Min, p.Y.Max = math.Max(p.Y.Min, -2), math.Min(p.Y.Max, 102)
	}
	for i := len(classes); i < rows*cols; i++ {
		f.Panels[i/cols][i%cols] = nil
	}
	return f, nil
}

// Overlay draws one metric per epoch for every run on one panel, with a
// dot at each run's best epoch.
func Overlay(logs []*runlog.Log, metric string) (*Figure, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	names := runNames(logs)
	f := newFigure(MetricLabel(metric)+" per epoch, across runs", 1, 1)
	p := f.Panel(0, 0)
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = MetricLabel(metric)
	p.X.Tick.Marker = integerTicks{}
	p.Add(plotter.NewGrid())
	k := 1.0
	if IsRate(metric) {
		k = 100
	}
	for r, l := range logs {
		v, err := MetricSeries(l, metric)
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", names[r], err)
		}
		line, err := epochLine(scaled(v, k), seriesLine(r))
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", names[r], err)
		}
		p.Add(line)
		best, err := BestEpoch(l)
		if err != nil {
			return nil, err
		}
		if best < len(v) {
			dot, err := plotter.NewScatter(plotter.XYs{{X: float64(best), Y: k * v[best]}})
			if err == nil {
				dot.GlyphStyle = seriesGlyph(r)
				p.Add(dot)
				f.AddLegend(names[r], line, dot)
				continue
			}
		}
		f.AddLegend(names[r], line)
	}
	f.AddLegend("marker: best epoch")
	// Room for markers at the last epoch.
	p.X.Min, p.X.Max = 0, p.X.Max+0.3
	padRange(&p.Y.Min, &p.Y.Max, true)
	return f, nil
}

// padRange widens an axis range by 8% at the top (and the bottom when
// both is set), so bars and points at the extremes stay off the edge.
func padRange(lo, hi *float64, both bool) {
	span := *hi - *lo
	if span <= 0 {
		span = math.Max(math.Abs(*hi), 1)
	}
	*hi += 0.08 * span
	if both {
		*lo -= 0.08 * span
	}
}
