package train

import (
	gocontext "context"
	"reflect"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/internal/livecount"
)

// TestRunFreesPrograms: a finished run keeps nothing on the backend but
// its variables (the trained model it returns); finalizing them leaves
// nothing at all. On a GPU anything else would hold device memory until a
// Go garbage collection, which a small Go heap may not start for many runs.
func TestRunFreesPrograms(t *testing.T) {
	for _, k := range []int{1, 2} {
		s := testSetup(t, "")
		counted := livecount.Wrap(s.Backend)
		s.Backend = counted
		s.Config.StepsPerCall = k
		res, err := Run(gocontext.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		vars := 0
		for v := range res.Context.IterVariables() {
			if v.HasValue() {
				vars++
			}
		}
		if counted.Programs() != 0 || counted.Buffers() > vars {
			t.Errorf("steps_per_call %d: after the run %s; want no programs and at most the %d variables", k, counted.Report(), vars)
		}
		res.Context.Finalize()
		if counted.Programs() != 0 || counted.Buffers() != 0 {
			t.Errorf("steps_per_call %d: after finalizing the variables %s; want nothing", k, counted.Report())
		}
	}
}

// TestPadValid: with PadValid the last, partial validation batch runs
// through the full batch's forward program (one compile instead of two)
// and the run logs what it logs without padding: the padded rows are
// dropped before the loss and the probabilities. Without a full batch
// in the validation set nothing is padded.
func TestPadValid(t *testing.T) {
	for _, tc := range []struct {
		name          string
		valid         *data.Dataset
		pad           bool
		forward, lpad int // compiles of the forward and the padded-loss programs
	}{
		{"15 samples, batch 8, unpadded", toyData(10, 5, 2), false, 2, 0},
		{"15 samples, batch 8, padded", toyData(10, 5, 2), true, 1, 1},
		{"16 samples, batch 8, nothing to pad", toyData(10, 6, 2), true, 1, 0},
		{"5 samples, batch 8, no full batch", toyData(3, 2, 2), true, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(pad bool) (*Result, map[string]int) {
				s := testSetup(t, "")
				s.Valid = tc.valid
				s.Batcher = flatBatcher{s.Train, s.Valid}
				counted := livecount.Wrap(s.Backend)
				s.Backend, s.PadValid = counted, pad
				res, err := Run(gocontext.Background(), s)
				if err != nil {
					t.Fatal(err)
				}
				byName := map[string]int{} // "debiaser/eval#1" counts as "debiaser/eval"
				for name, n := range counted.Compiled() {
					name, _, _ = strings.Cut(name, "#")
					byName[name] += n
				}
				return res, byName
			}
			res, compiled := run(tc.pad)
			if compiled["debiaser/eval"] != tc.forward || compiled["debiaser/eval_loss_padded"] != tc.lpad {
				t.Errorf("compiled %v; want debiaser/eval x%d, debiaser/eval_loss_padded x%d", compiled, tc.forward, tc.lpad)
			}
			if !tc.pad {
				return
			}
			ref, _ := run(false)
			got, want := res.Log, ref.Log
			if n := len(got.Run.ValidScores); n != tc.valid.Len() {
				t.Errorf("%d rows of validation scores; want %d", n, tc.valid.Len())
			}
			if !reflect.DeepEqual(got.Results, want.Results) || !reflect.DeepEqual(got.Y, want.Y) ||
				!reflect.DeepEqual(got.Run.ValidScores, want.Run.ValidScores) {
				t.Errorf("padded run logs other results:\n%+v\nunpadded:\n%+v", got.Results, want.Results)
			}
		})
	}
}
