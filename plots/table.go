package plots

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"strings"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Table is a small table of text cells, printable as Markdown, CSV or an
// HTML table (for notebooks).
type Table struct {
	Header []string
	Rows   [][]string
}

// Markdown returns the table as GitHub-flavoured Markdown, numbers
// right-aligned.
func (t *Table) Markdown() string {
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|")
	for i := range t.Header {
		if i == 0 {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}

// CSV returns the table as CSV.
func (t *Table) CSV() string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(t.Header) // writes to a bytes.Buffer cannot fail
	_ = w.WriteAll(t.Rows)
	return buf.String()
}

// HTML returns the table as an HTML <table>, numbers right-aligned.
func (t *Table) HTML() string {
	var b strings.Builder
	b.WriteString("<table>\n<thead><tr>")
	for _, h := range t.Header {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range r {
			align := ""
			if i > 0 {
				align = ` style="text-align:right"`
			}
			b.WriteString("<td" + align + ">" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	return b.String()
}

// BaselineDeltas is the study's results table: for each run, each
// metric's value at its best epoch and its change vs the baseline run in
// percentage points (signed, two decimals).
func BaselineDeltas(logs []*runlog.Log, baseline string, metrics ...string) (*Table, error) {
	vals, names, bi, err := compared(logs, baseline, metrics)
	if err != nil {
		return nil, err
	}
	if bi < 0 {
		return nil, fmt.Errorf("plots: baseline deltas need a baseline run (one of %s)", strings.Join(names, ", "))
	}
	t := &Table{Header: []string{"method"}}
	for _, m := range metrics {
		delta := "Δ " + MetricLabel(m)
		if IsRate(m) {
			delta = "Δ " + strings.TrimSuffix(MetricLabel(m), " (%)") + " (points)"
		}
		t.Header = append(t.Header, MetricLabel(m), delta)
	}
	for r, name := range names {
		row := []string{name}
		for m, metric := range metrics {
			v, d := vals[m][r], vals[m][r]-vals[m][bi]
			if !IsRate(metric) {
				row = append(row, fmt.Sprintf("%.4f", v), fmt.Sprintf("%+.4f", d))
				continue
			}
			row = append(row, fmt.Sprintf("%.2f", v), fmt.Sprintf("%+.2f", d))
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
