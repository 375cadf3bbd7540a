package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// labels: 3 classes, imbalanced 12/6/3.
func testLabels() []int {
	var y []int
	for c, n := range []int{12, 6, 3} {
		for i := 0; i < n; i++ {
			y = append(y, c)
		}
	}
	return y
}

func testSpec() Spec {
	s := Spec{Base: config.Defaults(), K: 3, Seed: 7, BestBy: "valid_accuracy", Fingerprint: "tiny-v1"}
	s.Base.RegStrategy, s.Base.LossFamily, s.Base.LossType = "maxnorm", "CB", "CE"
	s.Vary("thresh", 0.5, 2)
	s.Vary("beta", 0.5, 0.9)
	return s
}

// fakeTrial writes a deterministic log whose predictions depend on the
// combination and the fold, so tables differ between combinations. Each
// run appends the trial name to ran.txt so tests can count trainings.
func fakeTrial(labels []int, dir string) TrialFunc {
	return func(ctx context.Context, t Trial) error {
		f, err := os.OpenFile(filepath.Join(dir, "ran.txt"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintln(f, t.Name())
		f.Close()
		var yt, yp []int
		counts := make([]int, 3)
		for _, i := range t.TrainIdx {
			counts[labels[i]]++
		}
		for k, i := range t.ValidIdx {
			yt = append(yt, labels[i])
			p := labels[i]
			// Worse with small thresh and on some folds.
			if (k+t.Fold)%int(2+t.Config.Thresh*2) == 0 || t.Config.Beta < 0.6 && k%3 == 0 {
				p = (p + 1) % 3
			}
			yp = append(yp, p)
		}
		l := &runlog.Log{Note: t.Name(), Date: "20260101-000000", VarDict: t.Config,
			Run: &runlog.RunInfo{Classes: []string{"a", "b", "c"}, TrainCounts: counts, Status: runlog.StatusFinished}}
		l.Results.ValidLoss = []float64{1 / (1 + t.Config.Thresh + float64(t.Fold))}
		l.Results.ValidAccuracy = []float64{0}
		l.Results.TrainLoss, l.Results.TrainAccuracy = []float64{1}, []float64{0}
		l.Results.ValidPrecision = map[string]runlog.Series{"a": {0}, "b": {0}, "c": {0}}
		l.Results.ValidRecall = map[string]runlog.Series{"a": {0}, "b": {0}, "c": {0}}
		l.Results.TrainPrecision = map[string]runlog.Series{"a": {0}, "b": {0}, "c": {0}}
		l.Results.TrainRecall = map[string]runlog.Series{"a": {0}, "b": {0}, "c": {0}}
		l.Y.Valid = runlog.SplitLabels{True: map[string][]int{"0": yt}, Pred: map[string][]int{"0": yp}}
		l.Y.Train = runlog.SplitLabels{True: map[string][]int{"0": {}}, Pred: map[string][]int{"0": {}}}
		if os.Getenv("SWEEP_SLOW") != "" {
			time.Sleep(300 * time.Millisecond)
		}
		return runlog.Write(t.LogPath, l)
	}
}

func runShare(t *testing.T, dir string, share Share) Progress {
	t.Helper()
	s := testSpec()
	trials, err := s.Trials(dir, testLabels(), 3)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Run(context.Background(), dir, s, trials, share, fakeTrial(testLabels(), dir))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMain lets the test binary act as one share of a search in a child process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SWEEP_CHILD_DIR"); dir != "" {
		idx, _ := strconv.Atoi(os.Getenv("SWEEP_CHILD_INDEX"))
		cnt, _ := strconv.Atoi(os.Getenv("SWEEP_CHILD_COUNT"))
		s := testSpec()
		trials, err := s.Trials(dir, testLabels(), 3)
		if err == nil {
			_, err = Run(context.Background(), dir, s, trials, Share{idx, cnt}, fakeTrial(testLabels(), dir))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(dir string, index, count int, slow bool) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SWEEP_CHILD_DIR="+dir,
		fmt.Sprintf("SWEEP_CHILD_INDEX=%d", index), fmt.Sprintf("SWEEP_CHILD_COUNT=%d", count))
	if slow {
		cmd.Env = append(cmd.Env, "SWEEP_SLOW=1")
	}
	return cmd
}

func TestSharesInSeparateProcessesMatchOneProcess(t *testing.T) {
	one := t.TempDir()
	if p := runShare(t, one, Share{0, 1}); p.Ran != 12 {
		t.Fatalf("one process ran %d trials, want 12", p.Ran)
	}
	want, err := Collect(one)
	if err != nil {
		t.Fatal(err)
	}

	many := t.TempDir()
	cmds := []*exec.Cmd{child(many, 0, 3, false), child(many, 1, 3, false), child(many, 2, 3, false)}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("share process: %v", err)
		}
	}
	got, err := Collect(many)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("3 processes gave\n%s\none process gave\n%s", got, want)
	}
	if n := strings.Count(readFile(t, filepath.Join(many, "ran.txt")), "\n"); n != 12 {
		t.Errorf("3 processes trained %d trials, want 12", n)
	}
}

