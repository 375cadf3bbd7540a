package plots

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg/draw"

	"github.com/debiaser/debiaser/toolkit/metrics"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

func TestCurves(t *testing.T) {
	l := readFixture(t, "run_weighted.json")
	yt := epochLabels(l.Y.Valid, false, l.Run.BestEpoch)
	aucs, err := metrics.ROCAUC(yt, l.Run.ValidScores)
	if err != nil {
		t.Fatal(err)
	}
	aps, err := metrics.AveragePrecision(yt, l.Run.ValidScores)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		fn         func([]int, [][]float64) ([]curve, error)
		areas      []float64
		start, end [2]float64 // first and last point
	}{
		{"roc", rocCurves, aucs, [2]float64{0, 0}, [2]float64{1, 1}},
		{"pr", prCurves, aps, [2]float64{0, 1}, [2]float64{1, math.NaN()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			classes, curves, best, err := classCurves(l, tt.fn)
			if err != nil {
				t.Fatal(err)
			}
			if best != l.Run.BestEpoch || len(curves) != len(classes) {
				t.Fatalf("best %d, %d curves for %d classes", best, len(curves), len(classes))
			}
			for c, cv := range curves {
				if cv.area != tt.areas[c] {
					t.Errorf("%s: area %v, want %v", classes[c], cv.area, tt.areas[c])
				}
				n := len(cv.x)
				if n < 3 || cv.x[0] != tt.start[0] || cv.y[0] != tt.start[1] || cv.x[n-1] != tt.end[0] ||
					(!math.IsNaN(tt.end[1]) && cv.y[n-1] != tt.end[1]) {
					t.Errorf("%s: %d points from (%v, %v) to (%v, %v)", classes[c], n, cv.x[0], cv.y[0], cv.x[n-1], cv.y[n-1])
				}
				for i := 1; i < n; i++ {
					if cv.x[i] < cv.x[i-1] {
						t.Errorf("%s: x decreases at point %d", classes[c], i)
					}
					if tt.name == "pr" && cv.x[i-1] == 1 {
						t.Errorf("%s: points after full recall", classes[c])
					}
				}
			}
		})
	}
	// A class the validation labels lack has no ROC curve, only a legend line.
	two := readFixture(t, "run_weighted.json")
	yt = epochLabels(two.Y.Valid, false, two.Run.BestEpoch)
	for i, y := range yt {
		if y == 3 {
			yt[i] = 0
		}
	}
	curves, err := rocCurves(yt, two.Run.ValidScores)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(curves[3].area) || len(curves[3].x) != 0 || len(curves[0].x) == 0 {
		t.Errorf("class without positives: %+v", curves[3])
	}
	if _, err := ROC(two); err != nil {
		t.Errorf("ROC with an absent class: %v", err)
	}
}

func TestStudyLogDefaults(t *testing.T) {
	l := readFixture(t, "study_layout.json")
	if l.Run != nil {
		t.Fatal("study fixture must lack the run object")
	}
	classes, err := Classes(l)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(classes, fixtureClasses) {
		t.Errorf("classes = %v, want %v", classes, fixtureClasses)
	}
	best, err := BestEpoch(l)
	if err != nil {
		t.Fatal(err)
	}
	for e, v := range l.Results.ValidLoss {
		if v < l.Results.ValidLoss[best] {
			t.Errorf("epoch %d has loss %v below best epoch %d's %v", e, v, best, l.Results.ValidLoss[best])
		}
	}
	if l.VarDict.SamplingStrategy != "" || l.VarDict.NormalizeMean[0] != 0.5 {
		t.Errorf("var_dict decoded as %+v", l.VarDict)
	}
}

func TestDerivedAverages(t *testing.T) {
	// The slides' worked example: precisions 0.7, 0.8, 0.3 with supports
	// 30, 20, 10. The 1/n weighted average is 0.509 (the slides print 0.4).
	l := &runlog.Log{Note: "hand"}
	l.Results.TrainLoss, l.Results.ValidLoss = runlog.Series{1}, runlog.Series{1}
	l.Results.ValidPrecision = map[string]runlog.Series{"a": {0.7}, "b": {0.8}, "c": {0.3}}
	l.Run = &runlog.RunInfo{Classes: []string{"a", "b", "c"}, ValidCounts: []int{30, 20, 10}}
	tests := []struct {
		metric string
		want   float64
	}{
		{"valid_precision_macro", 0.6},
		{"valid_precision_weighted", (0.7*30 + 0.8*20 + 0.3*10) / 60},
		{"valid_precision_inverse_weighted", (0.7/30 + 0.8/20 + 0.3/10) / (1.0/30 + 1.0/20 + 1.0/10)},
		{"valid_precision/b", 0.8},
	}
	for _, tt := range tests {
		got, err := Metric(l, tt.metric, -1)
		if err != nil {
			t.Fatalf("%s: %v", tt.metric, err)
		}
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tt.metric, got, tt.want)
		}
	}
	if got, _ := Metric(l, "valid_precision_inverse_weighted", 0); math.Abs(got-0.50909) > 1e-4 {
		t.Errorf("slides example = %.5f, want 0.50909", got)
	}
	// A stored list wins over the derived value.
	l.Results.ValidPrecisionMacro = []float64{0.42}
	if got, _ := Metric(l, "valid_precision_macro", 0); got != 0.42 {
		t.Errorf("stored valid_precision_macro not used: got %v", got)
	}
}

