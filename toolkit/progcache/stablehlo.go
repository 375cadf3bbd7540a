//go:build xla

package progcache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/gomlx/go-xla/pkg/stablehlo"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/gomlx/gomlx/pkg/core/distributed"
)

// StableHLOKey keys a builder of GoMLX's XLA backend by the program it
// would hand to the PJRT plugin: the StableHLO text of its functions (the
// module's name, which is the graph's, left out) and the values it returns
// with their shapes. It reads the builder's unexported fields (GoMLX
// v0.26.0 keeps the program there); when they are not as expected (another
// GoMLX), for a multi-device program, or for any other backend it declines
// and the builder compiles as usual: never a wrong match.
func StableHLOKey(b backends.Builder, outputs []backends.Op) (string, bool) {
	for {
		u, ok := b.(interface{ Unwrap() backends.Builder })
		if !ok {
			break
		}
		b = u.Unwrap()
	}
	xb, ok := b.(*xla.Builder)
	if !ok || xb == nil || len(outputs) == 0 {
		return "", false
	}
	v := reflect.ValueOf(xb).Elem()
	compiled, ok1 := field[bool](v, "compiled")
	strategy, ok2 := field[distributed.Strategy](v, "distStrategy")
	assignment, ok3 := field[[]int](v, "deviceAssignment")
	hlo, ok4 := field[*stablehlo.Builder](v, "builder")
	if !ok1 || !ok2 || !ok3 || !ok4 || compiled || strategy != distributed.None || len(assignment) > 0 || hlo == nil {
		return "", false
	}
	text, err := hlo.Build() // the functions so far; Compile adds the return
	if err != nil {
		return "", false
	}
	h := sha256.New()
	if i := strings.IndexByte(string(text), '\n'); i >= 0 {
		// "module @name attributes {...} {": all but the name.
		header := string(text[:i])
		if _, rest, ok := strings.Cut(header, " "); ok && strings.HasPrefix(header, "module @") {
			if _, rest, ok = strings.Cut(rest, " "); ok {
				h.Write([]byte(rest))
			}
		}
		text = text[i:]
	}
	h.Write(text)
	for _, op := range outputs {
		node, ok := op.(*xla.Node)
		if !ok || node == nil {
			return "", false
		}
		value, ok := field[*stablehlo.Value](reflect.ValueOf(node).Elem(), "value")
		if !ok || value == nil {
			return "", false
		}
		name, ok := field[string](reflect.ValueOf(value).Elem(), "name")
		if !ok {
			return "", false
		}
		fmt.Fprintf(h, "\nreturn %%%s: %s", name, value.Shape().ToStableHLO())
	}
	return "stablehlo:" + hex.EncodeToString(h.Sum(nil)), true
}

// field reads the (unexported) field name of the struct v as a T.
func field[T any](v reflect.Value, name string) (T, bool) {
	var zero T
	f := v.FieldByName(name)
	if !f.IsValid() || f.Type() != reflect.TypeFor[T]() {
		return zero, false
	}
	return *(*T)(unsafe.Pointer(f.UnsafeAddr())), true
}
