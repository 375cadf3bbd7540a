package gobackend

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// nearestBFloat16 is the reference: the bfloat16 nearest to f (ties to the
// even mantissa), found by comparing the two neighbours in float64.
func nearestBFloat16(f float32) uint16 {
	bits := math.Float32bits(f)
	lo := uint16(bits >> 16) // truncation: toward zero
	hi := lo + 1             // next away from zero
	dl := math.Abs(float64(f) - float64(math.Float32frombits(uint32(lo)<<16)))
	dh := math.Abs(float64(f) - float64(math.Float32frombits(uint32(hi)<<16)))
	switch {
	case dl < dh:
		return lo
	case dh < dl:
		return hi
	case lo&1 == 0:
		return lo
	}
	return hi
}

func TestRoundToBFloat16(t *testing.T) {
	cases := []float32{0, 1, -1, 1.00390625, 1.005859375, 1.0029296875, 3.14159265, -2.71828, 1e-30, 6e4, 0.1, -0.1,
		math.Float32frombits(0x3f808000), math.Float32frombits(0x3f818000), math.MaxFloat32}
	for i := range 2000 {
		cases = append(cases, float32(math.Sin(float64(i)*1.7)*math.Pow(10, float64(i%9-4))))
	}
	for _, f := range cases {
		got, want := roundToBFloat16(f), nearestBFloat16(f)
		if f == math.MaxFloat32 {
			want = 0x7f80 // rounds up to +Inf, as IEEE and XLA do
		}
		if got != want {
			t.Errorf("roundToBFloat16(%g) = %#04x, want %#04x", f, got, want)
		}
	}
	if got := roundToBFloat16(float32(math.NaN())); got&0x7f80 != 0x7f80 || got&0x7f == 0 {
		t.Errorf("NaN -> %#04x, not a NaN", got)
	}
}

// TestHalfPrecisionOps: on gofast a bfloat16 graph rounds to nearest (not
// toward zero as GoMLX's converter does) and its convolution and products
// accumulate in float32: each result is the float32 result of the same
// bf16 inputs, rounded once.
func TestHalfPrecisionOps(t *testing.T) {
	b := mustBackend(t, "")
	x := make([]float32, 2*6*6*8)
	w := make([]float32, 3*3*8*4)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*0.71)) * 3
	}
	for i := range w {
		w[i] = float32(math.Cos(float64(i)*1.3)) / 5
	}
	xt := tensors.FromFlatDataAndDimensions(x, 2, 6, 6, 8)
	wt := tensors.FromFlatDataAndDimensions(w, 3, 3, 8, 4)
	conv := func(x, w *Node) *Node {
		return Convolve(x, w).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).DilationPerAxis(1, 1).Done()
	}
	// Reference: float32 convolution of the bf16-rounded inputs, rounded.
	ref := MustExecOnce(b, func(x, w *Node) *Node {
		round := func(n *Node) *Node { return ConvertDType(ConvertDType(n, dtypes.BFloat16), dtypes.Float32) }
		return conv(round(x), round(w))
	}, xt, wt)
	got := MustExecOnce(b, func(x, w *Node) *Node {
		return ConvertDType(conv(ConvertDType(x, dtypes.BFloat16), ConvertDType(w, dtypes.BFloat16)), dtypes.Float32)
	}, xt, wt)
	r, g := tensors.MustCopyFlatData[float32](ref), tensors.MustCopyFlatData[float32](got)
	for i := range r {
		if want := math.Float32frombits(uint32(nearestBFloat16(r[i])) << 16); g[i] != want {
			t.Fatalf("bf16 conv[%d] = %v, want %v (float32 %v rounded)", i, g[i], want, r[i])
		}
	}
	// Sums of many bf16 values: float32 accumulation, one rounding.
	ones := make([]float32, 4096)
	for i := range ones {
		ones[i] = 1.0 / 3
	}
	sum := MustExecOnce(b, func(x *Node) *Node {
		return ConvertDType(ReduceAllSum(ConvertDType(x, dtypes.BFloat16)), dtypes.Float32)
	}, ones)
	third := bfloat16.BFloat16(roundToBFloat16(1.0 / 3)).Float32()
	want := math.Float32frombits(uint32(roundToBFloat16(third*4096)) << 16)
	if s := tensors.MustCopyFlatData[float32](sum)[0]; s != want {
		t.Errorf("sum of 4096 bf16 thirds = %v, want %v", s, want)
	}
}
