package gobackend

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"
)

// convCase is one convolution configuration of the table tests.
type convCase struct {
	name                                   string
	batch, size, cin, cout, kernel, stride int
	padSame                                bool
	groups                                 int
	channelsFirst                          bool
	skip                                   string
}

var convCases = []convCase{
	{"1x1", 2, 5, 3, 4, 1, 1, false, 1, false, ""},
	{"3x3 same", 2, 6, 3, 4, 3, 1, true, 1, false, ""},
	{"3x3 valid", 2, 6, 2, 3, 3, 1, false, 1, false, ""},
	{"3x3 stride2 same", 2, 7, 3, 4, 3, 2, true, 1, false, ""},
	{"1x1 stride2", 2, 6, 3, 5, 1, 2, false, 1, false, ""},
	{"7x7 stride2 same", 1, 9, 2, 3, 7, 2, true, 1, false, ""},
	{"3x3 groups2", 2, 5, 4, 6, 3, 1, true, 2, false, ""},
	{"3x3 depthwise", 2, 5, 3, 3, 3, 1, true, 3, false, ""},
	{"3x3 channels first", 2, 5, 3, 4, 3, 2, true, 1, true, ""},
	{"2x2 same", 2, 5, 3, 4, 2, 1, true, 1, false,
		// convVJPWrtX pads the reverse convolution as (padLo, padHi) instead of (k-1-padLo, k-1-padHi).
		"GoMLX v0.26.0 graph-level input gradient is wrong for even kernels with asymmetric padding (same result on every backend path)"},
	{"3x3 stride2 even size", 2, 6, 3, 4, 3, 2, true, 1, false, ""},
}

// inputs returns random x and kernel tensors (float64) for the case.
func (tt convCase) inputs(rng *rand.Rand) (x, k *tensors.Tensor) {
	xDims := []int{tt.batch, tt.size, tt.size, tt.cin}
	kDims := []int{tt.kernel, tt.kernel, tt.cin / tt.groups, tt.cout}
	if tt.channelsFirst {
		xDims = []int{tt.batch, tt.cin, tt.size, tt.size}
		kDims = []int{tt.cout, tt.cin / tt.groups, tt.kernel, tt.kernel}
	}
	return randTensor(rng, xDims...), randTensor(rng, kDims...)
}

// conv builds the case's convolution.
func (tt convCase) conv(x, k *Node) *Node {
	c := Convolve(x, k).Strides(tt.stride)
	if tt.channelsFirst {
		c = c.ChannelsAxis(images.ChannelsFirst)
	}
	if tt.padSame {
		c = c.PadSame()
	} else {
		c = c.NoPadding()
	}
	if tt.groups > 1 {
		c = c.ChannelGroupCount(tt.groups)
	}
	return c.Done()
}

func TestConvGradients(t *testing.T) {
	for _, config := range []string{"", "emulate"} {
		backend := mustBackend(t, config)
		for _, tt := range convCases {
			t.Run(config+"/"+tt.name, func(t *testing.T) {
				if tt.skip != "" {
					t.Skip(tt.skip)
				}
				x, k := tt.inputs(rand.New(rand.NewPCG(1, 2)))
				f := func(ins []*Node) *Node { return tt.conv(ins[0], ins[1]) }
				checkGradients(t, backend, f, []*tensors.Tensor{x, k}, 12, 1e-5)
			})
		}
	}
}

