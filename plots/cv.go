package plots

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// cvIgnored are var_dict keys that differ between folds or machines but
// are not searched parameters.
var cvIgnored = map[string]bool{"log_id": true, "seed": true, "train_path": true, "valid_path": true, "weights_path": true, "backend": true}

// CVGroup is one parameter combination of a search: its runs' metric at
// their best epochs (one per fold), mean and population standard deviation
// (over the K folds, as scikit-learn's GridSearchCV and sweep.Table report it).
type CVGroup struct {
	Params string // "learning_rate=1e-05, beta=0.99"
	Values []float64
	Mean   float64
	Std    float64
}

// CVSummary groups runs by the var_dict values of params (when none are
// given, every key whose value differs between the runs) and summarises
// metric per group, best mean first (lowest first for a loss).
func CVSummary(logs []*runlog.Log, metric string, params ...string) ([]CVGroup, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	dicts := make([]map[string]string, len(logs))
	for i, l := range logs {
		if l == nil {
			return nil, fmt.Errorf("%w (nil log %d)", ErrEmptyLog, i+1)
		}
		d, err := varDict(l)
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", runName(l, i), err)
		}
		dicts[i] = d
	}
	if len(params) == 0 {
		params = varying(dicts)
	}
	for _, p := range params {
		if _, ok := dicts[0][p]; !ok {
			return nil, fmt.Errorf("plots: unknown var_dict key %q", p)
		}
	}
	byKey := map[string]*CVGroup{}
	var order []string
	for i, l := range logs {
		parts := make([]string, len(params))
		for k, p := range params {
			parts[k] = p + "=" + dicts[i][p]
		}
		key := strings.Join(parts, ", ")
		if key == "" {
			key = "all runs"
		}
		g, ok := byKey[key]
		if !ok {
			g = &CVGroup{Params: key}
			byKey[key] = g
			order = append(order, key)
		}
		v, err := Metric(l, metric, -1)
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", runName(l, i), err)
		}
		g.Values = append(g.Values, v)
	}
	out := make([]CVGroup, 0, len(order))
	for _, key := range order {
		g := byKey[key]
		for _, v := range g.Values {
			g.Mean += v / float64(len(g.Values))
		}
		for _, v := range g.Values {
			g.Std += (v - g.Mean) * (v - g.Mean)
		}
		g.Std = math.Sqrt(g.Std / float64(len(g.Values)))
		out = append(out, *g)
	}
	lowerBetter := runlog.LowerIsBetter(metric)
	sort.SliceStable(out, func(a, b int) bool {
		if lowerBetter {
			return out[a].Mean < out[b].Mean
		}
		return out[a].Mean > out[b].Mean
	})
	return out, nil
}

// CVResults draws CVSummary as horizontal bars, best combination on top,
// with mean +- one standard deviation across folds.
func CVResults(logs []*runlog.Log, metric string, params ...string) (*Figure, error) {
	groups, err := CVSummary(logs, metric, params...)
	if err != nil {
		return nil, err
	}
	k := 1.0
	if IsRate(metric) {
		k = 100
	}
	n := len(groups)
	f := newFigure(fmt.Sprintf("cross-validation: %s, mean ± std over folds", MetricLabel(metric)), 1, 1)
	f.Width = 9 * vg.Inch
	f.Height = vg.Length(math.Max(3.5, 1.3+0.45*float64(n))) * vg.Inch
	p := f.Panel(0, 0)
	p.X.Label.Text = MetricLabel(metric)
	means := make(plotter.Values, n)
	errs := make(plotter.XErrors, n)
	pts := make(plotter.XYs, n)
	labels := make([]string, n)
	for i, g := range groups {
		at := n - 1 - i // best on top
		means[at] = k * g.Mean
		errs[at] = struct{ Low, High float64 }{k * g.Std, k * g.Std}
		pts[at] = plotter.XY{X: k * g.Mean, Y: float64(at)}
		labels[at] = fmt.Sprintf("%s (n=%d)", g.Params, len(g.Values))
	}
	p.NominalY(labels...)
	p.Add(plotter.NewGrid())
	bars, err := plotter.NewBarChart(means, vg.Points(math.Min(28, 200/float64(n))))
	if err != nil {
		return nil, fmt.Errorf("plots: cv: %w", err)
	}
	bars.Horizontal = true
	bars.Color = OkabeIto[1]
	bars.LineStyle.Width = 0
	p.Add(bars)
	eb, err := plotter.NewXErrorBars(struct {
		plotter.XYs
		plotter.XErrors
	}{pts, errs})
	if err != nil {
		return nil, fmt.Errorf("plots: cv: %w", err)
	}
	eb.LineStyle.Width = vg.Points(1.5)
	p.Add(eb)
	text := make([]string, n)
	tpts := make(plotter.XYs, n)
	for i, g := range groups {
		at := n - 1 - i
		text[at] = fmt.Sprintf("%.2f ± %.2f", k*g.Mean, k*g.Std)
		tpts[at] = plotter.XY{X: k * (g.Mean + g.Std), Y: float64(at)}
	}
	lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: tpts, Labels: text})
	if err != nil {
		return nil, fmt.Errorf("plots: cv: %w", err)
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].Font.Size = 9
		lbl.TextStyle[i].YAlign = draw.YCenter
	}
	lbl.Offset = vg.Point{X: vg.Points(6)}
	p.Add(lbl)
	// Room on the right for the value labels.
	p.X.Max *= 1.18
	f.AddLegend("mean over folds", bars)
	f.AddLegend("± 1 std", vLine(0, eb.LineStyle))
	return f, nil
}

// varDict flattens a log's var_dict to key -> printed value.
func varDict(l *runlog.Log) (map[string]string, error) {
	data, err := json.Marshal(l.VarDict)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case float64:
			out[k] = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out, nil
}

// varying lists the var_dict keys whose values differ between runs.
func varying(dicts []map[string]string) []string {
	var keys []string
	for k, v := range dicts[0] {
		if cvIgnored[k] {
			continue
		}
		for _, d := range dicts[1:] {
			if d[k] != v {
				keys = append(keys, k)
				break
			}
		}
	}
	sort.Strings(keys)
	return keys
}
