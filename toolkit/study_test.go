package toolkit

import (
	gocontext "context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/sweep"
)

func TestStudyMethods(t *testing.T) {
	ms := StudyMethods()
	if len(ms) != 13 || ms[0].Name != "baseline" {
		t.Fatalf("%d methods, first %q", len(ms), ms[0].Name)
	}
	seen := map[string]bool{}
	for _, m := range ms[1:] {
		cfg, err := m.Apply(New()).Config()
		if err != nil {
			t.Fatal(err)
		}
		base, _ := New().Config()
		if cfg.SamplingStrategy == base.SamplingStrategy && cfg.LossFamily == base.LossFamily && cfg.RegStrategy == base.RegStrategy {
			t.Errorf("method %q changes nothing of the baseline", m.Name)
		}
		if seen[m.Name] {
			t.Errorf("method %q twice", m.Name)
		}
		seen[m.Name] = true
	}
}

// RunStudy trains the methods asked for on the generated study data,
// resumes without retraining, and names a wrong method.
func TestRunStudyResumes(t *testing.T) {
	cfg := config.Defaults()
	cfg.Dataset, cfg.ModelName, cfg.Pretrained, cfg.ImageSize, cfg.Epochs = "shapes-study", "small_cnn", false, 16, 1
	dir := t.TempDir()
	o := StudyOptions{LogDir: dir, Methods: []string{"baseline", "focal"}}
	res, err := RunStudy(gocontext.Background(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[1].Method != "focal" || res.Rows[1].Log.VarDict.LossType != "focal" || res.Rows[0].Skipped {
		t.Fatalf("rows %+v", res.Rows)
	}
	again, err := RunStudy(gocontext.Background(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again.Rows {
		if !r.Skipped || r.Log == nil {
			t.Errorf("%s retrained (or lost its log) on resume", r.Method)
		}
	}
	if len(again.Logs()) != 2 {
		t.Errorf("%d logs", len(again.Logs()))
	}
	var fe *config.FieldError
	if _, err := RunStudy(gocontext.Background(), cfg, StudyOptions{LogDir: dir, Methods: []string{"SMOTE"}}); !errors.As(err, &fe) || fe.Key != "methods" {
		t.Errorf("unknown method: %v", err)
	}
	// A method beyond the study, by name.
	extra, err := RunStudy(gocontext.Background(), cfg, StudyOptions{LogDir: t.TempDir(), Methods: []string{"logit adjustment"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(extra.Rows) != 1 || extra.Rows[0].Log.VarDict.LossFamily != "LA" || extra.Rows[0].Log.VarDict.Tau != 1 {
		t.Errorf("logit adjustment: rows %+v", extra.Rows)
	}
	// Deferred re-weighting needs 2 epochs at least: the weights start in the last fifth.
	if _, err := RunStudy(gocontext.Background(), cfg, StudyOptions{LogDir: t.TempDir(), Methods: []string{"CB cross-entropy DRW"}}); !errors.As(err, &fe) || fe.Key != "drw_epoch" {
		t.Errorf("DRW in 1 epoch: %v", err)
	}
	for _, tt := range []struct{ epochs, drw int }{{2, 1}, {5, 4}, {11, 8}} {
		c := cfg
		c.Epochs = tt.epochs
		drw, err := RunStudy(gocontext.Background(), c, StudyOptions{LogDir: t.TempDir(), Methods: []string{"CB cross-entropy DRW"}})
		if err != nil {
			t.Fatal(err)
		}
		if v := drw.Rows[0].Log.VarDict; v.LossFamily != "CB" || v.LossType != "CE" || v.DRWEpoch != tt.drw {
			t.Errorf("CB cross-entropy DRW, %d epochs: loss_family %s loss_type %s drw_epoch %d, want %d", tt.epochs, v.LossFamily, v.LossType, v.DRWEpoch, tt.drw)
		}
	}
	c := cfg
	c.Epochs = 2
	ldam, err := RunStudy(gocontext.Background(), c, StudyOptions{LogDir: t.TempDir(), Methods: []string{"LDAM-DRW"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := ldam.Rows[0].Log.VarDict; v.LossType != "LDAM" || v.Weighting != "ENS" || v.Beta != 0.9999 || v.DRWEpoch != 1 {
		t.Errorf("LDAM-DRW: loss_type %s weighting %s beta %g drw_epoch %d", v.LossType, v.Weighting, v.Beta, v.DRWEpoch)
	}
	// Interrupted before a method could start: an error, not a study that
	// looks finished with rows missing.
	ctx, cancel := gocontext.WithCancel(gocontext.Background())
	cancel()
	if _, err := RunStudy(ctx, cfg, StudyOptions{LogDir: t.TempDir(), Methods: []string{"baseline", "focal"}}); !errors.Is(err, gocontext.Canceled) {
		t.Errorf("cancelled study: err = %v, want context.Canceled", err)
	}
}

// drop_last: the training step has one input shape, so the backend
// compiles one graph fewer per run, and every epoch trains on whole batches.
func TestDropLastCompilesOnce(t *testing.T) {
	compiles := func(dropLast bool) (int, *Result) {
		var stats CompileStats
		b, _, err := SelectBackend("gofast")
		if err != nil {
			t.Fatal(err)
		}
		res, err := tiny(t).DropLast(dropLast).UseBackend(WithCompileStats(b, &stats)).Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		return stats.Count(), res
	}
	keep, _ := compiles(false)
	drop, res := compiles(true)
	if drop != keep-1 {
		t.Errorf("compiles with drop_last %d, without %d: want one fewer", drop, keep)
	}
	bs := res.Config.BatchSize
	if len(res.Log.Results.SampledClassCounts) == 0 {
		t.Fatal("no sampled class counts in the log")
	}
	for e, counts := range res.Log.Results.SampledClassCounts {
		n := 0
		for _, c := range counts {
			n += c
		}
		if n == 0 || n%bs != 0 {
			t.Errorf("epoch %d trained %d samples, not a multiple of batch_size %d", e, n, bs)
		}
	}
	t.Logf("compiles: %d keeping the last partial batch, %d dropping it", keep, drop)
	// Fewer samples than one batch: a clear error, not an empty epoch.
	if _, err := tiny(t).DropLast(true).BatchSize(64).Run(gocontext.Background()); err == nil || !strings.Contains(err.Error(), "drop_last") {
		t.Errorf("drop_last with 42 samples and batch 64: %v", err)
	}
}

// Methods run in parallel on one backend write the same logs as one after
// the other, in method order, with each run's progress lines prefixed.
func TestRunStudyParallel(t *testing.T) {
	cfg := config.Defaults()
	cfg.Dataset, cfg.ModelName, cfg.Pretrained, cfg.ImageSize, cfg.Epochs = "shapes-study", "small_cnn", false, 16, 1
	cfg.AugmentOn = config.AugmentDevice
	methods := []string{"baseline", "focal", "MaxNorm"}
	losses := func(parallel int) ([][]float64, string) {
		var progress strings.Builder
		res, err := RunStudy(gocontext.Background(), cfg, StudyOptions{
			LogDir: t.TempDir(), Methods: methods, Backend: nil, Parallel: parallel, Verbose: true, Progress: &progress,
		})
		if err != nil {
			t.Fatal(err)
		}
		var out [][]float64
		for i, row := range res.Rows {
			if row.Method != methods[i] {
				t.Fatalf("parallel %d: row %d is %q, want %q", parallel, i, row.Method, methods[i])
			}
			out = append(out, append(row.Log.Results.TrainLoss, row.Log.Results.ValidLoss...))
		}
		return out, progress.String()
	}
	serial, _ := losses(1)
	par, progress := losses(3)
	for i := range serial {
		if !slices.Equal(serial[i], par[i]) {
			t.Errorf("%s: losses alone %v, in parallel %v", methods[i], serial[i], par[i])
		}
	}
	if !strings.Contains(progress, "3 methods at a time") || !strings.Contains(progress, "focal: epoch 1/1") {
		t.Errorf("parallel progress:\n%s", progress)
	}
}

// A failing method stops the study: the methods after it neither run nor
// leave logs, and the error names the method.
func TestRunStudyStopsAtFailure(t *testing.T) {
	cfg := config.Defaults()
	cfg.Dataset, cfg.ModelName, cfg.Pretrained, cfg.ImageSize, cfg.Epochs = "shapes-study", "small_cnn", false, 16, 1
	cfg.DropLast, cfg.BatchSize = true, 1000 // undersampling draws 100 samples: no whole batch
	dir := t.TempDir()
	res, err := RunStudy(gocontext.Background(), cfg, StudyOptions{LogDir: dir, Methods: []string{"undersampling", "baseline"}})
	if err == nil || !strings.Contains(err.Error(), "study: undersampling") || !strings.Contains(err.Error(), "drop_last") {
		t.Fatalf("error %v", err)
	}
	if len(res.Rows) != 0 {
		t.Errorf("rows %+v", res.Rows)
	}
	if _, err := os.Stat(filepath.Join(dir, "baseline.json")); !os.IsNotExist(err) {
		t.Errorf("baseline ran after undersampling failed (its log: %v)", err)
	}
}

func TestPickMethods(t *testing.T) {
	names := func(ms []Method) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	study, extra := names(StudyMethods()), names(ExtraMethods())
	tests := []struct {
		in      []string
		want    []string
		wantErr string // in the error of a methods field error
	}{
		{nil, study, ""},
		{[]string{"study"}, study, ""},
		{[]string{"extra"}, extra, ""},
		{[]string{"study", "extra"}, append(slices.Clone(study), extra...), ""},
		{[]string{"baseline", "extra"}, append([]string{"baseline"}, extra...), ""},
		{[]string{"LDAM-DRW", "focal"}, []string{"LDAM-DRW", "focal"}, ""},
		{[]string{"focal", "focal"}, nil, `"focal" named twice`},
		{[]string{"study", "baseline"}, nil, `"baseline" named twice`},
		{[]string{"SMOTE"}, nil, `unknown method "SMOTE"`},
	}
	for _, tt := range tests {
		got, err := pickMethods(tt.in)
		if tt.wantErr != "" {
			var fe *config.FieldError
			if !errors.As(err, &fe) || fe.Key != "methods" || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(names(got), tt.want) {
			t.Errorf("%q: %q, %v; want %q", tt.in, names(got), err, tt.want)
		}
	}
}

// MethodVariants turns methods into the config changes they make;
// ParseSearchSpec takes "methods" in a search file, and a search compares
// them under K-fold cross-validation, one row per method.
func TestMethodVariants(t *testing.T) {
	base := config.Defaults()
	base.Epochs = 10
	vs, err := MethodVariants(base, "baseline", "oversampling", "focal", "LDAM-DRW")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"baseline":     "",
		"oversampling": `{"sampling_strategy":"oversampling"}`,
		"focal":        `{"gamma":2,"loss_family":"CB","loss_type":"focal"}`,
		"LDAM-DRW":     `{"beta":0.9999,"drw_epoch":8,"loss_family":"CB","loss_type":"LDAM"}`,
	}
	for _, v := range vs {
		if string(v.Set) != want[v.Name] {
			t.Errorf("%s: set %s, want %s", v.Name, v.Set, want[v.Name])
		}
	}
	if _, err := MethodVariants(base, "SMOTE"); err == nil || !strings.Contains(err.Error(), "SMOTE") {
		t.Errorf("unknown method: %v", err)
	}

	spec, err := ParseSearchSpec([]byte(`{"base": {"dataset": "shapes-study", "model_name": "small_cnn", "pretrained": false,
		"image_size": 16, "epochs": 1}, "methods": ["baseline", "CB cross-entropy"], "k": 2, "seed": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	table, _, err := SearchOn(gocontext.Background(), spec, t.TempDir(), sweep.Share{Index: 0, Count: 1}, "gofast", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 2 || table.Keys[0] != sweep.VariantKey || !strings.Contains(table.String(), "CB cross-entropy") {
		t.Errorf("table:\n%s", table.String())
	}
	for _, bad := range []struct{ spec, want string }{
		{`{"methods": "baseline"}`, "methods"},
		{`{"methods": ["SMOTE"]}`, "SMOTE"},
		{`{"methods": ["baseline"], "grid": {"bogus": [1]}}`, ""},
	} {
		s, err := ParseSearchSpec([]byte(bad.spec))
		if err == nil {
			_, err = s.Combinations()
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want it to mention %q", bad.spec, err, bad.want)
		}
	}
}
