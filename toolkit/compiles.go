package toolkit

import (
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
)

// CompileStats counts the graphs a backend compiled and the time spent
// compiling them. On XLA each distinct graph (and each new input shape of
// it, such as a last partial batch) is one compile, seconds each for a
// ResNet on a GPU, so a study's wall time is partly compile time.
type CompileStats struct {
	mu       sync.Mutex
	count    int
	duration time.Duration
}

// Count is the number of graphs compiled so far.
func (s *CompileStats) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Duration is the total time spent in the backend's Compile.
func (s *CompileStats) Duration() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duration
}

func (s *CompileStats) add(d time.Duration) {
	s.mu.Lock()
	s.count++
	s.duration += d
	s.mu.Unlock()
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
	return &timedBuilder{Builder: inner, stats: b.stats}
}

type timedBuilder struct {
	backends.Builder
	stats *CompileStats
}

func (b *timedBuilder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	start := time.Now()
	exec, err := b.Builder.Compile(outputs, shardings)
	b.stats.add(time.Since(start))
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