// TestConvCasesMatchEmulation runs every table case in float32 on the fast path (the SIMD fused
// kernel when built with GOEXPERIMENT=simd) and on the reference path, forward and backward.
func TestConvCasesMatchEmulation(t *testing.T) {
	fast, ref := mustBackend(t, ""), mustBackend(t, "emulate")
	for _, tt := range convCases {
		t.Run(tt.name, func(t *testing.T) {
			x64, k64 := tt.inputs(rand.New(rand.NewPCG(5, 5)))
			xFlat, kFlat := toF32(x64), toF32(k64)
			f := func(x, k *Node) []*Node {
				y := tt.conv(x, k)
				w := Iota(x.Graph(), y.Shape(), -1)
				loss := ReduceAllSum(Mul(Sin(w), y))
				return append([]*Node{y}, Gradient(loss, x, k)...)
			}
			run := func(b backends.Backend) []*tensors.Tensor {
				out, err := MustNewExec(b, f).Exec(tensors.FromFlatDataAndDimensions(xFlat, x64.Shape().Dimensions...),
					tensors.FromFlatDataAndDimensions(kFlat, k64.Shape().Dimensions...))
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			assertClose(t, run(fast), run(ref))
		})
	}
}

// assertClose compares float32 tensors elementwise, relative to each tensor's largest magnitude.
func assertClose(t *testing.T, got, want []*tensors.Tensor) {
	t.Helper()
	for i := range want {
		g, w := tensors.MustCopyFlatData[float32](got[i]), tensors.MustCopyFlatData[float32](want[i])
		scale := float32(0)
		for _, v := range w {
			if v == v && !math.IsInf(float64(v), 0) {
				scale = max(scale, abs32(v))
			}
		}
		for j := range w {
			if gn, wn := g[j] != g[j], w[j] != w[j]; gn || wn {
				if gn != wn {
					t.Fatalf("output #%d element %d: fast %g, reference %g", i, j, g[j], w[j])
				}
				continue
			}
			if d := abs32(g[j] - w[j]); d > 1e-5*scale+1e-6 {
				t.Fatalf("output #%d element %d: fast %g, reference %g", i, j, g[j], w[j])
			}
		}
	}
}

// TestFastMatchesEmulation checks the im2col path against SimpleGo's own convolution, forward and
// backward, in float32.
func TestFastMatchesEmulation(t *testing.T) {
	fast, ref := mustBackend(t, ""), mustBackend(t, "emulate")
	rng := rand.New(rand.NewPCG(3, 4))
	xFlat, k1Flat, k2Flat := toF32(randTensor(rng, 4, 12, 12, 8)), toF32(randTensor(rng, 3, 3, 8, 16)), toF32(randTensor(rng, 3, 3, 16, 16))
	f := func(ins []*Node) []*Node {
		h := Convolve(ins[0], ins[1]).PadSame().Done()
		h = MaxPool(Max(h, ZerosLike(h))).Window(2).Done()
		h = Convolve(h, ins[2]).Strides(2).PadSame().Done()
		loss := ReduceAllSum(Mul(h, h))
		return append([]*Node{h}, Gradient(loss, ins...)...)
	}
	run := func(b backends.Backend) []*tensors.Tensor {
		x := tensors.FromFlatDataAndDimensions(xFlat, 4, 12, 12, 8)
		k1 := tensors.FromFlatDataAndDimensions(k1Flat, 3, 3, 8, 16)
		k2 := tensors.FromFlatDataAndDimensions(k2Flat, 3, 3, 16, 16)
		exec, err := NewExec(b, f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(x, k1, k2)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	assertClose(t, run(fast), run(ref))
}

func toF32(t *tensors.Tensor) []float32 {
	f64 := tensors.MustCopyFlatData[float64](t)
	out := make([]float32, len(f64))
	for i, v := range f64 {
		out[i] = float32(v)
	}
	return out
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

var poolCases = []struct {
	name string
	f    func(x *Node) *Node
}{
	{"max 2x2", func(x *Node) *Node { return MaxPool(x).Window(2).Done() }},
	{"max 3x3 stride2 same", func(x *Node) *Node { return MaxPool(x).Window(3).Strides(2).PadSame().Done() }},
	{"min 2x2", func(x *Node) *Node { return MinPool(x).Window(2).Done() }},
	{"mean 2x2", func(x *Node) *Node { return MeanPool(x).Window(2).Done() }},
	{"mean 3x3 stride1 same", func(x *Node) *Node { return MeanPool(x).Window(3).Strides(1).PadSame().Done() }},
	{"sum 3x3 stride2", func(x *Node) *Node { return SumPool(x).Window(3).Strides(2).Done() }},
	{"max channels first", func(x *Node) *Node {
		return MaxPool(x).ChannelsAxis(images.ChannelsFirst).Window(2).Done()
	}},
}

func TestPoolGradients(t *testing.T) {
	backend := mustBackend(t, "")
	for _, tt := range poolCases {
		t.Run(tt.name, func(t *testing.T) {
			x := randTensor(rand.New(rand.NewPCG(5, 6)), 2, 6, 6, 3)
			checkGradients(t, backend, func(ins []*Node) *Node { return tt.f(ins[0]) }, []*tensors.Tensor{x}, 40, 1e-5)
		})
	}
}

// TestPoolsMatchSimpleGo checks the pooling forward kernels against SimpleGo's ReduceWindow.
func TestPoolsMatchSimpleGo(t *testing.T) {
	ours, sg := mustBackend(t, ""), simplego.GetBackend()
	xFlat := toF32(randTensor(rand.New(rand.NewPCG(5, 6)), 2, 6, 6, 3))
	for _, tt := range poolCases {
		t.Run(tt.name, func(t *testing.T) {
			var outs [][]*tensors.Tensor
			for _, b := range []backends.Backend{ours, sg} {
				out, err := ExecOnce(b, tt.f, tensors.FromFlatDataAndDimensions(xFlat, 2, 6, 6, 3))
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, []*tensors.Tensor{out})
			}
			assertClose(t, outs[0], outs[1])
		})
	}
}

func TestBatchNormGradients(t *testing.T) {
	for _, config := range []string{"", "emulate"} {
		t.Run("config="+config, func(t *testing.T) { testBatchNorm(t, mustBackend(t, config)) })
	}
}

func testBatchNorm(t *testing.T, backend backends.Backend) {
	rng := rand.New(rand.NewPCG(8, 9))
	x := randTensor(rng, 4, 3, 3, 5)
	scale, offset := randTensor(rng, 5), randTensor(rng, 5)
	mean, variance := randTensor(rng, 5), randTensor(rng, 5)
	varFlat := tensors.MustCopyFlatData[float64](variance)
	for i := range varFlat {
		varFlat[i] = 0.5 + varFlat[i]*varFlat[i]
	}
	variance = tensors.FromFlatDataAndDimensions(varFlat, 5)
	t.Run("train", func(t *testing.T) {
		f := func(ins []*Node) *Node {
			// GoMLX back-propagates through the normalized output only (the batch statistics feed
			// moving averages), so that is what is checked.
			n, _, _ := InternalBatchNormForTraining(ins[0], ins[1], ins[2], 1e-3, -1)
			return n
		}
		checkGradients(t, backend, f, []*tensors.Tensor{x, scale, offset}, 30, 1e-5)
	})
	t.Run("train channels first", func(t *testing.T) {
		xcf := randTensor(rng, 4, 5, 3, 3) // Feature axis 1: the strided (inner > 1) kernels.
		f := func(ins []*Node) *Node {
			n, _, _ := InternalBatchNormForTraining(ins[0], ins[1], ins[2], 1e-3, 1)
			return n
		}
		checkGradients(t, backend, f, []*tensors.Tensor{xcf, scale, offset}, 30, 1e-5)
	})
	t.Run("eval", func(t *testing.T) {
		// GoMLX defines no gradient for BatchNormForInference; check values against the formula.
		got, err := ExecOnce(backend, func(ins []*Node) *Node {
			return InternalBatchNormForInference(ins[0], ins[1], ins[2], ins[3], ins[4], 1e-3, -1)
		}, x, scale, offset, mean, variance)
		if err != nil {
			t.Fatal(err)
		}
		g := tensors.MustCopyFlatData[float64](got)
		xs, sc, of := tensors.MustCopyFlatData[float64](x), tensors.MustCopyFlatData[float64](scale), tensors.MustCopyFlatData[float64](offset)
		mu := tensors.MustCopyFlatData[float64](mean)
		for i, v := range xs {
			c := i % 5
			want := (v-mu[c])/math.Sqrt(varFlat[c]+1e-3)*sc[c] + of[c]
			if math.Abs(g[i]-want) > 1e-9 {
				t.Fatalf("element %d: got %g, want %g", i, g[i], want)
			}
		}
	})
}

func TestPadReverse(t *testing.T) {
	backend := mustBackend(t, "")
	x := tensors.FromValue([][]float32{{1, 2, 3}, {4, 5, 6}})
	tests := []struct {
		name string
		f    func(x *Node) *Node
		want any
	}{
		{"reverse axis 1", func(x *Node) *Node { return Reverse(x, 1) }, [][]float32{{3, 2, 1}, {6, 5, 4}}},
		{"reverse both", func(x *Node) *Node { return Reverse(x, 0, 1) }, [][]float32{{6, 5, 4}, {3, 2, 1}}},
		{"pad start end", func(x *Node) *Node {
			return Pad(x, Scalar(x.Graph(), x.DType(), 9), backends.PadAxis{Start: 1}, backends.PadAxis{End: 1})
		}, [][]float32{{9, 9, 9, 9}, {1, 2, 3, 9}, {4, 5, 6, 9}}},
		{"pad interior", func(x *Node) *Node {
			return Pad(x, Scalar(x.Graph(), x.DType(), 0), backends.PadAxis{}, backends.PadAxis{Interior: 1})
		}, [][]float32{{1, 0, 2, 0, 3}, {4, 0, 5, 0, 6}}},
		{"pad negative crops", func(x *Node) *Node {
			return Pad(x, Scalar(x.Graph(), x.DType(), 0), backends.PadAxis{Start: -1}, backends.PadAxis{Start: 1, End: -2})
		}, [][]float32{{0, 4}}},
	}
	t.Run("int32 and uint8 (byte kernels)", func(t *testing.T) {
		got, err := ExecOnce(backend, func(x *Node) *Node {
			return Pad(Reverse(x, 1), Scalar(x.Graph(), x.DType(), 7), backends.PadAxis{}, backends.PadAxis{End: 1})
		}, [][]int32{{1, 2}, {3, 4}})
		if err != nil {
			t.Fatal(err)
		}
		if want := tensors.FromValue([][]int32{{2, 1, 7}, {4, 3, 7}}); !got.Equal(want) {
			t.Errorf("got %v, want %v", got, want)
		}
		got, err = ExecOnce(backend, func(x *Node) *Node { return Reverse(x, 0) }, []uint8{1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		if want := tensors.FromValue([]uint8{3, 2, 1}); !got.Equal(want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExecOnce(backend, tt.f, x)
			if err != nil {
				t.Fatal(err)
			}
			if want := tensors.FromAnyValue(tt.want); !got.Equal(want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
