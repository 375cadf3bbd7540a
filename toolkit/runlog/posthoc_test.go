package runlog

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/metrics"
)

// PostHoc re-weights the best epoch's probabilities by the training prior
// (counts 6, 3, 1): tau 0 gives the epoch's own predictions, tau 1 moves a
// Tulip sample the model gave 0.25 (and Lotus 0.7) to Tulip, tau 2 moves
// the head classes' samples there too (their true class has 0.875, Tulip
// 0.125); logs without scores are ErrNoScores.
func TestPostHoc(t *testing.T) {
	l := smallLog(t)
	best := l.Run.BestEpoch
	r0, err := PostHoc(l, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r0.Accuracy != l.Results.ValidAccuracy[best] {
		t.Errorf("tau 0: accuracy %g, the log's %g", r0.Accuracy, l.Results.ValidAccuracy[best])
	}
	l.Run.ValidScores[5] = []float64{0.7, 0.05, 0.25} // true class 2 (Tulip, 1 training image)
	for _, tt := range []struct {
		tau        float64
		tulipFound bool
		headRecall float64
	}{{0, false, 1}, {0.5, false, 1}, {1, true, 1}, {2, true, 0}} {
		// prior 0.6, 0.3, 0.1: 0.7/0.6^tau against 0.25/0.1^tau.
		r, err := PostHoc(l, tt.tau)
		if err != nil {
			t.Fatal(err)
		}
		if found := r.Recall[2] == 1; found != tt.tulipFound {
			t.Errorf("tau %g: Tulip recall %g, want found %v", tt.tau, r.Recall[2], tt.tulipFound)
		}
		if !slices.Equal(r.Recall[:2], []float64{tt.headRecall, tt.headRecall}) {
			t.Errorf("tau %g: recall %v, want %g for the head classes", tt.tau, r.Recall, tt.headRecall)
		}
	}
	for _, bad := range []*Log{{Note: "study log"}, {Note: "no scores", Run: &RunInfo{TrainCounts: []int{1, 2}}}} {
		if _, err := PostHoc(bad, 1); !errors.Is(err, ErrNoScores) || !strings.Contains(err.Error(), bad.Note) {
			t.Errorf("%s: err = %v, want ErrNoScores naming it", bad.Note, err)
		}
	}
	l.Run.TrainCounts = []int{6, 0, 1}
	if _, err := PostHoc(l, 1); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("a zero training count: err = %v, want metrics.ErrInput", err)
	}
}

func TestPostHocTable(t *testing.T) {
	l := smallLog(t)
	l.Run.ValidScores[5] = []float64{0.7, 0.05, 0.25}
	tb, err := PostHocTable([]*Log{l}, []float64{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 2 || tb.Columns[1] != "tau" {
		t.Fatalf("columns %v, %d rows", tb.Columns, len(tb.Rows))
	}
	for i, tau := range []float64{0, 1} {
		r, err := PostHoc(l, tau)
		if err != nil {
			t.Fatal(err)
		}
		cells := tb.Rows[i].Cells
		// Tulip, the class with the fewest validation samples, is index 2.
		want := []float64{r.Accuracy, r.BalancedAccuracy, r.Recall[2], r.Precision[2]}
		for k, w := range want {
			if cells[2+k].Value != w {
				t.Errorf("tau %g: column %s = %g, want %g", tau, tb.Columns[2+k], cells[2+k].Value, w)
			}
		}
		if cells[7].Text != "Tulip" || cells[0].Text != "golden run" {
			t.Errorf("tau %g: note %q minority %q", tau, cells[0].Text, cells[7].Text)
		}
		adj, err := metrics.PriorAdjusted(l.Run.ValidScores, l.Run.TrainCounts, tau)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := metrics.TopLabelCalibration(l.Y.Valid.True["2"], adj, CalibrationBins)
		if err != nil {
			t.Fatal(err)
		}
		if cells[6].Value != cal.ECE || tb.Columns[6] != "valid_ece" {
			t.Errorf("tau %g: %s %g, want the adjusted scores' ECE %g", tau, tb.Columns[6], cells[6].Value, cal.ECE)
		}
	}
	if tb.Rows[0].Cells[4].Value != 0 || tb.Rows[1].Cells[4].Value != 1 {
		t.Errorf("Tulip recall at tau 0 and 1: %g, %g; want 0 and 1", tb.Rows[0].Cells[4].Value, tb.Rows[1].Cells[4].Value)
	}
	var text strings.Builder
	if err := tb.Write(&text, "text"); err != nil || !strings.Contains(text.String(), "valid_balanced_accuracy") {
		t.Errorf("text table: %v\n%s", err, text.String())
	}
	if _, err := PostHocTable([]*Log{{Note: "study log"}}, []float64{1}); err == nil {
		t.Error("a log without scores: no error")
	}
}

// valid_ece is a metric of the best epoch only: Summarize shows and sorts
// by it, and refuses it as the metric that picks the best epoch.
func TestECEMetric(t *testing.T) {
	l := smallLog(t)
	s, err := l.Series(MetricECE)
	if err != nil {
		t.Fatal(err)
	}
	yTrue, scores, err := l.BestValidScores()
	if err != nil {
		t.Fatal(err)
	}
	cal, err := metrics.TopLabelCalibration(yTrue, scores, CalibrationBins)
	if err != nil {
		t.Fatal(err)
	}
	best := l.Run.BestEpoch
	for e, v := range s {
		if e == best && v != cal.ECE || e != best && !math.IsNaN(v) {
			t.Errorf("epoch %d: %g (best epoch %d, ECE %g)", e, v, best, cal.ECE)
		}
	}
	if !LowerIsBetter(MetricECE) {
		t.Error("a lower ECE is better")
	}
	tb, err := Summarize([]*Log{l, {Note: "study log", Results: l.Results, Y: l.Y}}, SummaryOptions{Columns: []string{"note", MetricECE}, SortBy: MetricECE})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows[0].Cells[1].Value != cal.ECE || !math.IsNaN(tb.Rows[1].Cells[1].Value) {
		t.Errorf("summary: %+v", tb.Rows)
	}
	if _, err := Summarize([]*Log{l}, SummaryOptions{BestBy: MetricECE}); err == nil {
		t.Error("best epoch by valid_ece: no error")
	}
}
