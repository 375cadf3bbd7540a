package gobackend

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// TestCustomOpsRejectForeignOps: custom nodes bypass SimpleGo's input checks, so the builder must
// reject ops from another builder (an error, not a corrupt graph).
func TestCustomOpsRejectForeignOps(t *testing.T) {
	backend := mustBackend(t, "")
	b1, b2 := backend.Builder("one"), backend.Builder("two")
	x, err := b1.Parameter("x", shapes.Make(dtypes.Float32, 2, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	fill, err := b2.Constant([]float32{0})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   func() (backends.Op, error)
	}{
		{"Reverse", func() (backends.Op, error) { return b2.Reverse(x, 0) }},
		{"Pad", func() (backends.Op, error) { return b2.Pad(x, fill, backends.PadAxis{Start: 1}) }},
		{"ReduceWindow", func() (backends.Op, error) {
			return b2.ReduceWindow(x, backends.ReduceOpMax, []int{1, 2}, nil, nil, nil, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.op(); err == nil {
				t.Error("op from another builder accepted")
			}
		})
	}
}
