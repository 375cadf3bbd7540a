package runlog

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/debiaser/debiaser/toolkit/config"
)

// DefaultColumns are the columns of the study's table of runs, with the
// minority class and the inverse-weighted averages added.
var DefaultColumns = []string{
	"valid_loss", "valid_accuracy",
	"valid_precision:minority", "valid_recall:minority",
	"valid_precision_inverse_weighted", "valid_recall_inverse_weighted",
	"sampling_strategy", "loss_family", "loss_type", "reg_strategy", "learning_rate", "note",
}

// SummaryOptions choose a table's columns, the epoch each row reports and
// the order of the rows. Zero values give the study's table.
type SummaryOptions struct {
	// Columns are metrics (see Log.Series), var_dict keys, or one of note,
	// date, file, epoch (the epoch reported), epochs, minority (the class
	// name), status, stop_reason.
	// Empty means DefaultColumns, plus status when a run did not finish
	// (failed, interrupted or still running), so it is not read as a result.
	Columns []string
	// SortBy is the metric rows are sorted by, best first (ascending for
	// losses and times, descending otherwise); empty means valid_accuracy.
	SortBy string
	// Last reports every metric at the last epoch instead of the best one.
	Last bool
	// BestBy is the metric that picks each run's best epoch; empty means
	// the run's own choice (run.best_by, else valid_loss).
	BestBy string
	// MeanOver, when set, merges the runs whose var_dict is the same but
	// for these keys (seed, say: repeats of one method) into one row: each
	// metric's mean ± population standard deviation over them, the notes
	// joined, and a column "runs" with their number. Sorting is by the
	// mean.
	MeanOver []string
}

// Table is many runs side by side, one row per log.
type Table struct {
	Columns []string
	Rows    []Row
	metric  []bool // column i holds a metric
}

// Row is one run at the epoch it reports, or with SummaryOptions.MeanOver
// several (Members; Log is the first of them).
type Row struct {
	Log     *Log
	Epoch   int
	Cells   []Cell
	Members []*Log
}

// Cell is one value; Value is set (NaN when missing) for metric columns.
type Cell struct {
	Text  string
	Value float64
}

// Summarize builds the table of logs. A metric a log lacks is shown as
// missing; an unknown column or sort metric is an error.
func Summarize(logs []*Log, opts SummaryOptions) (*Table, error) {
	cols := opts.Columns
	if len(cols) == 0 {
		cols = DefaultColumns
		for _, l := range logs {
			if l.Run != nil && l.Run.Status != StatusFinished {
				cols = append(slices.Clone(DefaultColumns), "status")
				break
			}
		}
	}
	sortBy := opts.SortBy
	if sortBy == "" {
		sortBy = "valid_accuracy"
	}
	varDict := config.Keys()
	t := &Table{Columns: slices.Clone(cols), metric: make([]bool, len(cols))}
	for i, c := range cols {
		switch {
		case slices.Contains(infoColumns, c) || slices.Contains(varDict, c):
		case isMetric(c):
			t.metric[i] = true
		default:
			return nil, fmt.Errorf("runlog: unknown column %q (a metric, a var_dict key or one of %s)", c, strings.Join(infoColumns, ", "))
		}
	}
	if !isMetric(sortBy) {
		return nil, fmt.Errorf("runlog: cannot sort by %q: not a metric", sortBy)
	}
	if opts.BestBy != "" && !isMetric(opts.BestBy) {
		return nil, fmt.Errorf("runlog: best epoch by %q: not a metric", opts.BestBy)
	}
	if opts.BestBy == MetricECE {
		return nil, fmt.Errorf("runlog: best epoch by %s: the log has it for its best epoch only", MetricECE)
	}
	for _, k := range opts.MeanOver {
		if !slices.Contains(varDict, k) {
			return nil, fmt.Errorf("runlog: mean over %q: not a var_dict key", k)
		}
	}
	keys := make([]float64, len(logs))
	for li, l := range logs {
		e := l.Epochs() - 1
		if !opts.Last {
			bestBy := opts.BestBy
			if bestBy == "" {
				bestBy = l.bestBy()
			}
			if best, err := l.BestEpoch(bestBy); err == nil {
				e = best
			}
		}
		vars := varDictStrings(l)
		row := Row{Log: l, Epoch: e, Cells: make([]Cell, len(cols))}
		for i, c := range cols {
			switch {
			case t.metric[i]:
				v := l.valueAt(c, e)
				row.Cells[i] = Cell{Text: formatMetric(v), Value: v}
			case slices.Contains(infoColumns, c):
				row.Cells[i] = Cell{Text: l.info(c, e)}
			default:
				row.Cells[i] = Cell{Text: vars[c]}
			}
		}
		keys[li] = l.valueAt(sortBy, e)
		t.Rows = append(t.Rows, row)
	}
	if len(opts.MeanOver) > 0 {
		keys = t.meanOver(keys, opts.MeanOver)
	}
	lower := LowerIsBetter(sortBy)
	order := make([]int, len(t.Rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ka, kb := keys[order[a]], keys[order[b]]
		switch {
		case math.IsNaN(kb):
			return !math.IsNaN(ka)
		case math.IsNaN(ka):
			return false
		case lower:
			return ka < kb
		}
		return ka > kb
	})
	rows := make([]Row, len(order))
	for i, j := range order {
		rows[i] = t.Rows[j]
	}
	t.Rows = rows
	return t, nil
}

