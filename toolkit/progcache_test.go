package toolkit

import (
	gocontext "context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/internal/livecount"
	"github.com/debiaser/debiaser/toolkit/progcache"
)

// nameKey keys a builder by its graph's name and its outputs' shapes: on
// gofast, where programs have no text, it tells programs apart only
// within one configuration.
func nameKey(b backends.Builder, outputs []backends.Op) (string, bool) {
	key := b.Name()
	for _, op := range outputs {
		s, err := b.OpShape(op)
		if err != nil {
			return "", false
		}
		key += " " + s.String()
	}
	return key, true
}

// A run again on the same backend gets every program from the program
// cache (package progcache; XLA's key is tested in that package, this is
// the plumbing: programs shared between two runs' graphs and contexts,
// released and kept between them) and logs what it logs alone.
//
// On gofast the cache is keyed here by nameKey: a run again is one
// configuration.
func TestProgramCacheRunAgain(t *testing.T) {
	for _, tt := range []struct {
		name    string
		augment string
		steps   int
	}{{"host augmentation", "host", 1}, {"device augmentation, 2 steps a call", "device", 2}} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := gobackend.NewBackend("")
			if err != nil {
				t.Fatal(err)
			}
			live := livecount.Wrap(g)
			cache := progcache.New(0, nameKey)
			var stats CompileStats
			b := WithCompileStats(progcache.Wrap(live, cache), &stats)
			results := func(res *Result) string {
				t.Helper()
				r := res.Log.Results
				r.EpochSeconds = nil // wall times differ
				j, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				return string(j)
			}
			var logs []string
			for run := range 2 {
				c0, r0 := stats.Count(), stats.Reused()
				res, err := tiny(t).AugmentOn(tt.augment).StepsPerCall(tt.steps).UseBackend(b).Run(gocontext.Background())
				if err != nil {
					t.Fatal(err)
				}
				logs = append(logs, results(res))
				res.Free()
				compiled, reused := stats.Count()-c0, stats.Reused()-r0
				t.Logf("run %d: %d compiles, %d reused", run+1, compiled, reused)
				if run == 0 && (compiled == 0 || reused != 0) {
					t.Errorf("first run: %d compiles, %d reused; want compiles only", compiled, reused)
				}
				if run == 1 && (compiled != 0 || reused != c0) {
					t.Errorf("run again: %d compiles, %d reused; want 0 and %d", compiled, reused, c0)
				}
			}
			alone, err := tiny(t).AugmentOn(tt.augment).StepsPerCall(tt.steps).Run(gocontext.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := results(alone)
			alone.Free()
			for i, l := range logs {
				if l != want {
					t.Errorf("run %d with the cache logs other results than a run without it:\n%s\n%s", i+1, l, want)
				}
			}
			if live.Programs() != cache.Kept() || cache.Kept() == 0 {
				t.Errorf("after the runs: %s, %d kept; want the kept programs only", live.Report(), cache.Kept())
			}
			b.Finalize()
			if live.Programs() != 0 {
				t.Errorf("backend finalized: %s", live.Report())
			}
		})
	}
}

// Runs with other losses evaluate with one forward program: keyed here by
// name for the evaluation's forward graph only, the second run reuses the
// first's, and both log what they log alone (were the loss inside that
// program, the second run would evaluate with the first's loss).
func TestProgramCacheEvalAcrossLosses(t *testing.T) {
	forwardOnly := func(b backends.Builder, outputs []backends.Op) (string, bool) {
		if !strings.HasPrefix(b.Name(), "debiaser/eval#") {
			return "", false
		}
		return nameKey(b, outputs)
	}
	g, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	cache := progcache.New(0, forwardOnly)
	b := progcache.Wrap(g, cache)
	defer b.Finalize()
	experiments := []func() *Experiment{
		func() *Experiment { return tiny(t) },
		func() *Experiment { return tiny(t).Loss("CB", "focal").Gamma(2) },
		func() *Experiment { return tiny(t).Loss("MFE", "MSFE") },
	}
	for i, e := range experiments {
		shared, err := e().UseBackend(b).Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		alone, err := e().Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(shared.Log.Results.ValidLoss, alone.Log.Results.ValidLoss) || !slices.Equal(shared.Log.Results.ValidAccuracy, alone.Log.Results.ValidAccuracy) {
			t.Errorf("run %d: valid loss %v, accuracy %v with the shared forward program; alone %v, %v", i+1,
				shared.Log.Results.ValidLoss, shared.Log.Results.ValidAccuracy, alone.Log.Results.ValidLoss, alone.Log.Results.ValidAccuracy)
		}
		shared.Free()
		alone.Free()
	}
	// Each run evaluates full batches and a partial one padded to the full
	// size (train.Setup.PadValid): 1 forward program.
	if s := cache.Stats(); s.Compiles != 1 || s.Reuses != len(experiments)-1 {
		t.Errorf("stats %+v: want 1 forward program compiled, reused by the %d later runs", s, len(experiments)-1)
	}
}
