//go:build xla

package toolkit

import (
	"testing"

	"github.com/debiaser/debiaser/toolkit/device"
	"github.com/debiaser/debiaser/toolkit/internal/offlinexla"
	"github.com/debiaser/debiaser/toolkit/progcache"
	"github.com/debiaser/debiaser/toolkit/xlafix"
)

// An XLA backend from SelectBackend has the half-precision fixes and a
// program cache keyed by StableHLO (unless $DEBIASER_PROGRAM_CACHE turns
// it off); other backends neither.
func TestBackendWithFixesXLA(t *testing.T) {
	b := withFixes(offlinexla.New(t))
	if b.Name() != device.XLAName || xlafix.Unwrap(b) == b {
		t.Errorf("backend %q (%T): want XLA wrapped by xlafix", b.Name(), b)
	}
	if progcache.Of(b) == nil {
		t.Error("no program cache on the XLA backend")
	}
	t.Setenv(EnvProgramCache, "off")
	if b := withFixes(offlinexla.New(t)); progcache.Of(b) != nil || xlafix.Unwrap(b) == b {
		t.Errorf("%s=off: backend %T, want xlafix without a program cache", EnvProgramCache, b)
	}
	g, _, err := SelectBackend("gofast")
	if err != nil {
		t.Fatal(err)
	}
	if progcache.Of(g) != nil {
		t.Error("gofast got a program cache")
	}
}
