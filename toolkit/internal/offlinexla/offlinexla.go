//go:build xla

// Package offlinexla gives tests GoMLX's XLA backend with no PJRT plugin
// behind it: graphs build with the real StableHLO writer and Compile hands
// back the program text instead of compiling it. It needs cgo (-tags xla)
// but no plugin, so CI runs the tests that use it on any machine.
package offlinexla

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"unsafe"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/go-xla/pkg/stablehlo"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// setField sets an unexported field of v (a struct).
func setField(t testing.TB, v reflect.Value, name string, value any) {
	t.Helper()
	f := v.FieldByName(name)
	if !f.IsValid() {
		t.Fatalf("xla.Backend has no field %q any more (GoMLX upgraded?)", name)
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(value))
}

// New returns GoMLX's XLA backend (as for a CUDA plugin) without a plugin:
// it builds graphs; compiling panics. Wrap it in Capture to read programs.
func New(t testing.TB) *xla.Backend {
	be := new(xla.Backend)
	v := reflect.ValueOf(be).Elem()
	setField(t, v, "plugin", new(pjrt.Plugin)) // only checked for nil while building
	setField(t, v, "pluginName", "cuda")
	setField(t, v, "capabilities", xla.Capabilities.Clone())
	setField(t, v, "numDevices", 1)
	return be
}

// Captured is the error a Capture builder's Compile returns: the program.
type Captured struct{ Program string }

func (c *Captured) Error() string { return "program captured, not compiled" }

// Capture returns b (an offline XLA backend, not wrapped: wrappers go
// around the capture) with builders whose Compile returns the StableHLO
// program text as a *Captured error instead of compiling it.
func Capture(b backends.Backend) backends.Backend { return capture{b} }

type capture struct{ backends.Backend }

func (c capture) Builder(name string) backends.Builder {
	return &captureBuilder{Builder: c.Backend.Builder(name)}
}

type captureBuilder struct{ backends.Builder }

// Unwrap returns XLA's builder (progcache's key reads its program).
func (b *captureBuilder) Unwrap() backends.Builder { return b.Builder }

func (b *captureBuilder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (exec backends.Executable, err error) {
	defer func() {
		// GoMLX's Compile writes the program, then calls the (absent)
		// PJRT client: read the program its StableHLO builder holds.
		r := recover()
		xb, ok := b.Builder.(*xla.Builder)
		if !ok {
			err = fmt.Errorf("capture: builder %T is not XLA's (panic: %v, error: %v)", b.Builder, r, err)
			return
		}
		f := reflect.ValueOf(xb).Elem().FieldByName("builder")
		if !f.IsValid() {
			err = fmt.Errorf("xla.Builder has no field \"builder\" any more (panic: %v)", r)
			return
		}
		hlo := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*stablehlo.Builder)
		text, berr := hlo.Build()
		if berr != nil {
			err = fmt.Errorf("building the program: %w (compile panic: %v, error: %v)", berr, r, err)
			return
		}
		exec, err = nil, &Captured{Program: string(text)}
	}()
	return b.Builder.Compile(outputs, shardings)
}

// Program builds a graph on b (a Capture backend) with build, compiles its
// outputs and returns the captured program text.
func Program(t testing.TB, b backends.Backend, name string, build func(g *graph.Graph) []*graph.Node) string {
	t.Helper()
	var stepErr error
	func() {
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(error); ok {
					stepErr = e
				} else {
					stepErr = fmt.Errorf("%v", r)
				}
			}
		}()
		g := graph.NewGraph(b, name)
		g.Compile(build(g)...) // panics with the captured program
	}()
	var c *Captured
	if !errors.As(stepErr, &c) {
		t.Fatalf("want the captured program, got %v", stepErr)
	}
	return c.Program
}
