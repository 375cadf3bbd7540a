package models

import (
	"fmt"
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestDepthwiseConv compares the shifted-slices depthwise convolution with
// GoMLX's grouped convolution (values), and its gradient with finite
// differences. The gradient part needs Pad, which SimpleGo lacks: it skips
// there.
func TestDepthwiseConv(t *testing.T) {
	const n, h, w, c = 2, 7, 6, 3
	xs := make([]float32, n*h*w*c)
	for i := range xs {
		xs[i] = float32(math.Sin(float64(i)*0.7) + 0.1*float64(i%5))
	}
	for _, tt := range []struct{ k, stride int }{{3, 1}, {3, 2}, {5, 1}, {5, 2}} {
		t.Run(fmt.Sprintf("k%d_s%d", tt.k, tt.stride), func(t *testing.T) {
			ks := make([]float32, tt.k*tt.k*c)
			for i := range ks {
				ks[i] = float32(math.Cos(float64(i) * 1.3))
			}
			x := tensors.FromFlatDataAndDimensions(xs, n, h, w, c)
			kernel := tensors.FromFlatDataAndDimensions(ks, tt.k, tt.k, 1, c)
			exec := func(fn func(x, k *Node) *Node, x, kernel *tensors.Tensor) ([]float32, error) {
				var out []float32
				err := catch(func() {
					e, err := NewExec(backend(t), fn)
					if err != nil {
						panic(err)
					}
					res, err := e.Exec(x, kernel)
					if err != nil {
						panic(err)
					}
					out = tensors.MustCopyFlatData[float32](res[0])
				})
				return out, err
			}
			p := (tt.k - 1) / 2
			grouped, err := exec(func(x, k *Node) *Node {
				return Convolve(x, k).StridePerAxis(tt.stride, tt.stride).PaddingPerDim([][2]int{{p, p}, {p, p}}).
					DilationPerAxis(1, 1).ChannelGroupCount(c).Done()
			}, x, kernel)
			if err != nil {
				t.Fatal(err)
			}
			shifted, err := exec(func(x, k *Node) *Node { return depthwiseConv(x, k, tt.k, tt.stride) }, x, kernel)
			if err != nil {
				t.Fatal(err)
			}
			if len(grouped) != len(shifted) {
				t.Fatalf("%d outputs, grouped convolution %d", len(shifted), len(grouped))
			}
			for i := range grouped {
				if math.Abs(float64(grouped[i]-shifted[i])) > 1e-5 {
					t.Fatalf("output %d: %v, grouped convolution %v", i, shifted[i], grouped[i])
				}
			}

			// Gradient of sum(out * out) w.r.t. x and the kernel.
			loss := func(x, k *Node) *Node { y := depthwiseConv(x, k, tt.k, tt.stride); return ReduceAllSum(Mul(y, y)) }
			var grads []*tensors.Tensor
			err = catch(func() {
				e, err := NewExec(backend(t), func(x, k *Node) []*Node { return Gradient(loss(x, k), x, k) })
				if err != nil {
					panic(err)
				}
				if grads, err = e.Exec(x, kernel); err != nil {
					panic(err)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			const eps = 1e-2
			for which, base := range [][]float32{xs, ks} {
				auto := tensors.MustCopyFlatData[float32](grads[which])
				for i := 0; i < len(base); i += 7 {
					at := func(delta float32) float64 {
						v := slices.Clone(base)
						v[i] += delta
						xt, kt := x, kernel
						if which == 0 {
							xt = tensors.FromFlatDataAndDimensions(v, n, h, w, c)
						} else {
							kt = tensors.FromFlatDataAndDimensions(v, tt.k, tt.k, 1, c)
						}
						out, err := exec(loss, xt, kt)
						if err != nil {
							t.Fatal(err)
						}
						return float64(out[0])
					}
					numeric := (at(eps) - at(-eps)) / (2 * eps)
					if math.Abs(float64(auto[i])-numeric) > 1e-2*math.Max(1, math.Abs(numeric)) {
						t.Errorf("gradient %d[%d] = %v, finite difference %v", which, i, auto[i], numeric)
					}
				}
			}
		})
	}
}
