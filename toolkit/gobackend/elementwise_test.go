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
