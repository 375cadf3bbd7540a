package gobackend

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestElementwiseMatchesSimpleGo checks the parallel elementwise kernels (large float32 operands,
// same shape or scalar) against SimpleGo.
func TestElementwiseMatchesSimpleGo(t *testing.T) {
	n := minParallelElements + 4*17
	rng := rand.New(rand.NewPCG(3, 3))
	xf, yf := make([]float32, n), make([]float32, n)
	for i := range xf {
		xf[i], yf[i] = rng.Float32()*2-1, rng.Float32()+0.5
		if i%3 == 0 {
			xf[i] = 0 // Sign of zero (ReLU gradients).
		}
	}
	xf[1], xf[2], xf[4] = float32(math.NaN()), float32(math.Copysign(0, -1)), float32(math.Inf(-1))
	ops := map[string]func(x, y *Node) *Node{"add": Add, "sub": Sub, "mul": Mul, "div": Div, "max": Max,
		"sign": func(x, _ *Node) *Node { return Sign(x) }, "sqrt": func(_, y *Node) *Node { return Sqrt(y) }}
	for name, op := range ops {
		for _, form := range []string{"same shape", "scalar rhs", "scalar lhs", "channel rhs", "channel lhs"} {
			t.Run(name+"/"+form, func(t *testing.T) {
				f := func(x, y *Node) *Node {
					switch form {
					case "scalar rhs":
						return op(x, Scalar(x.Graph(), x.DType(), 0.75))
					case "scalar lhs":
						return op(Scalar(x.Graph(), x.DType(), 0.75), y)
					case "channel rhs":
						return op(x, Slice(y, AxisRange(0, 1)))
					case "channel lhs":
						return op(Slice(x, AxisRange(1, 2)), y)
					}
					return op(x, y)
				}
				var outs [][]*tensors.Tensor
				for _, b := range []backends.Backend{mustBackend(t, ""), simplego.GetBackend()} {
					out, err := ExecOnce(b, f, tensors.FromFlatDataAndDimensions(xf, 4, n/4), tensors.FromFlatDataAndDimensions(yf, 4, n/4))
					if err != nil {
						t.Fatal(err)
					}
					outs = append(outs, []*tensors.Tensor{out})
				}
				assertClose(t, outs[0], outs[1])
			})
		}
	}
}

// The SIMD loops (GOEXPERIMENT=simd on amd64) give the scalar loops' bits,
// special values included, for every length's tail; without SIMD they
// decline and this checks the scalar path against itself.
func TestElementwiseSIMDBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0xffc00002), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		math.MaxFloat32, 1e-40, 3}
	values := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			if i%3 == 0 {
				v[i] = special[rng.IntN(len(special))]
			} else {
				v[i] = (rng.Float32()*2 - 1) * float32(math.Pow(10, float64(rng.IntN(20)-10)))
			}
		}
		return v
	}
	same := func(a, b []float32) int {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return i
			}
		}
		return -1
	}
	for _, n := range []int{1, 7, 15, 16, 17, 33, 1000, 5000} {
		x, y, s := values(n), values(n), values(1)
		for _, op := range []backends.OpType{backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul, backends.OpTypeDiv, backends.OpTypeMax} {
			for _, form := range []struct {
				name string
				x, y []float32
			}{{"same", x, y}, {"scalar x", s, y}, {"scalar y", x, s}} {
				got, want := make([]float32, n), make([]float32, n)
				binaryLoop(op, got, form.x, form.y)
				binaryScalar(op, want, form.x, form.y)
				if i := same(got, want); i >= 0 {
					t.Errorf("%s %s n=%d: element %d is %v (%08x), scalar %v (%08x)", op, form.name, n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
		for _, op := range []backends.OpType{backends.OpTypeSqrt, backends.OpTypeSign} {
			got, want := make([]float32, n), make([]float32, n)
			unaryLoop(op, got, x)
			unaryScalar(op, want, x)
			if i := same(got, want); i >= 0 {
				t.Errorf("%s n=%d: element %d of %s(%v) is %08x, scalar %08x", op, n, i, op, x[i], math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// BenchmarkElementwiseLoops times the elementwise loops (one core) on 4 M
// floats against their scalar forms: go test -run - -bench ElementwiseLoops
// ./toolkit/gobackend/ (with GOEXPERIMENT=simd for the SIMD ones).
func BenchmarkElementwiseLoops(b *testing.B) {
	const n = 1 << 22
	x, y, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%101)+1, float32(i%89)+1
	}
	for _, op := range []backends.OpType{backends.OpTypeAdd, backends.OpTypeMul, backends.OpTypeDiv, backends.OpTypeMax,
		backends.OpTypeSqrt, backends.OpTypeSign} {
		unary := op == backends.OpTypeSqrt || op == backends.OpTypeSign
		for _, impl := range []string{"loop", "scalar"} {
			b.Run(op.String()+"/"+impl, func(b *testing.B) {
				b.SetBytes(3 * 4 * n)
				for b.Loop() {
					switch {
					case unary && impl == "loop":
						unaryLoop(op, dst, x)
					case unary:
						unaryScalar(op, dst, x)
					case impl == "loop":
						binaryLoop(op, dst, x, y)
					default:
						binaryScalar(op, dst, x, y)
					}
				}
			})
		}
	}
}