func TestResumeAfterKillTrainsNothingTwice(t *testing.T) {
	dir := t.TempDir()
	c := child(dir, 0, 1, true)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Let a few trials finish, then kill the search mid-trial.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if n := strings.Count(readFileIfAny(filepath.Join(dir, "ran.txt")), "\n"); n >= 4 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.Process.Kill()
	c.Wait()
	started := strings.Fields(readFile(t, filepath.Join(dir, "ran.txt")))
	if len(started) < 4 || len(started) >= 12 {
		t.Fatalf("killed search had started %d trials; the test needs it killed mid-way", len(started))
	}
	finishedBefore := 0
	for _, name := range started {
		if finished(filepath.Join(dir, "trials", name+".json")) {
			finishedBefore++
		}
	}

	p := runShare(t, dir, Share{0, 1})
	if p.Skipped != finishedBefore || p.Ran != 12-finishedBefore {
		t.Errorf("resume skipped %d and ran %d; %d had finished before", p.Skipped, p.Ran, finishedBefore)
	}
	// Every trial trained once, except the one killed mid-way (at most one more).
	seen := map[string]int{}
	for _, name := range strings.Fields(readFile(t, filepath.Join(dir, "ran.txt"))) {
		seen[name]++
	}
	twice := 0
	for name, n := range seen {
		if n > 1 {
			twice++
			if finished(filepath.Join(dir, "trials", name+".json")) && n > 2 {
				t.Errorf("trial %s trained %d times", name, n)
			}
		}
	}
	if len(seen) != 12 || twice > 1 {
		t.Errorf("%d distinct trials, %d trained twice (only the killed one may be)", len(seen), twice)
	}
	if _, err := Collect(dir); err != nil {
		t.Fatal(err)
	}
}

func TestChangedSearchIsRefused(t *testing.T) {
	dir := t.TempDir()
	runShare(t, dir, Share{0, 1})
	for name, change := range map[string]func(*Spec){
		"data fingerprint": func(s *Spec) { s.Fingerprint = "other" },
		"grid":             func(s *Spec) { s.Vary("beta", 0.99) },
		"k":                func(s *Spec) { s.K = 2 },
		"variants":         func(s *Spec) { s.Variants = []Variant{{Name: "plain"}} },
	} {
		s := testSpec()
		change(&s)
		err := Prepare(dir, s)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s changed: err = %v", name, err)
		}
	}
}

