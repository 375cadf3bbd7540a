package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// refMaxPool is PyTorch's max_pool2d on NHWC data (k x k windows, stride
// s, symmetric padding p, padding never the max), and the gradient of
// sum(y * r): each window's r goes to the first maximum of the window in
// row-major order (PyTorch's tie rule).
func refMaxPool(x []float32, dims []int, k, s, p int, r []float32) (y, dx []float32, ydims []int) {
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	ho, wo := (h+2*p-k)/s+1, (w+2*p-k)/s+1
	y = make([]float32, b*ho*wo*c)
	dx = make([]float32, len(x))
	for n := range b {
		for oi := range ho {
			for oj := range wo {
				for ch := range c {
					best, arg := float32(math.Inf(-1)), -1
					for di := range k {
						for dj := range k {
							i, j := oi*s-p+di, oj*s-p+dj
							if i < 0 || j < 0 || i >= h || j >= w {
								continue
							}
							idx := ((n*h+i)*w+j)*c + ch
							if arg < 0 || x[idx] > best {
								best, arg = x[idx], idx
							}
						}
					}
					o := ((n*ho+oi)*wo+oj)*c + ch
					y[o] = best
					if r != nil {
						dx[arg] += r[o]
					}
				}
			}
		}
	}
	return y, dx, []int{b, ho, wo, c}
}

// poolAndGrad runs a max pool (maxPoolMasks, or GoMLX's MaxPool) in dtype
// on x and returns y and the gradient of sum(y * r), both as float32.
func poolAndGrad(t *testing.T, masks bool, dtype dtypes.DType, x []float32, dims []int, k, s, p int, r []float32, ydims []int) (y, dx []float32) {
	t.Helper()
	var out []*tensors.Tensor
	err := catch(func() {
		exec, err := NewExec(backend(t), func(x, r *Node) (*Node, *Node) {
			xc := ConvertDType(x, dtype)
			var yc *Node
			if masks {
				yc = maxPoolMasks(xc, k, s, p)
			} else {
				yc = MaxPool(xc).Window(k).Strides(s).PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
			}
			loss := ReduceAllSum(Mul(ConvertDType(yc, dtypes.Float32), r))
			return ConvertDType(yc, dtypes.Float32), Gradient(loss, x)[0]
		})
		if err != nil {
			panic(err)
		}
		defer exec.Finalize()
		out, err = exec.Exec(tensors.FromFlatDataAndDimensions(x, dims...), tensors.FromFlatDataAndDimensions(r, ydims...))
		if err != nil {
			panic(err)
		}
	})
	if err != nil {
		t.Fatal(firstLine(err))
	}
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
}

// TestMaxPoolMasks: maxPoolMasks equals PyTorch's max pool (values and
// the first-maximum gradient) exactly, on inputs full of ties (values
// quantized to a few levels, ReLU'd inputs with many zeros, all-equal
// windows), in float32 and bfloat16, for several windows, strides and
// paddings; GoMLX's MaxPool (SelectAndScatter gradient) is checked against
// the same reference.
func TestMaxPoolMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	// Every value is exact in bfloat16 (at most 8 significant bits), so
	// the float32 reference holds for both dtypes.
	inputs := []struct {
		name string
		gen  func() float32
	}{
		{"levels", func() float32 { return float32(rng.IntN(3)) - 1 }}, // -1, 0, 1
		{"relu", func() float32 { return float32(max(0, math.Round(rng.NormFloat64()*4)/4)) }},
		{"zeros", func() float32 { return 0 }},
		{"normal", func() float32 { return float32(math.Round(min(7.9, max(-7.9, rng.NormFloat64()))*16) / 16) }},
	}
	dims := []int{2, 7, 6, 3}
	for _, geo := range [][3]int{{3, 2, 1}, {2, 2, 0}, {3, 1, 1}, {3, 2, 0}, {2, 1, 1}} {
		k, s, p := geo[0], geo[1], geo[2]
		for _, in := range inputs {
			for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16} {
				t.Run(fmt.Sprintf("k%ds%dp%d/%s/%s", k, s, p, in.name, dtype), func(t *testing.T) {
					x := make([]float32, dims[0]*dims[1]*dims[2]*dims[3])
					for i := range x {
						x[i] = in.gen()
					}
					_, _, ydims := refMaxPool(x, dims, k, s, p, nil)
					r := make([]float32, ydims[0]*ydims[1]*ydims[2]*ydims[3])
					for i := range r {
						r[i] = float32(rng.IntN(9) - 4) // small integers: sums are exact
					}
					wantY, wantDx, _ := refMaxPool(x, dims, k, s, p, r)
					y, dx := poolAndGrad(t, true, dtype, x, dims, k, s, p, r, ydims)
					if !slices.Equal(y, wantY) {
						t.Errorf("maxPoolMasks values differ from the reference")
					}
					if !slices.Equal(dx, wantDx) {
						t.Errorf("maxPoolMasks gradient differs from PyTorch's first-maximum rule:\n got %v\nwant %v", dx, wantDx)
					}
					if dtype != dtypes.Float32 {
						return
					}
					y, dx = poolAndGrad(t, false, dtype, x, dims, k, s, p, r, ydims)
					if !slices.Equal(y, wantY) {
						t.Errorf("MaxPool values differ from the reference")
					}
					if !slices.Equal(dx, wantDx) {
						t.Errorf("MaxPool (SelectAndScatter) gradient differs from the reference:\n got %v\nwant %v", dx, wantDx)
					}
				})
			}
		}
	}
}

// TestMaxPoolMasksFirstMax: a window of equal values sends its whole
// gradient to its first element (row-major), as PyTorch does.
func TestMaxPoolMasksFirstMax(t *testing.T) {
	dims := []int{1, 4, 4, 1}
	x := make([]float32, 16) // all zero: every window is a tie
	r := []float32{1, 2, 3, 4}
	_, dx := poolAndGrad(t, true, dtypes.Float32, x, dims, 2, 2, 0, r, []int{1, 2, 2, 1})
	want := []float32{
		1, 0, 2, 0,
		0, 0, 0, 0,
		3, 0, 4, 0,
		0, 0, 0, 0,
	}
	if !slices.Equal(dx, want) {
		t.Errorf("gradient %v, want %v", dx, want)
	}
}
