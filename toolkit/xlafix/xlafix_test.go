package xlafix

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/gobackend"
)

func cpu(t *testing.T) backends.Backend {
	t.Helper()
	b, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWrapComputesTheSame: on a backend without the bug, the wrapped ops
// (bf16 max-pool gradient, bf16 ArgMax) give what the plain backend gives.
func TestWrapComputesTheSame(t *testing.T) {
	plain := cpu(t)
	wrapped := Wrap(plain)
	if Wrap(wrapped) != wrapped || Unwrap(wrapped) != plain || Unwrap(plain) != plain || Wrap(nil) != nil {
		t.Fatal("Wrap/Unwrap identities")
	}
	xs := make([]float32, 2*6*6*3)
	for i := range xs {
		xs[i] = float32(math.Sin(float64(i) * 0.77))
	}
	fn := func(x *Node) []*Node {
		h := ConvertDType(x, dtypes.BFloat16)
		pooled := MaxPool(h).Window(2).Done()
		loss := ReduceAllSum(Mul(ConvertDType(pooled, dtypes.Float32), ConvertDType(pooled, dtypes.Float32)))
		grad := Gradient(loss, x)[0]
		return []*Node{grad, ArgMax(Reshape(h, 2, -1), -1, dtypes.Int32)}
	}
	run := func(b backends.Backend) ([]float32, []int32) {
		x := tensors.FromFlatDataAndDimensions(xs, 2, 6, 6, 3) // a tensor lives on one backend
		out := MustExecOnceN(b, fn, x)
		return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[int32](out[1])
	}
	g1, a1 := run(plain)
	g2, a2 := run(wrapped)
	if !slices.Equal(g1, g2) || !slices.Equal(a1, a2) {
		t.Errorf("wrapped backend differs: grad %v vs %v, argmax %v vs %v", g1[:6], g2[:6], a1, a2)
	}
	nonzero := 0
	for _, v := range g2 {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero != 2*3*3*3 { // one max per 2x2 window
		t.Errorf("%d non-zero gradient entries, want %d", nonzero, 2*3*3*3)
	}
}

// Wrap a backend before building graphs on it; SelectBackend in package
// toolkit does this for every XLA backend.
func ExampleWrap() {
	b, _ := gobackend.NewBackend("")
	b = Wrap(b)
	_ = b // use as any backend: graph.NewGraph(b, ...), train.NewTrainer(b, ...)
}
