package train

import (
	gocontext "context"
	"testing"

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