func TestBadSearchesFailBeforeTraining(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Spec)
		want   string
	}{
		{"empty grid", func(s *Spec) { s.Grid = nil }, "grid is empty"},
		{"unnamed variant", func(s *Spec) { s.Variants = []Variant{{Set: json.RawMessage(`{"beta": 0.5}`)}} }, "variant 0 has no name"},
		{"variant twice", func(s *Spec) { s.Variants = []Variant{{Name: "a"}, {Name: "a"}} }, `variant "a" is named twice`},
		{"unknown key in a variant", func(s *Spec) { s.Variants = []Variant{{Name: "a", Set: json.RawMessage(`{"betta": 0.5}`)}} }, `variant "a": config: unknown key "betta"`},
		{"bad value in a variant", func(s *Spec) { s.Variants = []Variant{{Name: "lr", Set: json.RawMessage(`{"learning_rate": -1}`)}} }, `variant "lr"`},
		{"variant as a grid key", func(s *Spec) { s.Vary("variant", "a") }, `grid key "variant"`},
		{"unknown model", func(s *Spec) { s.Vary("model_name", "resnet50") }, `"model_name"`},
		{"unknown loss type", func(s *Spec) { s.Vary("loss_type", "hinge") }, `"loss_type"`},
		{"best epoch by a metric it cannot use", func(s *Spec) { s.Vary("best_by", "valid_ece") }, `"best_by"`},
		{"a data key in the grid", func(s *Spec) { s.Vary("imbalance_factor", 10, 100) }, `grid key "imbalance_factor" decides the data`},
		{"a data key in a variant", func(s *Spec) { s.Variants = []Variant{{Name: "lt", Set: json.RawMessage(`{"train_path": "/x"}`)}} }, `variant "lt": key "train_path" decides the data`},
		{"unknown field", func(s *Spec) { s.Vary("learning_rat", 0.1) }, `unknown key "learning_rat"`},
		{"wrong type", func(s *Spec) { s.Vary("epochs", "ten") }, `"epochs"`},
		{"out of range", func(s *Spec) { s.Vary("beta", 1.5) }, `"beta"`},
		{"k too large", func(s *Spec) { s.K = 4 }, "k=4"},
		{"k too small", func(s *Spec) { s.K = 1 }, "k=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSpec()
			tt.change(&s)
			_, err := s.Trials(t.TempDir(), testLabels(), 3)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %s", err, tt.want)
			}
		})
	}
}

