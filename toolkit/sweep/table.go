package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/debiaser/debiaser/toolkit/metrics"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Metrics are the per-trial values a table reports, taken at each trial's
// best epoch (lowest validation loss). "minority" is the class with the
// fewest training samples in the trial's training fold.
var Metrics = []string{
	"valid_accuracy", "valid_loss", "minority_precision", "minority_recall",
	"precision_inverse_weighted", "recall_inverse_weighted", "precision_macro", "recall_macro",
}

// metricAliases are other names best_by accepts: balanced accuracy, the
// summary tables' valid_balanced_accuracy, is the macro-averaged recall.
var metricAliases = map[string]string{
	"valid_balanced_accuracy": "recall_macro",
	"balanced_accuracy":       "recall_macro",
}

// bestMetric is the metric best_by names: one of Metrics, through
// metricAliases; "" is valid_accuracy.
func bestMetric(bestBy string) (string, error) {
	if bestBy == "" {
		return "valid_accuracy", nil
	}
	if m, ok := metricAliases[bestBy]; ok {
		return m, nil
	}
	if !slices.Contains(Metrics, bestBy) {
		return "", fmt.Errorf("sweep: best_by %q is unknown (valid: %s; valid_balanced_accuracy picks recall_macro)", bestBy, strings.Join(Metrics, ", "))
	}
	return bestBy, nil
}

// lowerIsBetter lists the metrics where smaller wins.
var lowerIsBetter = map[string]bool{"valid_loss": true}

// Stat is a mean and standard deviation over folds (population std, ddof 0).
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Row is one combination of the grid.
type Row struct {
	Combination string                     `json:"combination"`
	Values      map[string]json.RawMessage `json:"values"`
	Folds       int                        `json:"folds"`
	Stats       map[string]Stat            `json:"stats"`
}

// Table is the result of a search.
type Table struct {
	Keys    []string `json:"keys"` // VariantKey when there are variants, then the grid keys, sorted
	Metrics []string `json:"metrics"`
	Rows    []Row    `json:"rows"`
	BestBy  string   `json:"best_by"`
	Best    int      `json:"best"` // index into Rows
}

// BestRow is the winning combination.
func (t *Table) BestRow() Row { return t.Rows[t.Best] }

// Collect reads every trial log of the search in dir and builds the
// table. It fails, naming them, if any trial has not finished.
func Collect(dir string) (*Table, error) {
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, fmt.Errorf("sweep: collect: %w", err)
	}
	var s Spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("sweep: collect: %s: %w", manifestName, err)
	}
	combos, err := s.Combinations()
	if err != nil {
		return nil, err
	}
	var missing []string
	logs := make([][]*runlog.Log, len(combos))
	for i, c := range combos {
		for f := 0; f < s.K; f++ {
			name := fmt.Sprintf("%s-f%d", c.Name, f)
			l, err := runlog.Read(filepath.Join(dir, "trials", name+".json"))
			if err != nil || l.Run == nil || l.Run.Status != runlog.StatusFinished {
				missing = append(missing, name)
				continue
			}
			logs[i] = append(logs[i], l)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sweep: collect: %d trials not finished: %s", len(missing), strings.Join(missing, ", "))
	}
	return buildTable(s, combos, logs)
}

func buildTable(s Spec, combos []Combination, logs [][]*runlog.Log) (*Table, error) {
	bestBy, err := bestMetric(s.BestBy)
	if err != nil {
		return nil, err
	}
	t := &Table{Metrics: Metrics, BestBy: bestBy}
	for k := range s.Grid {
		t.Keys = append(t.Keys, k)
	}
	slices.Sort(t.Keys)
	if len(s.Variants) > 0 {
		t.Keys = append([]string{VariantKey}, t.Keys...)
	}
	for i, c := range combos {
		row := Row{Combination: c.Name, Values: c.Values, Folds: len(logs[i]), Stats: map[string]Stat{}}
		values := map[string][]float64{}
		for _, l := range logs[i] {
			m, err := TrialMetrics(l)
			if err != nil {
				return nil, err
			}
			for k, v := range m {
				values[k] = append(values[k], v)
			}
		}
		for _, k := range Metrics {
			row.Stats[k] = stat(values[k])
		}
		t.Rows = append(t.Rows, row)
	}
	for i, r := range t.Rows {
		a, b := r.Stats[bestBy].Mean, t.Rows[t.Best].Stats[bestBy].Mean
		if lowerIsBetter[bestBy] && a < b || !lowerIsBetter[bestBy] && a > b {
			t.Best = i
		}
	}
	return t, nil
}