func TestBadInput(t *testing.T) {
	good := readFixture(t, "run_weighted.json")
	study := readFixture(t, "study_layout.json")
	noValid := readFixture(t, "run_weighted.json")
	noValid.Results.ValidLoss = nil
	other := readFixture(t, "methods/baseline.json")
	other.Run.Classes = []string{"Lotus", "Orchid", "Rose", "Tulip"}
	tests := []struct {
		name    string
		err     func() error
		is      error  // nil: any error
		message string // part of the message
	}{
		{"nil log", func() error { _, err := LossAccuracy(nil); return err }, ErrEmptyLog, "no epochs"},
		{"empty log", func() error { _, err := PerClass(&runlog.Log{Note: "x"}, ""); return err }, ErrEmptyLog, "x"},
		{"no valid split", func() error { _, err := ConfusionMatrix(noValid, -1); return err }, ErrNoValid, "valid_loss"},
		{"mismatched classes", func() error { _, err := Scatter([]*runlog.Log{good, other}, ""); return err }, ErrClassMismatch, "Rose"},
		{"mismatched classes in bars", func() error { _, err := MethodBars([]*runlog.Log{good, other}, "", "valid_accuracy"); return err }, ErrClassMismatch, ""},
		{"roc without scores", func() error { _, err := ROC(study); return err }, ErrNoData, "valid_scores"},
		{"epoch out of range", func() error { _, err := ConfusionMatrix(good, 99); return err }, nil, "out of range"},
		{"unknown split", func() error { _, err := PerClass(good, "test"); return err }, nil, "unknown split"},
		{"unknown metric", func() error { _, err := Overlay([]*runlog.Log{good}, "valid_bogus"); return err }, nil, "known:"},
		{"unknown class", func() error { _, err := Metric(good, "valid_recall/Rose", -1); return err }, ErrClassMismatch, "Rose"},
		{"unknown baseline", func() error { _, err := MethodBars([]*runlog.Log{good}, "nope", "valid_accuracy"); return err }, nil, "weighted_es"},
		{"no runs", func() error { _, err := Overlay(nil, "valid_loss"); return err }, ErrEmptyLog, ""},
		{"post-hoc without scores", func() error { _, err := PostHoc([]*runlog.Log{good, study}, nil); return err }, runlog.ErrNoScores, "valid_scores"},
		{"post-hoc of no runs", func() error { _, err := PostHoc(nil, nil); return err }, ErrEmptyLog, ""},
		{"reliability without scores", func() error { _, err := Reliability([]*runlog.Log{good, study}); return err }, ErrNoData, "valid_scores"},
		{"temperature without scores", func() error { _, err := Temperature([]*runlog.Log{good, study}); return err }, ErrNoData, "valid_scores"},
		{"temperature of no runs", func() error { _, err := Temperature(nil); return err }, ErrEmptyLog, ""},
		{"unknown format", func() error { _, err := Render(newFigure("", 1, 1), "gif", 0, 0); return err }, nil, "png, svg, pdf"},
		{"unequal image pairs", func() error { _, err := TransformGrid("", make([]image.Image, 2), nil, nil); return err }, nil, "2 before, 0 after"},
		{"no image pairs", func() error { _, err := TransformGrid("", nil, nil, nil); return err }, ErrNoData, ""},
		{"unknown cv key", func() error { _, err := CVSummary([]*runlog.Log{good}, "valid_accuracy", "bogus"); return err }, nil, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
		})
	}
}

func TestRenderFormats(t *testing.T) {
	f, err := LossAccuracy(readFixture(t, "run_weighted.json"))
	if err != nil {
		t.Fatal(err)
	}
	magic := map[string]string{"png": "\x89PNG", "svg": "<?xml", "pdf": "%PDF"}
	for _, format := range Formats {
		data, err := Render(f, format, 0, 0)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !strings.HasPrefix(string(data), magic[format]) {
			t.Errorf("%s output starts %q", format, data[:min(8, len(data))])
		}
	}
}

