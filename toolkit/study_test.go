package toolkit

import (
	gocontext "context"
	"errors"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
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
}
