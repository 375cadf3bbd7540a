package toolkit

import (
	gocontext "context"
	"testing"
)

// The initial norms are where a run starts: a run whose learning rate is
// too small to move the weights ends its first epoch with the same norms.
func TestInitialClassifierNorms(t *testing.T) {
	e := tiny(t).Optimizer("Adam", 1e-12).Epochs(1)
	cfg, err := e.Config()
	if err != nil {
		t.Fatal(err)
	}
	before, err := InitialClassifierNorms(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 3 {
		t.Fatalf("got %d norms, want 3", len(before))
	}
	res, err := e.Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := res.Log.Results.ClassifierNorms[0]
	for c := range before {
		if d := before[c] - after[c]; d > 1e-6 || d < -1e-6 {
			t.Errorf("class %d: initial norm %.7f, after an epoch at lr 1e-12 %.7f", c, before[c], after[c])
		}
	}
	// Another seed starts elsewhere.
	cfg.Seed++
	other, err := InitialClassifierNorms(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	if other[0] == before[0] {
		t.Errorf("seeds %d and %d gave the same initial norm %g", cfg.Seed-1, cfg.Seed, other[0])
	}
	if _, err := InitialClassifierNorms(cfg, 0); err == nil {
		t.Error("0 classes: no error")
	}
}