// TrialMetrics computes the table's metrics of one run log at its best
// epoch (by the run's best_by: lowest validation loss by default).
func TrialMetrics(l *runlog.Log) (map[string]float64, error) {
	if len(l.Results.ValidLoss) == 0 {
		return nil, errors.New("sweep: a trial log has no epochs")
	}
	best, err := l.Best()
	if err != nil {
		return nil, fmt.Errorf("sweep: trial %s: %w", l.Note, err)
	}
	key := strconv.Itoa(best)
	yt, yp := l.Y.Valid.True[key], l.Y.Valid.Pred[key]
	n := len(l.Results.ValidPrecision)
	if l.Run != nil && len(l.Run.Classes) > 0 {
		n = len(l.Run.Classes)
	}
	r, err := metrics.Compute(yt, yp, n)
	if err != nil {
		return nil, fmt.Errorf("sweep: trial labels at epoch %d: %w", best, err)
	}
	minority := 0
	if l.Run != nil && len(l.Run.TrainCounts) == n {
		for c, k := range l.Run.TrainCounts {
			if k < l.Run.TrainCounts[minority] {
				minority = c
			}
		}
	}
	return map[string]float64{
		"valid_accuracy":             r.Accuracy,
		"valid_loss":                 l.Results.ValidLoss[best],
		"minority_precision":         r.Precision[minority],
		"minority_recall":            r.Recall[minority],
		"precision_inverse_weighted": r.PrecisionInverseWeighted,
		"recall_inverse_weighted":    r.RecallInverseWeighted,
		"precision_macro":            r.PrecisionMacro,
		"recall_macro":               r.RecallMacro,
	}, nil
}

func stat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{Mean: math.NaN(), Std: math.NaN()}
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return Stat{Mean: m, Std: math.Sqrt(v / float64(len(xs)))}
}

func (t *Table) cells() (header []string, rows [][]string) {
	header = append([]string{"combination"}, t.Keys...)
	for _, m := range t.Metrics {
		header = append(header, m)
	}
	for i, r := range t.Rows {
		name := r.Combination
		if i == t.Best {
			name += " *"
		}
		row := []string{name}
		for _, k := range t.Keys {
			v := string(r.Values[k])
			if k == VariantKey {
				var name string
				if json.Unmarshal(r.Values[k], &name) == nil {
					v = name
				}
			}
			row = append(row, v)
		}
		for _, m := range t.Metrics {
			s := r.Stats[m]
			row = append(row, fmt.Sprintf("%.4f ± %.4f", s.Mean, s.Std))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// String renders an aligned text table; the best combination is starred.
func (t *Table) String() string {
	header, rows := t.cells()
	width := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			fmt.Fprintf(&b, "%-*s  ", width[i], c)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "best by %s: %s\n", t.BestBy, t.BestRow().Combination)
	return b.String()
}

// Markdown renders a GitHub-flavoured markdown table.
func (t *Table) Markdown() string {
	header, rows := t.cells()
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// HTML renders the table for notebooks; the best row is bold.
func (t *Table) HTML() string {
	header, rows := t.cells()
	var b strings.Builder
	b.WriteString("<table><thead><tr>")
	for _, h := range header {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr></thead><tbody>")
	for i, r := range rows {
		b.WriteString("<tr>")
		for _, c := range r {
			c = html.EscapeString(c)
			if i == t.Best {
				c = "<b>" + c + "</b>"
			}
			b.WriteString("<td>" + c + "</td>")
		}
		b.WriteString("</tr>")
	}
	fmt.Fprintf(&b, "</tbody></table><p>best by %s: <b>%s</b></p>", html.EscapeString(t.BestBy), html.EscapeString(t.BestRow().Combination))
	return b.String()
}
