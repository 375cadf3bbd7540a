package progcache

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/gomlx/gomlx/backends/simplego"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/internal/livecount"
)

// byName keys a builder by its graph's name without the "#n" GoMLX's Exec
// appends: the tests name each distinct graph differently.
func byName(b backends.Builder, _ []backends.Op) (string, bool) {
	name, _, _ := strings.Cut(b.Name(), "#")
	return name, name != "unkeyed"
}

// counted is a backend whose Compile counts, can wait and can fail.
type counted struct {
	backends.Backend
	compiles atomic.Int32
	delay    time.Duration
	fail     func() error // non-nil error: Compile fails with it
}

func (c *counted) Builder(name string) backends.Builder {
	return &countedBuilder{Builder: c.Backend.Builder(name), c: c}
}

type countedBuilder struct {
	backends.Builder
	c *counted
}

func (b *countedBuilder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	b.c.compiles.Add(1)
	time.Sleep(b.c.delay)
	if b.c.fail != nil {
		if err := b.c.fail(); err != nil {
			return nil, err
		}
	}
	return b.Builder.Compile(outputs, shardings)
}

// setup returns a cached backend over a counting and a live-counting one.
func setup(t *testing.T, keep int) (backends.Backend, *Cache, *counted, *livecount.Backend) {
	t.Helper()
	inner, err := backends.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inner.Finalize)
	live := livecount.Wrap(inner)
	cnt := &counted{Backend: live}
	c := New(keep, byName)
	return Wrap(cnt, c), c, cnt, live
}

// scaler is an Exec of the graph named name that multiplies by k.
func scaler(t *testing.T, b backends.Backend, name string, k float64) *graph.Exec {
	t.Helper()
	e, err := graph.NewExec(b, func(x *graph.Node) *graph.Node { return graph.MulScalar(x, k) })
	if err != nil {
		t.Fatal(err)
	}
	return e.WithName(name)
}

func run(t *testing.T, e *graph.Exec, x float32) float32 {
	t.Helper()
	out, err := e.Exec1(tensors.FromValue([]float32{x}))
	if err != nil {
		t.Fatal(err)
	}
	defer out.FinalizeAll()
	return tensors.MustCopyFlatData[float32](out)[0]
}

// Two graphs with one key share one program; a released program is kept
// for the next, and freed with the cache.
func TestShare(t *testing.T) {
	b, c, cnt, live := setup(t, 0)
	e1, e2 := scaler(t, b, "double", 2), scaler(t, b, "double", 2)
	if got := run(t, e1, 3); got != 6 {
		t.Errorf("first: %v, want 6", got)
	}
	if got := run(t, e2, 4); got != 8 {
		t.Errorf("second: %v, want 8", got)
	}
	if n := cnt.compiles.Load(); n != 1 {
		t.Errorf("%d compiles, want 1", n)
	}
	if s := c.Stats(); s.Compiles != 1 || s.Reuses != 1 {
		t.Errorf("stats %+v, want 1 compile, 1 reuse", s)
	}
	e1.Finalize()
	if got := run(t, e2, 5); got != 10 {
		t.Errorf("after the first is finalized: %v, want 10", got)
	}
	e2.Finalize()
	if c.Kept() != 1 || live.Programs() != 1 {
		t.Errorf("released: %d kept, %s; want 1 kept, 1 live", c.Kept(), live.Report())
	}
	e3 := scaler(t, b, "double", 2)
	if got := run(t, e3, 1); got != 2 {
		t.Errorf("third: %v, want 2", got)
	}
	if s := c.Stats(); s.Compiles != 1 || s.Reuses != 2 || c.Kept() != 0 {
		t.Errorf("stats %+v, %d kept; want 1 compile, 2 reuses, 0 kept", s, c.Kept())
	}
	c.Free()
	if live.Programs() != 1 {
		t.Errorf("freed while in use: %s; want the program alive", live.Report())
	}
	if got := run(t, e3, 2); got != 4 {
		t.Errorf("after Free: %v, want 4", got)
	}
	e3.Finalize()
	if live.Programs() != 0 || c.Kept() != 0 {
		t.Errorf("after the last release: %s, %d kept; want nothing", live.Report(), c.Kept())
	}
	if s := c.Stats(); s.Freed != 1 {
		t.Errorf("stats %+v, want 1 freed", s)
	}
	// A freed cache still compiles (nothing is kept).
	e4 := scaler(t, b, "double", 2)
	if got := run(t, e4, 2); got != 4 {
		t.Errorf("after Free: %v, want 4", got)
	}
	e4.Finalize()
	if live.Programs() != 0 {
		t.Errorf("freed cache kept %s", live.Report())
	}
}

