package toolkit

import (
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/progcache"
)

// CompileStats counts the graphs a backend compiled and the time spent
// compiling them. On XLA each distinct graph (and each new input shape of
// it, such as a last partial batch) is one compile, seconds each for a
// ResNet on a GPU, so a study's wall time is partly compile time.
type CompileStats struct {
	mu       sync.Mutex
	count    int
	reused   int
	duration time.Duration
	byName   map[string]*CompileEntry
	order    []string
}

// CompileEntry is the compiles of the graphs of one name (GoMLX names a
// training step's graph after the trainer, an evaluation step's likewise,
// variable initialisation and augmentation after their own).
type CompileEntry struct {
	Name    string
	Count   int
	Seconds float64
	Reused  int // programs compiled before for another graph (see package progcache), not counted in Count
}

// ByName returns the compiles grouped by graph name, in the order the
// names first compiled.
func (s *CompileStats) ByName() []CompileEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CompileEntry, 0, len(s.order))
	for _, name := range s.order {
		out = append(out, *s.byName[name])
	}
	return out
}

// Count is the number of graphs compiled so far.
func (s *CompileStats) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Reused is the number of graphs that got a program compiled before for
// another graph with the same program (on XLA, by SelectBackend's program
// cache: package progcache) instead of a compile.
func (s *CompileStats) Reused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reused
}

// Duration is the total time spent in the backend's Compile.
func (s *CompileStats) Duration() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duration
}

func (s *CompileStats) add(name string, d time.Duration, reused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reused {
		s.reused++
	} else {
		s.count++
		s.duration += d
	}
	if s.byName == nil {
		s.byName = map[string]*CompileEntry{}
	}
	e, ok := s.byName[name]
	if !ok {
		e = &CompileEntry{Name: name}
		s.byName[name] = e
		s.order = append(s.order, name)
	}
	if reused {
		e.Reused++
		return
	}
	e.Count++
	e.Seconds += d.Seconds()
}

// WithCompileStats returns b counting and timing its compiles in stats.
// Use the returned backend for everything (a tensor belongs to one backend
// value).
func WithCompileStats(b backends.Backend, stats *CompileStats) backends.Backend {
	return &timedBackend{Backend: b, stats: stats}
}

type timedBackend struct {
	backends.Backend
	stats *CompileStats
}

// Unwrap returns the backend being timed.
func (b *timedBackend) Unwrap() backends.Backend { return b.Backend }

func (b *timedBackend) Builder(name string) backends.Builder {
	inner := b.Backend.Builder(name)
	if inner == nil {
		return nil
	}
	return &timedBuilder{Builder: inner, stats: b.stats, name: name}
}

type timedBuilder struct {
	backends.Builder
	stats *CompileStats
	name  string
}

func (b *timedBuilder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	start := time.Now()
	exec, err := b.Builder.Compile(outputs, shardings)
	b.stats.add(b.name, time.Since(start), err == nil && progcache.Reused(exec))
	return exec, err
}

// unwrapAll looks through backend wrappers (this package's, xlafix's) to
// the backend that runs.
func unwrapAll(b backends.Backend) backends.Backend {
	for {
		w, ok := b.(interface{ Unwrap() backends.Backend })
		if !ok {
			return b
		}
		b = w.Unwrap()
	}
}