func TestSaveAll(t *testing.T) {
	tests := []struct {
		fixture string
		want    []string
	}{
		{"run_weighted.json", []string{"loss_accuracy", "per_class_valid", "per_class_train", "confusion_matrix", "roc", "precision_recall", "reliability", "class_counts"}},
		// The study's logs have no scores: no ROC or PR curves, no reliability.
		{"study_layout.json", []string{"loss_accuracy", "per_class_valid", "per_class_train", "confusion_matrix", "class_counts"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if out := os.Getenv("PLOTS_OUT"); out != "" { // keep them for looking at
				dir = filepath.Join(out, "saveall", strings.TrimSuffix(tt.fixture, ".json"))
			}
			paths, err := SaveAll(readFixture(t, tt.fixture), dir, "svg")
			if err != nil {
				t.Fatal(err)
			}
			var stems []string
			for _, p := range paths {
				st, err := os.Stat(p)
				if err != nil || st.Size() < 1000 {
					t.Errorf("%s: %v, size %v", p, err, st)
				}
				stems = append(stems, strings.TrimSuffix(filepath.Base(p), ".svg"))
			}
			if !slices.Equal(stems, tt.want) {
				t.Errorf("wrote %v, want %v", stems, tt.want)
			}
		})
	}
}

func TestSaveAllRuns(t *testing.T) {
	dir := t.TempDir()
	if out := os.Getenv("PLOTS_OUT"); out != "" {
		dir = filepath.Join(out, "saveallruns")
	}
	logs := append(methodLogs(t), readFixture(t, "study_layout.json"))
	paths, err := SaveAllRuns(logs, dir, "png", RunsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"methods.png", "scatter_valid.png", "tail_profile_valid.png", "overlay_valid_accuracy.png", "overlay_valid_loss.png", "baseline_deltas.md", "baseline_deltas.csv"}
	var got []string
	for _, p := range paths {
		got = append(got, filepath.Base(p))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wrote %v, want %v", got, want)
	}
	md, err := os.ReadFile(filepath.Join(dir, "baseline_deltas.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The baseline row changes by exactly zero.
	if !strings.Contains(string(md), "| baseline |") || !strings.Contains(string(md), "+0.00 |") {
		t.Errorf("baseline_deltas.md:\n%s", md)
	}
	// With the study's own log among them there are no class probabilities
	// for every run: no post-hoc chart (above); without it, there is one.
	scored, err := SaveAllRuns(methodLogs(t), t.TempDir(), "png", RunsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"posthoc_valid.png", "reliability_valid.png", "temperature_valid.png"} {
		if !slices.ContainsFunc(scored, func(p string) bool { return filepath.Base(p) == want }) {
			t.Errorf("runs with scores: wrote %v, no %s", scored, want)
		}
	}
	cv, err := SaveAllRuns(cvLogs(t), t.TempDir(), "png", RunsOptions{CVParams: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(cv[len(cv)-1]) != "cv_valid_accuracy.png" {
		t.Errorf("cv run wrote %v", cv)
	}
}

func TestBaselineDeltas(t *testing.T) {
	logs := methodLogs(t)
	tab, err := BaselineDeltas(logs, "baseline", "valid_accuracy", "valid_loss")
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"method", "accuracy (%)", "Δ accuracy (points)", "loss (mean per sample)", "Δ loss (mean per sample)"}
	if !slices.Equal(tab.Header, wantHeader) {
		t.Errorf("header = %q, want %q", tab.Header, wantHeader)
	}
	// Row for oversampling: its accuracy minus the baseline's, in points.
	base, _ := Metric(logs[0], "valid_accuracy", -1)
	over, _ := Metric(logs[1], "valid_accuracy", -1)
	if want := fmt.Sprintf("%+.2f", 100*over-100*base); tab.Rows[1][2] != want {
		t.Errorf("oversampling delta = %q, want %q", tab.Rows[1][2], want)
	}
	if !strings.Contains(tab.HTML(), "<th>Δ accuracy (points)</th>") {
		t.Errorf("HTML:\n%s", tab.HTML())
	}
	if lines := strings.Count(tab.CSV(), "\n"); lines != len(logs)+1 {
		t.Errorf("CSV has %d lines, want %d", lines, len(logs)+1)
	}
}

func TestCVSummary(t *testing.T) {
	groups, err := CVSummary(cvLogs(t), "valid_accuracy")
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 4 {
		t.Fatalf("%d groups, want 4: %+v", len(groups), groups)
	}
	for i, g := range groups {
		if len(g.Values) != 3 {
			t.Errorf("%s has %d folds, want 3", g.Params, len(g.Values))
		}
		if !strings.Contains(g.Params, "beta=") || !strings.Contains(g.Params, "learning_rate=") {
			t.Errorf("params %q: want beta and learning_rate", g.Params)
		}
		mean := (g.Values[0] + g.Values[1] + g.Values[2]) / 3
		if math.Abs(mean-g.Mean) > 1e-12 {
			t.Errorf("mean %v, want %v", g.Mean, mean)
		}
		if i > 0 && g.Mean > groups[i-1].Mean {
			t.Errorf("groups not sorted by mean: %v after %v", g.Mean, groups[i-1].Mean)
		}
	}
}

func TestExtrasAgreeWithLabels(t *testing.T) {
	l := readFixture(t, "run_weighted.json")
	n := len(fixtureClasses)
	fromY, err := confusion(l, 3, n)
	if err != nil {
		t.Fatal(err)
	}
	for r := range fromY {
		// Row sums are the class supports of the validation split.
		sum := 0
		for _, v := range fromY[r] {
			sum += v
		}
		if sum != fixtureValid[r] {
			t.Errorf("row %d sums to %d, want %d", r, sum, fixtureValid[r])
		}
	}
	// The stored extra wins over y.
	l.Results.ValidConfusionMatrix = make([][][]int, 4)
	l.Results.ValidConfusionMatrix[3] = [][]int{{9, 0, 0, 0}, {0, 9, 0, 0}, {0, 0, 9, 0}, {0, 0, 0, 9}}
	stored, err := confusion(l, 3, n)
	if err != nil || stored[0][0] != 9 {
		t.Errorf("stored matrix not used: %v, %v", stored, err)
	}
	l.Results.ValidConfusionMatrix[3] = [][]int{{1, 2}, {3, 4}}
	if _, err := confusion(l, 3, n); !errors.Is(err, ErrClassMismatch) {
		t.Errorf("2x2 matrix for 4 classes: err = %v", err)
	}
	drawn, err := sampledCounts(l, n)
	if err != nil {
		t.Fatal(err)
	}
	for e, row := range drawn {
		sum := 0
		for _, v := range row {
			sum += v
		}
		if sum != 300 {
			t.Errorf("epoch %d drew %d images, want 300", e, sum)
		}
	}
	l.Results.SampledClassCounts = [][]int{{1, 2, 3}}
	if _, err := sampledCounts(l, n); !errors.Is(err, ErrClassMismatch) {
		t.Errorf("3 counts for 4 classes: err = %v", err)
	}
}

// panicky is a chart whose drawing panics, as gonum does on some bad input.
type panicky struct{}

func (panicky) Draw(draw.Canvas) { panic("boom") }

func TestRenderRecoversPanics(t *testing.T) {
	if _, err := Render(panicky{}, "png", 0, 0); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want the panic as an error", err)
	}
}

// Both table kinds display in a notebook.
var (
	_ HTMLTable = (*Table)(nil)
	_ HTMLTable = (*runlog.Table)(nil)
)

func TestDisplaySummary(t *testing.T) {
	logs := methodLogs(t)
	for _, tt := range []struct {
		name    string
		opts    runlog.SummaryOptions
		sortCol int // index of the sort metric's column
	}{
		{"sort column added", runlog.SummaryOptions{SortBy: "valid_recall:minority", Columns: []string{"note", "valid_accuracy"}}, 0},
		{"sort column kept", runlog.SummaryOptions{SortBy: "valid_loss", Columns: []string{"note", "valid_loss"}}, 1},
		{"defaults", runlog.SummaryOptions{}, slices.Index(runlog.DefaultColumns, "valid_accuracy")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := DisplaySummary(logs, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			sortBy := tt.opts.SortBy
			if sortBy == "" {
				sortBy = "valid_accuracy"
			}
			if tab.Columns[tt.sortCol] != sortBy || len(tab.Rows) != len(logs) {
				t.Fatalf("columns %q, %d rows", tab.Columns, len(tab.Rows))
			}
			lower := runlog.LowerIsBetter(sortBy)
			for i, r := range tab.Rows {
				v := r.Cells[tt.sortCol].Value
				// The cell is the run's value at its best epoch, as the charts read it.
				want, err := Metric(r.Log, sortBy, -1)
				if err != nil || v != want {
					t.Errorf("%s: %s = %v, want %v (%v)", r.Log.Note, sortBy, v, want, err)
				}
				if i > 0 {
					prev := tab.Rows[i-1].Cells[tt.sortCol].Value
					if (lower && v < prev) || (!lower && v > prev) {
						t.Errorf("row %d (%v) out of order after %v", i, v, prev)
					}
				}
			}
			html := tab.HTML()
			if !strings.Contains(html, "<th>"+sortBy+"</th>") || strings.Count(html, "<tr>") != len(logs)+1 {
				t.Errorf("HTML:\n%s", html)
			}
		})
	}
	if _, err := DisplaySummary(logs, runlog.SummaryOptions{SortBy: "note"}); err == nil || !strings.Contains(err.Error(), "not a metric") {
		t.Errorf("sort by a non-metric: err = %v", err)
	}
}