// The best-by choice on logs whose metrics are known: combination c001
// has the best accuracy, c000 the best minority recall.
func TestBestBy(t *testing.T) {
	mk := func(yt, yp []int) *runlog.Log {
		l := &runlog.Log{Run: &runlog.RunInfo{Classes: []string{"a", "b"}, TrainCounts: []int{10, 2}, Status: runlog.StatusFinished}}
		l.Results.ValidLoss = []float64{0.5}
		l.Results.ValidPrecision = map[string]runlog.Series{"a": {0}, "b": {0}}
		l.Y.Valid = runlog.SplitLabels{True: map[string][]int{"0": yt}, Pred: map[string][]int{"0": yp}}
		return l
	}
	yt := []int{0, 0, 0, 0, 1, 1}
	// c000: finds both minority samples, misses two majority ones: acc 4/6, minority recall 1.
	// c001: misses one minority sample only: acc 5/6, minority recall 0.5.
	c0 := mk(yt, []int{0, 0, 1, 1, 1, 1})
	c1 := mk(yt, []int{0, 0, 0, 0, 0, 1})
	s := Spec{K: 1, Grid: map[string][]json.RawMessage{"thresh": {json.RawMessage("1"), json.RawMessage("2")}}}
	s.Base = config.Defaults()
	combos, err := s.Combinations()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		bestBy string
		want   string
		value  float64
	}{
		{"valid_accuracy", "c001", 5.0 / 6},
		{"minority_recall", "c000", 1},
		{"recall_inverse_weighted", "c000", (0.5/4 + 1.0/2) / (1.0/4 + 1.0/2)},
	} {
		s.BestBy = tt.bestBy
		tab, err := buildTable(s, combos, [][]*runlog.Log{{c0}, {c1}})
		if err != nil {
			t.Fatal(err)
		}
		if got := tab.BestRow(); got.Combination != tt.want || math.Abs(got.Stats[tt.bestBy].Mean-tt.value) > 1e-12 {
			t.Errorf("best by %s: %s with %v, want %s with %v", tt.bestBy, got.Combination, got.Stats[tt.bestBy].Mean, tt.want, tt.value)
		}
	}
	// Balanced accuracy is the macro recall: 0.75 for both (c000 first).
	s.BestBy = "valid_balanced_accuracy"
	tab, err := buildTable(s, combos, [][]*runlog.Log{{c0}, {c1}})
	if err != nil {
		t.Fatal(err)
	}
	if tab.BestBy != "recall_macro" || tab.BestRow().Stats["recall_macro"].Mean != 0.75 {
		t.Errorf("best by valid_balanced_accuracy: table best by %q, %+v", tab.BestBy, tab.BestRow().Stats["recall_macro"])
	}
	s.BestBy = "accuracy"
	if _, err := buildTable(s, combos, [][]*runlog.Log{{c0}, {c1}}); err == nil || !strings.Contains(err.Error(), "valid_accuracy") {
		t.Errorf("unknown best_by: err = %v", err)
	}
	// Before any trial trains.
	if _, err := s.Trials(t.TempDir(), []int{0, 1, 0, 1}, 2); err == nil || !strings.Contains(err.Error(), `best_by "accuracy"`) {
		t.Errorf("Trials with an unknown best_by: err = %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readFileIfAny(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec([]byte(`{"base": {"epochs": 2, "sampling_strategy": null}, "grid": {"beta": [0.5, 0.9]}, "best_by": "minority_recall"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Base.Epochs != 2 || s.Base.BatchSize != config.Defaults().BatchSize || s.K != 3 || len(s.Grid["beta"]) != 2 {
		t.Errorf("parsed %+v", s)
	}
	for _, tt := range []struct{ in, want string }{
		{`{"base": {"epoch": 2}}`, `unknown key "epoch"`},
		{`{"grids": {}}`, `"grids"`},
		{`{"base": {"epochs": "two"}}`, `"epochs"`},
		{`{"k": 3`, "unexpected EOF"},
		{`{"best_by": "f1"}`, `best_by "f1" is unknown`},
	} {
		if _, err := ParseSpec([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %s", tt.in, err, tt.want)
		}
	}
}

// Variants cross the grid in their order; each combination's config has
// the variant's keys and its values name the variant; with no grid there
// is one combination per variant; the table's first key is "variant".
func TestVariants(t *testing.T) {
	s, err := ParseSpec([]byte(`{"base": {"epochs": 2},
		"variants": [{"name": "baseline"}, {"name": "CB CE", "set": {"loss_family": "CB", "loss_type": "CE"}}],
		"grid": {"learning_rate": [0.0001, 0.001]}}`))
	if err != nil {
		t.Fatal(err)
	}
	combos, err := s.Combinations()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		variant, family string
		lr              float64
	}{{"baseline", "baseline", 1e-4}, {"baseline", "baseline", 1e-3}, {"CB CE", "CB", 1e-4}, {"CB CE", "CB", 1e-3}}
	if len(combos) != len(want) {
		t.Fatalf("%d combinations, want %d", len(combos), len(want))
	}
	for i, w := range want {
		c := combos[i]
		if c.Config.LossFamily != w.family || c.Config.LearningRate != w.lr || c.Config.Epochs != 2 || string(c.Values[VariantKey]) != fmt.Sprintf("%q", w.variant) || c.Name != fmt.Sprintf("c%03d", i) {
			t.Errorf("combination %d: %s %s lr %g epochs %d, values %s", i, c.Name, c.Config.LossFamily, c.Config.LearningRate, c.Config.Epochs, c.Values)
		}
	}
	s.Grid = nil
	if combos, err = s.Combinations(); err != nil || len(combos) != 2 || combos[1].Config.LossFamily != "CB" {
		t.Errorf("variants without a grid: %v, %v", combos, err)
	}
	logs := make([][]*runlog.Log, len(combos))
	tb, err := buildTable(s, combos, logs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tb.Keys, []string{VariantKey}) || !strings.Contains(tb.String(), "CB CE") || strings.Contains(tb.String(), `"CB CE"`) {
		t.Errorf("table keys %v:\n%s", tb.Keys, tb.String())
	}
}
