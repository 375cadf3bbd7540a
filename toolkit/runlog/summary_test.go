package runlog

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
)

// run logs a two-epoch run on seven validation images (4 Lotus, 2 Orchid,
// 1 Tulip) with the given validation predictions and losses.
func run(t testing.TB, note, sampling string, preds [2][]int, losses [2]float64) *Log {
	t.Helper()
	cfg := config.Defaults()
	cfg.SamplingStrategy = sampling
	l, err := New(note, cfg, []string{"Lotus", "Orchid", "Tulip"}, []int{40, 20, 10}, []int{4, 2, 1}, start)
	if err != nil {
		t.Fatal(err)
	}
	yTrue := []int{0, 0, 0, 0, 1, 1, 2}
	for e := range 2 {
		if err := l.AddEpoch(EpochRecord{TrainLoss: losses[e], ValidLoss: losses[e],
			TrainTrue: yTrue, TrainPred: preds[e], ValidTrue: yTrue, ValidPred: preds[e]}); err != nil {
			t.Fatal(err)
		}
	}
	l.Path = "/logs/" + note + ".json"
	return l
}

func runs(t testing.TB) []*Log {
	return []*Log{
		run(t, "baseline", "none", [2][]int{{0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 0, 0}}, [2]float64{1.0, 0.8}),
		run(t, "weighted", "weighted", [2][]int{{0, 0, 0, 1, 1, 1, 2}, {0, 0, 0, 0, 1, 1, 2}}, [2]float64{0.9, 0.7}),
		run(t, "under", "undersampling", [2][]int{{0, 1, 2, 1, 1, 2, 2}, {0, 0, 0, 0, 1, 1, 0}}, [2]float64{0.5, 0.9}),
	}
}

func notes(tb *Table) string {
	var s []string
	for _, r := range tb.Rows {
		s = append(s, r.Log.Note)
	}
	return strings.Join(s, ",")
}

