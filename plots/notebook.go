package plots

import (
	"slices"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Display shows ch inline in a GoNB notebook as a PNG at its preferred
// size. Outside a notebook it renders and returns render errors only.
//
// Every Display function waits until GoNB has received the output
// (gonbui.Sync): GoNB v0.11.1 closes its end of the display pipe when the
// cell's program exits, so a chart sent just before the end could be lost.
func Display(ch Chart) error {
	png, err := Render(ch, "png", 0, 0)
	if err != nil {
		return err
	}
	gonbui.DisplayPNG(png)
	gonbui.Sync()
	return nil
}

// DisplaySVG shows ch inline as a real image/svg+xml output (sharp at any
// zoom; gonbui.DisplaySVG would wrap it in HTML instead).
func DisplaySVG(ch Chart) error {
	svg, err := Render(ch, "svg", 0, 0)
	if err != nil {
		return err
	}
	if gonbui.IsNotebook {
		gonbui.SendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{protocol.MIMEImageSVG: string(svg)}})
		gonbui.Sync()
	}
	return nil
}

// HTMLTable is a table that renders itself as HTML: a *Table (such as
// BaselineDeltas) or runlog's summary table, *runlog.Table.
type HTMLTable interface {
	HTML() string
}

// DisplayTable shows t inline in a GoNB notebook as an HTML table.
// Outside a notebook it does nothing.
func DisplayTable(t HTMLTable) {
	gonbui.DisplayHTML(t.HTML())
	gonbui.Sync()
}

// DisplaySummary builds runlog's summary table of logs (runlog.Summarize:
// one row per run at its best epoch, or its last with opts.Last), sorted
// by opts.SortBy, best first (empty: valid_accuracy), shows it inline as
// an HTML table and returns it. The sort metric is added as the first
// column when opts.Columns (empty: runlog.DefaultColumns) lacks it.
func DisplaySummary(logs []*runlog.Log, opts runlog.SummaryOptions) (*runlog.Table, error) {
	if opts.SortBy == "" {
		opts.SortBy = "valid_accuracy"
	}
	if len(opts.Columns) == 0 {
		opts.Columns = runlog.DefaultColumns
	}
	if !slices.Contains(opts.Columns, opts.SortBy) {
		opts.Columns = append([]string{opts.SortBy}, opts.Columns...)
	}
	t, err := runlog.Summarize(logs, opts)
	if err != nil {
		return nil, err
	}
	DisplayTable(t)
	return t, nil
}