// Different keys compile apart; the cache keeps the last `keep` released.
func TestKeep(t *testing.T) {
	b, c, cnt, live := setup(t, 2)
	for i, k := range []float64{2, 3, 4} {
		e := scaler(t, b, fmt.Sprintf("times%d", i), k)
		if got := run(t, e, 1); got != float32(k) {
			t.Errorf("times %v: got %v", k, got)
		}
		e.Finalize()
	}
	if c.Kept() != 2 || live.Programs() != 2 || c.Stats().Freed != 1 {
		t.Errorf("%d kept, %s, stats %+v; want 2 kept and live, 1 freed", c.Kept(), live.Report(), c.Stats())
	}
	// times0 was dropped (oldest): compiled again; times2 is kept.
	for _, name := range []string{"times0", "times2"} {
		e := scaler(t, b, name, 1)
		run(t, e, 1)
		e.Finalize()
	}
	if n := cnt.compiles.Load(); n != 4 {
		t.Errorf("%d compiles, want 4", n)
	}
	b.Finalize() // frees what the cache keeps
	if live.Programs() != 0 {
		t.Errorf("backend finalized, still %s", live.Report())
	}
}

// Builders asking for a program being compiled wait for it: one compile.
func TestConcurrentCompileOnce(t *testing.T) {
	b, c, cnt, live := setup(t, 0)
	cnt.delay = 50 * time.Millisecond
	const n = 6
	var wg sync.WaitGroup
	got := make([]float32, n)
	execs := make([]*graph.Exec, n)
	for i := range n {
		execs[i] = scaler(t, b, "triple", 3)
	}
	for i := range n {
		wg.Go(func() {
			out, err := execs[i].Exec1(tensors.FromValue([]float32{float32(i)}))
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = tensors.MustCopyFlatData[float32](out)[0]
			out.FinalizeAll()
		})
	}
	wg.Wait()
	for i, v := range got {
		if v != float32(3*i) {
			t.Errorf("goroutine %d: %v, want %d", i, v, 3*i)
		}
	}
	if k := cnt.compiles.Load(); k != 1 {
		t.Errorf("%d compiles, want 1", k)
	}
	if s := c.Stats(); s.Reuses != n-1 {
		t.Errorf("stats %+v, want %d reuses", s, n-1)
	}
	for _, e := range execs {
		e.Finalize()
	}
	if live.Programs() != 1 || c.Kept() != 1 {
		t.Errorf("%s, %d kept; want the one program kept", live.Report(), c.Kept())
	}
}

// A failed or panicking compile is an error for its builder and leaves
// nothing behind: the next builder compiles.
func TestFailedCompile(t *testing.T) {
	b, c, cnt, _ := setup(t, 0)
	for _, tc := range []struct {
		name string
		fail func() error
		want string
	}{
		{"error", func() error { return errors.New("out of memory") }, "out of memory"},
		{"panic", func() error { panic("plugin crashed") }, "compile panicked: plugin crashed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cnt.fail = tc.fail
			e := scaler(t, b, "half-"+tc.name, 0.5)
			_, err := e.Exec1(tensors.FromValue([]float32{2}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			e.Finalize()
			cnt.fail = nil
			e = scaler(t, b, "half-"+tc.name, 0.5)
			defer e.Finalize()
			if got := run(t, e, 2); got != 1 {
				t.Errorf("after the failure: %v, want 1", got)
			}
		})
	}
	if s := c.Stats(); s.Compiles != 2 || s.Reuses != 0 {
		t.Errorf("stats %+v: want 2 compiles (one a subtest), no reuse", s)
	}
}

// Builders the key function declines compile every time.
func TestUnkeyed(t *testing.T) {
	b, c, cnt, live := setup(t, 0)
	for range 2 {
		e := scaler(t, b, "unkeyed", 2)
		run(t, e, 1)
		e.Finalize()
	}
	if n := cnt.compiles.Load(); n != 2 || c.Stats().Unkeyed != 2 || live.Programs() != 0 {
		t.Errorf("%d compiles, stats %+v, %s; want 2 unkeyed compiles, nothing kept", n, c.Stats(), live.Report())
	}
}

func TestOfAndReused(t *testing.T) {
	b, c, _, _ := setup(t, 0)
	if Of(b) != c {
		t.Error("Of(wrapped) is not its cache")
	}
	if Of(wrapper{b}) != c {
		t.Error("Of does not look through Unwrap")
	}
	if Of(b.(*backend).Backend) != nil {
		t.Error("Of(inner) found a cache")
	}
	compile := func() (backends.Executable, error) { return fakeExec{}, nil }
	first, _ := c.compile("k", compile)
	second, _ := c.compile("k", compile)
	if Reused(first) || !Reused(second) || Reused(fakeExec{}) {
		t.Errorf("Reused: first %v, second %v, other %v; want false, true, false", Reused(first), Reused(second), Reused(fakeExec{}))
	}
}

type wrapper struct{ backends.Backend }

func (w wrapper) Unwrap() backends.Backend { return w.Backend }

type fakeExec struct{ backends.Executable }

func (fakeExec) Finalize() {}