func TestSummarizeOrderAndEpoch(t *testing.T) {
	logs := runs(t)
	tests := []struct {
		opts      SummaryOptions
		wantOrder string
		wantEpoch []int
	}{
		// Best epoch by valid_loss: baseline 1 (5/7), weighted 1 (7/7), under 0 (3/7).
		{SummaryOptions{}, "weighted,baseline,under", []int{1, 1, 0}},
		{SummaryOptions{SortBy: "valid_loss"}, "under,weighted,baseline", []int{0, 1, 1}},
		// At the last epoch under has 6/7.
		{SummaryOptions{Last: true}, "weighted,under,baseline", []int{1, 1, 1}},
		{SummaryOptions{BestBy: "valid_recall:minority", SortBy: "valid_recall:Tulip"}, "weighted,under,baseline", []int{0, 0, 0}},
	}
	for _, tt := range tests {
		tb, err := Summarize(logs, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := notes(tb); got != tt.wantOrder {
			t.Errorf("%+v: order %s, want %s", tt.opts, got, tt.wantOrder)
		}
		for i, r := range tb.Rows {
			if r.Epoch != tt.wantEpoch[i] {
				t.Errorf("%+v: row %d (%s) at epoch %d, want %d", tt.opts, i, r.Log.Note, r.Epoch, tt.wantEpoch[i])
			}
		}
	}
}

func TestSummarizeMissingValuesSortLast(t *testing.T) {
	logs := runs(t)
	logs[1].Results.ValidAccuracy[1] = math.NaN() // weighted, the best run
	tb, err := Summarize(logs, SummaryOptions{Columns: []string{"note", "minority", "valid_accuracy"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := notes(tb); got != "baseline,under,weighted" {
		t.Errorf("order %s, want the NaN run last", got)
	}
	if c := tb.Rows[2].Cells; c[1].Text != "Tulip" || c[2].Text != "-" {
		t.Errorf("cells %+v, want minority Tulip and a missing accuracy", c)
	}
}

func TestSummarizeErrors(t *testing.T) {
	for _, opts := range []SummaryOptions{
		{Columns: []string{"valid_acc"}},
		{SortBy: "note"},
		{BestBy: "train_recall_macro"},
		{Columns: []string{"valid_recall:"}, SortBy: "nope:x"},
	} {
		if _, err := Summarize(runs(t), opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}

func TestCompareToBaseline(t *testing.T) {
	tb, err := Summarize(runs(t), SummaryOptions{Columns: []string{"note", "valid_accuracy", "valid_loss"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := CompareToBaseline(tb, "baseline")
	if err != nil {
		t.Fatal(err)
	}
	if notes(d) != "weighted,under" || d.Columns[1] != "d_valid_accuracy" {
		t.Fatalf("rows %s, columns %v", notes(d), d.Columns)
	}
	// weighted 7/7 vs baseline 5/7; under (epoch 0) 3/7. Losses 0.7, 0.5 vs 0.8.
	want := [][]float64{{100 * 2.0 / 7, 0.7 - 0.8}, {-200.0 / 7, 0.5 - 0.8}}
	for i, r := range d.Rows {
		for j, w := range want[i] {
			if math.Abs(r.Cells[j+1].Value-w) > 1e-9 {
				t.Errorf("%s %s = %v, want %v", r.Log.Note, d.Columns[j+1], r.Cells[j+1].Value, w)
			}
		}
	}
	if d.Rows[0].Cells[1].Text != "+28.57" {
		t.Errorf("text %q, want +28.57", d.Rows[0].Cells[1].Text)
	}
	if _, err := CompareToBaseline(tb, "nothing"); err == nil {
		t.Error("unknown baseline: no error")
	}
}

func TestSummaryGolden(t *testing.T) {
	study, err := Read("testdata/study_log.json")
	if err != nil {
		t.Fatal(err)
	}
	logs := append(runs(t), study)
	tb, err := Summarize(logs, SummaryOptions{Columns: append([]string{"file", "epoch"}, DefaultColumns...)})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		var b bytes.Buffer
		if err := tb.Write(&b, format); err != nil {
			t.Fatal(err)
		}
		golden := "testdata/golden/summary." + format
		if *regen {
			os.WriteFile(golden, b.Bytes(), 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -regen)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs from %s:\n%s", format, golden, b.String())
		}
	}
	if err := tb.Write(new(bytes.Buffer), "pdf"); err == nil {
		t.Error("unknown format: no error")
	}
}

// A Table built outside Summarize writes without panicking; its metric
// columns are known by name.
func TestTableBuiltByHand(t *testing.T) {
	tb := &Table{Columns: []string{"note", "valid_accuracy"}, Rows: []Row{{Cells: []Cell{{Text: "a"}, {Text: "0.5", Value: 0.5}}}}}
	for _, format := range Formats {
		var b bytes.Buffer
		if err := tb.Write(&b, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
	}
	if html := tb.HTML(); !strings.Contains(html, `<td style="text-align:right">0.5</td>`) || !strings.Contains(html, "<td>a</td>") {
		t.Errorf("HTML:\n%s", html)
	}
}

// The default table says which runs did not finish; a table of finished
// runs, or one with chosen columns, has no status column.
func TestSummaryStatusWhenUnfinished(t *testing.T) {
	logs := runs(t) // New leaves status "running"
	tb, err := Summarize(logs, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Columns[len(tb.Columns)-1]; got != "status" || tb.Rows[0].Cells[len(tb.Columns)-1].Text != StatusRunning {
		t.Errorf("default columns with unfinished runs end in %q, cell %q", got, tb.Rows[0].Cells[len(tb.Columns)-1].Text)
	}
	for _, l := range logs {
		l.Run.Status = StatusFinished
	}
	if tb, err = Summarize(logs, SummaryOptions{}); err != nil || len(tb.Columns) != len(DefaultColumns) {
		t.Errorf("finished runs: columns %v, err %v", tb.Columns, err)
	}
	logs[1].Run.Status = StatusFailed
	if tb, err = Summarize(logs, SummaryOptions{Columns: []string{"note", "valid_accuracy"}}); err != nil || len(tb.Columns) != 2 {
		t.Errorf("chosen columns: %v, err %v", tb.Columns, err)
	}
}

// MeanOver merges runs that differ only in the given keys: metrics as
// mean ± population std, notes joined, a count; other configs stay apart;
// the baseline may be named by any member's note.
func TestSummarizeMeanOver(t *testing.T) {
	var logs []*Log
	for i, acc := range []float64{0.5, 0.7, 0.9} {
		l := smallLog(t)
		l.Note, l.VarDict.Seed = fmt.Sprintf("cb-s%d", i+1), int64(i+1)
		l.Results.ValidAccuracy[l.Run.BestEpoch] = acc
		logs = append(logs, l)
	}
	other := smallLog(t)
	other.Note, other.VarDict.LossFamily = "base-s1", "CB"
	other.Results.ValidAccuracy[other.Run.BestEpoch] = 0.4
	logs = append(logs, other)
	tb, err := Summarize(logs, SummaryOptions{Columns: []string{"note", "valid_accuracy"}, MeanOver: []string{"seed"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 2 || !slices.Equal(tb.Columns, []string{"note", "valid_accuracy", "runs"}) {
		t.Fatalf("columns %v, %d rows", tb.Columns, len(tb.Rows))
	}
	g := tb.Rows[0] // sorted by valid_accuracy: the group's mean 0.7 beats the other's
	if g.Cells[0].Text != "cb-s1 cb-s2 cb-s3" || g.Cells[2].Text != "3" || len(g.Members) != 3 {
		t.Errorf("group row %+v", g.Cells)
	}
	if math.Abs(g.Cells[1].Value-0.7) > 1e-12 || g.Cells[1].Text != "0.7000 ± 0.1633" {
		t.Errorf("group accuracy %g %q, want 0.7 ± sqrt(0.08/3)", g.Cells[1].Value, g.Cells[1].Text)
	}
	d, err := CompareToBaseline(tb, "cb-s2")
	if err != nil || len(d.Rows) != 1 || d.Rows[0].Cells[0].Text != "base-s1" {
		t.Errorf("baseline by a member's note: %v, %+v", err, d)
	}
	if _, err := Summarize(logs, SummaryOptions{MeanOver: []string{"sed"}}); err == nil || !strings.Contains(err.Error(), "sed") {
		t.Errorf("unknown key: %v", err)
	}
}