var infoColumns = []string{"note", "date", "file", "epoch", "epochs", "minority", "status", "stop_reason"}

// meanOver merges t's rows (one per log, sort keys alongside) whose
// var_dict differs only in the keys over (and log_id), in the order they
// first appear: metrics become mean ± std over the group, other columns
// their distinct values joined by spaces, and a last column "runs" counts
// the group. It returns the groups' mean sort keys.
func (t *Table) meanOver(keys []float64, over []string) []float64 {
	var order []string
	groups := map[string][]int{}
	for i, r := range t.Rows {
		vars := varDictStrings(r.Log)
		var id []string
		for _, k := range config.Keys() {
			if k != "log_id" && !slices.Contains(over, k) {
				id = append(id, k+"="+vars[k])
			}
		}
		key := strings.Join(id, "\x00")
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	rows := make([]Row, 0, len(order))
	means := make([]float64, 0, len(order))
	for _, key := range order {
		idx := groups[key]
		first := t.Rows[idx[0]]
		row := Row{Log: first.Log, Epoch: first.Epoch, Cells: make([]Cell, len(t.Columns)+1)}
		var sortVals []float64
		for _, i := range idx {
			row.Members = append(row.Members, t.Rows[i].Log)
			sortVals = append(sortVals, keys[i])
		}
		for c := range t.Columns {
			if t.metric[c] {
				var vs []float64
				for _, i := range idx {
					vs = append(vs, t.Rows[i].Cells[c].Value)
				}
				m, sd := meanStd(vs)
				text := "-"
				if !math.IsNaN(m) {
					text = strconv.FormatFloat(m, 'f', 4, 64) + " ± " + strconv.FormatFloat(sd, 'f', 4, 64)
				}
				row.Cells[c] = Cell{Text: text, Value: m}
				continue
			}
			var distinct []string
			for _, i := range idx {
				if s := t.Rows[i].Cells[c].Text; !slices.Contains(distinct, s) {
					distinct = append(distinct, s)
				}
			}
			row.Cells[c] = Cell{Text: strings.Join(distinct, " ")}
		}
		row.Cells[len(t.Columns)] = Cell{Text: strconv.Itoa(len(idx))}
		m, _ := meanStd(sortVals)
		rows, means = append(rows, row), append(means, m)
	}
	t.Columns = append(t.Columns, "runs")
	t.metric = append(t.metric, false)
	t.Rows = rows
	return means
}

// meanStd is the mean and population standard deviation of the values
// that are not NaN (NaN, NaN when there are none).
func meanStd(xs []float64) (mean, std float64) {
	var n int
	for _, x := range xs {
		if !math.IsNaN(x) {
			mean += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean /= float64(n)
	for _, x := range xs {
		if !math.IsNaN(x) {
			std += (x - mean) * (x - mean)
		}
	}
	return mean, math.Sqrt(std / float64(n))
}

// isMetricColumn reports whether column i holds a metric; a Table built
// outside Summarize goes by the column's name.
func (t *Table) isMetricColumn(i int) bool {
	if i < len(t.metric) {
		return t.metric[i]
	}
	return isMetric(t.Columns[i])
}

func isMetric(name string) bool {
	if name == MetricECE {
		return true
	}
	var r Results
	if key, _, ok := strings.Cut(name, ":"); ok {
		_, known := r.perClass()[key]
		return known
	}
	_, known := r.series()[name]
	return known
}

// valueAt is metric at epoch e, NaN when the log lacks it.
func (l *Log) valueAt(metric string, e int) float64 {
	s, err := l.Series(metric)
	if err != nil || e < 0 || e >= len(s) {
		return math.NaN()
	}
	return s[e]
}

func (l *Log) info(col string, e int) string {
	switch col {
	case "note":
		return l.Note
	case "date":
		return l.Date
	case "file":
		return filepath.Base(l.Path)
	case "epoch":
		return strconv.Itoa(e)
	case "epochs":
		return strconv.Itoa(l.Epochs())
	case "minority":
		c, _ := l.extremeClass(true)
		return c
	}
	if l.Run == nil {
		return ""
	}
	if col == "status" {
		return l.Run.Status
	}
	return l.Run.StopReason
}

// varDictStrings renders every var_dict value as the table shows it:
// unset strings as "none", numbers in their shortest form.
func varDictStrings(l *Log) map[string]string {
	out := map[string]string{}
	data, err := jsonMarshalMap(l.VarDict)
	if err != nil {
		return out
	}
	for _, k := range config.Keys() {
		x, ok := data[k]
		if !ok { // omitted: unset
			out[k] = "none"
			continue
		}
		switch x := x.(type) {
		case string:
			if x == "" {
				x = "none"
			}
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			out[k] = strings.Trim(fmt.Sprint(x), "[]")
		}
	}
	return out
}

func formatMetric(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

// CompareToBaseline returns, for every row but the baseline's (the row
// whose note or file name is baseline), each metric column's change
// against the baseline, in points (x100) as the study's results tables;
// loss columns get the plain difference. Other columns are kept as they
// are; metric columns are renamed "d_<metric>".
func CompareToBaseline(t *Table, baseline string) (*Table, error) {
	base := -1
	for i, r := range t.Rows {
		members := r.Members
		if members == nil {
			members = []*Log{r.Log}
		}
		if slices.ContainsFunc(members, func(l *Log) bool {
			return l.Note == baseline || (l.Path != "" && filepath.Base(l.Path) == baseline)
		}) {
			if base >= 0 {
				return nil, fmt.Errorf("runlog: baseline %q matches more than one run", baseline)
			}
			base = i
		}
	}
	if base < 0 {
		return nil, fmt.Errorf("runlog: no run has note or file name %q", baseline)
	}
	out := &Table{Columns: slices.Clone(t.Columns), metric: slices.Clone(t.metric)}
	for i, c := range out.Columns {
		if out.isMetricColumn(i) {
			out.Columns[i] = "d_" + c
		}
	}
	b := t.Rows[base]
	for ri, r := range t.Rows {
		if ri == base {
			continue
		}
		row := Row{Log: r.Log, Epoch: r.Epoch, Cells: slices.Clone(r.Cells)}
		for i, c := range t.Columns {
			if !t.isMetricColumn(i) {
				continue
			}
			d := r.Cells[i].Value - b.Cells[i].Value
			text := "-"
			if !LowerIsBetter(c) {
				d *= 100
			}
			if !math.IsNaN(d) {
				text = strconv.FormatFloat(d, 'f', 2, 64)
				if d >= 0 {
					text = "+" + text
				}
			}
			row.Cells[i] = Cell{Text: text, Value: d}
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// Formats are the table renderings Write knows.
var Formats = []string{"text", "csv", "markdown", "html"}

// Write renders t in format, one of Formats.
func (t *Table) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return t.WriteText(w)
	case "csv":
		return t.WriteCSV(w)
	case "markdown", "md":
		return t.WriteMarkdown(w)
	case "html":
		return t.WriteHTML(w)
	}
	return fmt.Errorf("runlog: unknown table format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// WriteText writes an aligned plain-text table, numbers right-aligned.
func (t *Table) WriteText(w io.Writer) error {
	width := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		width[i] = len(c)
		for _, r := range t.Rows {
			width[i] = max(width[i], len(r.Cells[i].Text))
		}
	}
	line := func(cells []string) string {
		parts := make([]string, len(cells))
		for i, s := range cells {
			if t.isMetricColumn(i) {
				parts[i] = fmt.Sprintf("%*s", width[i], s)
			} else {
				parts[i] = fmt.Sprintf("%-*s", width[i], s)
			}
		}
		return strings.TrimRight(strings.Join(parts, "  "), " ") + "\n"
	}
	var b strings.Builder
	b.WriteString(line(t.Columns))
	for _, r := range t.Rows {
		b.WriteString(line(texts(r)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes the table as CSV with metrics at full precision and
// missing metrics empty.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(t.Columns)
	for _, r := range t.Rows {
		rec := texts(r)
		for i, c := range r.Cells {
			if t.isMetricColumn(i) {
				rec[i] = ""
				if !math.IsNaN(c.Value) {
					rec[i] = strconv.FormatFloat(c.Value, 'g', -1, 64)
				}
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes a GitHub-flavoured markdown table.
func (t *Table) WriteMarkdown(w io.Writer) error {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var b strings.Builder
	b.WriteString("|")
	for _, c := range t.Columns {
		b.WriteString(" " + esc(c) + " |")
	}
	b.WriteString("\n|")
	for i := range t.Columns {
		if t.isMetricColumn(i) {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("|")
		for _, s := range texts(r) {
			b.WriteString(" " + esc(s) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTML writes an HTML table, for notebooks.
func (t *Table) WriteHTML(w io.Writer) error {
	var b strings.Builder
	b.WriteString("<table>\n<thead><tr>")
	for _, c := range t.Columns {
		b.WriteString("<th>" + html.EscapeString(c) + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i, s := range texts(r) {
			if t.isMetricColumn(i) {
				b.WriteString(`<td style="text-align:right">` + html.EscapeString(s) + "</td>")
			} else {
				b.WriteString("<td>" + html.EscapeString(s) + "</td>")
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// HTML returns the table as HTML, for a notebook's display.
func (t *Table) HTML() string {
	var b strings.Builder
	t.WriteHTML(&b)
	return b.String()
}

func texts(r Row) []string {
	out := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		out[i] = c.Text
	}
	return out
}

// jsonMarshalMap turns v into a map of its JSON keys.
func jsonMarshalMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(data, &m)
	return m, err
}
