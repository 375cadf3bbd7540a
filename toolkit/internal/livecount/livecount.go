// Package livecount wraps a GoMLX backend and counts what its callers hold
// on it: buffers (made by uploads, copies and program outputs; released by
// BufferFinalize or by donating them to a program) and compiled programs
// (released by Finalize). On a GPU each is device memory that a Go garbage
// collection may free much later, or never when the Go heap stays small;
// tests use the counts to check that a run, a study or a search leaves
// nothing behind but what it returns.
package livecount

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Backend is a counting backends.Backend. Use it for everything of a test
// (a tensor belongs to one backend value).
type Backend struct {
	backends.Backend
	mu       sync.Mutex
	buffers  map[backends.Buffer]struct{}
	programs map[*executable]string
	compiled map[string]int
	executed map[string]int
}

// Wrap returns b counting its live buffers and programs.
func Wrap(b backends.Backend) *Backend {
	return &Backend{Backend: b, buffers: map[backends.Buffer]struct{}{}, programs: map[*executable]string{}, compiled: map[string]int{}, executed: map[string]int{}}
}

// Unwrap returns the counted backend.
func (b *Backend) Unwrap() backends.Backend { return b.Backend }

// Buffers is the number of buffers made through b and not yet released.
func (b *Backend) Buffers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buffers)
}

// Programs is the number of programs compiled through b and not yet
// finalized.
func (b *Backend) Programs() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.programs)
}

// Compiled counts the programs compiled through b so far, finalized or
// not, by graph name.
func (b *Backend) Compiled() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.compiled)
}

// Executed counts the calls of programs compiled through b so far, by
// graph name.
func (b *Backend) Executed() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.executed)
}

// Report lists the live programs by graph name and the live buffers by
// shape, for a test's failure message.
func (b *Backend) Report() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	progs := map[string]int{}
	for _, name := range b.programs {
		progs[name]++
	}
	bufs := map[string]int{}
	for buf := range b.buffers {
		s, err := b.Backend.BufferShape(buf)
		key := s.String()
		if err != nil {
			key = "?"
		}
		bufs[key]++
	}
	return fmt.Sprintf("%d programs %s, %d buffers %s", len(b.programs), counts(progs), len(b.buffers), counts(bufs))
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s x%d", k, m[k])
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (b *Backend) add(bufs ...backends.Buffer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range bufs {
		if x != nil {
			b.buffers[x] = struct{}{}
		}
	}
}

func (b *Backend) drop(x backends.Buffer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.buffers, x)
}

// BufferFinalize implements backends.Backend.
func (b *Backend) BufferFinalize(x backends.Buffer) error {
	b.drop(x)
	return b.Backend.BufferFinalize(x)
}

// BufferFromFlatData implements backends.Backend.
func (b *Backend) BufferFromFlatData(d backends.DeviceNum, flat any, s shapes.Shape) (backends.Buffer, error) {
	x, err := b.Backend.BufferFromFlatData(d, flat, s)
	if err == nil {
		b.add(x)
	}
	return x, err
}

// NewSharedBuffer implements backends.Backend.
func (b *Backend) NewSharedBuffer(d backends.DeviceNum, s shapes.Shape) (backends.Buffer, any, error) {
	x, flat, err := b.Backend.NewSharedBuffer(d, s)
	if err == nil {
		b.add(x)
	}
	return x, flat, err
}

// BufferCopyToDevice implements backends.Backend.
func (b *Backend) BufferCopyToDevice(src backends.Buffer, d backends.DeviceNum) (backends.Buffer, error) {
	x, err := b.Backend.BufferCopyToDevice(src, d)
	if err == nil {
		b.add(x)
	}
	return x, err
}

// Builder implements backends.Backend: its programs are counted.
func (b *Backend) Builder(name string) backends.Builder {
	inner := b.Backend.Builder(name)
	if inner == nil {
		return nil
	}
	return &builder{Builder: inner, b: b, name: name}
}

type builder struct {
	backends.Builder
	b    *Backend
	name string
}

func (bl *builder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	e, err := bl.Builder.Compile(outputs, shardings)
	if err != nil {
		return e, err
	}
	x := &executable{Executable: e, b: bl.b, name: bl.name}
	bl.b.mu.Lock()
	bl.b.programs[x] = bl.name
	bl.b.compiled[bl.name]++
	bl.b.mu.Unlock()
	return x, nil
}

type executable struct {
	backends.Executable
	b    *Backend
	name string
}

func (e *executable) Finalize() {
	e.b.mu.Lock()
	delete(e.b.programs, e)
	e.b.mu.Unlock()
	e.Executable.Finalize()
}

func (e *executable) Execute(inputs []backends.Buffer, donate []bool, dev backends.DeviceNum) ([]backends.Buffer, error) {
	for i, d := range donate {
		if d && i < len(inputs) {
			e.b.drop(inputs[i])
		}
	}
	out, err := e.Executable.Execute(inputs, donate, dev)
	if err == nil {
		e.b.add(out...)
		e.b.mu.Lock()
		e.b.executed[e.name]++
		e.b.mu.Unlock()
	}
	return out, err
}
