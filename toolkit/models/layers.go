package models

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"

	"github.com/debiaser/debiaser/toolkit/models/weights"
)

// Batch normalisation constants, in PyTorch's sense: running = (1 -
// BNMomentum) * running + BNMomentum * batch (GoMLX/Keras would call this
// momentum 0.9).
const (
	BNEpsilon  = 1e-5
	BNMomentum = 0.1
)

// paramKind says how a variable maps onto its PyTorch tensor.
type paramKind int

const (
	kindVector paramKind = iota // [C]: same layout
	kindBuffer                  // [C] batch-norm running statistic: never trainable
	kindConv                    // HWIO here, OIHW in PyTorch
	kindLinear                  // [in, out] here, [out, in] in PyTorch
)

// builder carries what the layer helpers need while one graph is built.
type builder struct {
	m    *Model
	g    *Graph
	base string // the model's scope: ctx.Scope() when Fn was called
	// trainBackbone: backbone batch norm uses batch statistics and updates
	// its running averages, stochastic depth is active. Only when the graph
	// is a training graph and the backbone is not frozen.
	trainBackbone bool
}

// LoadError is the error for a parameter that cannot be loaded from a
// weights file: missing, or of the wrong shape.
type LoadError struct {
	Path     string // weights file
	Key      string // PyTorch parameter name, e.g. "layer1.0.conv1.weight"
	Variable string // GoMLX variable, e.g. "/layer1/0/conv1/weight"
	Want     []int  // shape the architecture needs, in PyTorch's layout
	Got      []int  // shape in the file; nil when the key is missing
	Model    string
}

func (e *LoadError) Error() string {
	if e.Got == nil {
		return fmt.Sprintf("load %s weights from %s: missing parameter %q (variable %s, shape %v): "+
			"file is not a %s state dict", e.Model, e.Path, e.Key, e.Variable, e.Want, e.Model)
	}
	return fmt.Sprintf("load %s weights from %s: parameter %q has shape %v, %s needs %v (variable %s)",
		e.Model, e.Path, e.Key, e.Got, e.Model, e.Want, e.Variable)
}

// torchKey maps a variable to its PyTorch state-dict name: the scope below
// the model's with "/" -> ".", then the variable name. The classifier head
// maps to the study's head (e.g. "fc.2.weight").
func (b *builder) torchKey(scope, name string) (key string, isHead bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(scope, b.base), "/")
	if rel == ClassifierScope {
		torchName := map[string]string{ClassifierWeights: "weight", ClassifierBiases: "bias"}[name]
		return b.m.arch.StudyHead + "." + torchName, true
	}
	return strings.ReplaceAll(rel, "/", ".") + "." + name, false
}

// torchShape is the PyTorch layout of a variable shape.
func torchShape(kind paramKind, dims []int) []int {
	switch kind {
	case kindConv:
		return []int{dims[3], dims[2], dims[0], dims[1]}
	case kindLinear:
		return []int{dims[1], dims[0]}
	}
	return slices.Clone(dims)
}

// fromTorch converts a PyTorch tensor to a GoMLX tensor of dims.
func fromTorch(kind paramKind, t *weights.Tensor, dims []int) *tensors.Tensor {
	data := t.Data
	switch kind {
	case kindConv: // OIHW -> HWIO
		o, i, kh, kw := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
		data = make([]float32, len(t.Data))
		for oo := range o {
			for ii := range i {
				for y := range kh {
					for x := range kw {
						data[((y*kw+x)*i+ii)*o+oo] = t.Data[((oo*i+ii)*kh+y)*kw+x]
					}
				}
			}
		}
	case kindLinear: // [out, in] -> [in, out]
		out, in := t.Shape[0], t.Shape[1]
		data = make([]float32, len(t.Data))
		for r := range out {
			for c := range in {
				data[c*out+r] = t.Data[r*in+c]
			}
		}
	default:
		data = slices.Clone(data)
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// param returns the value of variable name (shape dims) in ctx's scope,
// creating it on first use: from the model's weights file when it has one
// (a missing backbone parameter or a wrong shape panics with a *LoadError,
// which Model.Init returns as an error), else with init.
func (b *builder) param(ctx *context.Context, name string, dims []int, kind paramKind, init context.VariableInitializer) *Node {
	key, isHead := b.torchKey(ctx.Scope(), name)
	v := ctx.GetVariable(name)
	if v == nil {
		if sd := b.m.state; sd != nil {
			t, found := sd.Tensors[key]
			want := torchShape(kind, dims)
			if found && !slices.Equal(t.Shape, want) {
				panic(&LoadError{Path: sd.Path, Key: key, Variable: ctx.Scope() + "/" + name, Want: want, Got: t.Shape, Model: b.m.Name})
			}
			if !found && !isHead {
				panic(&LoadError{Path: sd.Path, Key: key, Variable: ctx.Scope() + "/" + name, Want: want, Model: b.m.Name})
			}
			if found {
				v = ctx.VariableWithValue(name, fromTorch(kind, t, dims))
			}
		}
		if v == nil {
			v = ctx.WithInitializer(init).VariableWithShape(name, shapes.Make(dtypes.Float32, dims...))
		}
	} else if !slices.Equal(v.Shape().Dimensions, dims) {
		panic(fmt.Errorf("%s: variable %s/%s has shape %v, architecture needs %v",
			b.m.Name, ctx.Scope(), name, v.Shape().Dimensions, dims))
	}
	if b.m.used != nil {
		b.m.used[key] = true
	}
	switch {
	case kind == kindBuffer:
		v.SetTrainable(false)
	case isHead:
		v.SetTrainable(true)
	default:
		v.SetTrainable(b.m.Options.Full)
	}
	return v.ValueGraph(b.g)
}

// conv is torch.nn.Conv2d(in, out, k, stride, padding=(k-1)/2, groups, bias)
// on NHWC input, its weight in ctx's scope. Initialised as torchvision does:
// Kaiming normal, mode fan_out (std = sqrt(2 / (out*k*k))), zero bias.
func (b *builder) conv(ctx *context.Context, x *Node, out, k, stride, groups int, bias bool) *Node {
	in := x.Shape().Dimensions[3]
	std := math.Sqrt(2 / float64(out*k*k))
	w := b.toCompute(b.param(ctx, "weight", []int{k, k, in / groups, out}, kindConv, initializers.RandomNormalFn(ctx, std)))
	var y *Node
	if groups > 1 && groups == in && groups == out {
		y = depthwiseConv(x, w, k, stride)
	} else {
		// Explicit unit kernel dilations: SimpleGo (v0.26.0) indexes them
		// unguarded in its grouped convolution.
		p := (k - 1) / 2
		y = Convolve(x, w).StridePerAxis(stride, stride).PaddingPerDim([][2]int{{p, p}, {p, p}}).
			DilationPerAxis(1, 1).ChannelGroupCount(groups).Done()
	}
	if bias {
		bv := b.toCompute(b.param(ctx, "bias", []int{out}, kindVector, initializers.Zero))
		y = Add(y, Reshape(bv, 1, 1, 1, out))
	}
	return y
}

// batchNorm is torch.nn.BatchNorm2d(eps=1e-5, momentum=0.1) on NHWC input.
// In training mode it normalises with the batch mean and biased variance,
// lets gradients flow through them (as PyTorch does), and updates the
// running averages with the unbiased variance; otherwise it uses the
// running averages. A frozen backbone is always in inference mode.
// In mixed precision it computes in float32 and returns the compute dtype.
func (b *builder) batchNorm(ctx *context.Context, x *Node) *Node {
	return b.toCompute(b.batchNorm32(ctx, toFloat32(x)))
}

func (b *builder) batchNorm32(ctx *context.Context, x *Node) *Node {
	c := x.Shape().Dimensions[3]
	scale := b.param(ctx, "weight", []int{c}, kindVector, initializers.One)
	offset := b.param(ctx, "bias", []int{c}, kindVector, initializers.Zero)
	mean := b.param(ctx, "running_mean", []int{c}, kindBuffer, initializers.Zero)
	variance := b.param(ctx, "running_var", []int{c}, kindBuffer, initializers.One)
	if b.trainBackbone && b.batchNormOp() {
		return b.batchNormOp32(ctx, x, scale, offset, mean, variance)
	}
	if b.trainBackbone {
		batchMean := ReduceAndKeep(x, ReduceMean, 0, 1, 2)
		centered := Sub(x, batchMean)
		batchVar := ReduceMean(Square(centered), 0, 1, 2)
		updateRunning(ctx, x, mean, variance, batchMean, batchVar)
		// Div/Sqrt rather than Rsqrt: GoMLX v0.26.0 has no gradient for Rsqrt.
		normalized := Div(centered, Sqrt(AddScalar(Reshape(batchVar, 1, 1, 1, c), BNEpsilon)))
		return Add(Mul(normalized, Reshape(scale, 1, 1, 1, c)), Reshape(offset, 1, 1, 1, c))
	}
	inv := Div(scale, Sqrt(AddScalar(variance, BNEpsilon)))
	shift := Sub(offset, Mul(mean, inv))
	return Add(Mul(x, Reshape(inv, 1, 1, 1, c)), Reshape(shift, 1, 1, 1, c))
}

// batchNormOp reports whether training-mode batch norm uses the backend's
// op (Options.BatchNorm; auto: where the backend has the op and its
// gradient).
func (b *builder) batchNormOp() bool {
	switch b.m.Options.BatchNorm {
	case BatchNormOp:
		return true
	case BatchNormOps:
		return false
	}
	return hasBatchNormOps(b.g.Backend())
}

// hasBatchNormOps reports whether backend has training-mode batch norm and
// its gradient as ops (XLA and gofast; not SimpleGo).
func hasBatchNormOps(backend backends.Backend) bool {
	ops := backend.Capabilities().Operations
	return ops[backends.OpTypeBatchNormForTraining] && ops[backends.OpTypeBatchNormGradient]
}

// batchNormOp32 is batchNorm32's training mode through the backend's
// batch-norm op (Options.BatchNorm): XLA expands it with single-pass
// statistics and differentiates it with its own BatchNormGradient, which
// (like the hand-written graph and PyTorch) includes the gradient through
// the batch mean and variance. The op returns the biased batch variance;
// the running variance is updated with the unbiased one, as PyTorch does.
func (b *builder) batchNormOp32(ctx *context.Context, x, scale, offset, mean, variance *Node) *Node {
	normalized, batchMean, batchVar := InternalBatchNormForTraining(x, scale, offset, BNEpsilon, 3)
	updateRunning(ctx, x, mean, variance, batchMean, batchVar)
	return normalized
}

// updateRunning sets the running averages of ctx's batch norm from the
// batch statistics of x (any shapes holding its C values): momentum 0.1,
// the variance made unbiased, as PyTorch does; no gradient flows into
// them.
func updateRunning(ctx *context.Context, x, mean, variance, batchMean, batchVar *Node) {
	dims := x.Shape().Dimensions
	c := dims[3]
	n := float64(dims[0] * dims[1] * dims[2])
	unbiased := batchVar
	if n > 1 {
		unbiased = MulScalar(batchVar, n/(n-1))
	}
	momentum := func(avg, batch *Node) *Node {
		return StopGradient(Add(MulScalar(avg, 1-BNMomentum), MulScalar(Reshape(batch, c), BNMomentum)))
	}
	ctx.GetVariable("running_mean").SetValueGraph(momentum(mean, batchMean))
	ctx.GetVariable("running_var").SetValueGraph(momentum(variance, unbiased))
}

// unitNorm divides x by its L2 norm along axis, at least 1e-12 (as
// torch.nn.functional.normalize); the gradient stays finite at 0.
func unitNorm(x *Node, axis int) *Node {
	sq := ReduceAndKeep(Square(x), ReduceSum, axis)
	return Div(x, Sqrt(MaxScalar(sq, 1e-24)))
}

// activation is an element-wise non-linearity.
type activation func(*Node) *Node

func relu(x *Node) *Node  { return MaxScalar(x, 0.0) }
func relu6(x *Node) *Node { return MinScalar(MaxScalar(x, 0.0), 6.0) }
func silu(x *Node) *Node  { return Mul(x, Sigmoid(x)) }

// convBN is torchvision's Conv2dNormActivation: conv (no bias) in ctx/"0",
// batch norm in ctx/"1", then act (nil for none).
func (b *builder) convBN(ctx *context.Context, x *Node, out, k, stride, groups int, act activation) *Node {
	x = b.conv(ctx.In("0"), x, out, k, stride, groups, false)
	x = b.batchNorm(ctx.In("1"), x)
	if act != nil {
		x = act(x)
	}
	return x
}

// globalAvgPool is AdaptiveAvgPool2d(1) + flatten: [B, H, W, C] -> [B, C],
// summed in float32 whatever x's dtype (a bfloat16 sum over 112x112
// pixels would lose most of its bits) and returned in x's dtype.
func globalAvgPool(x *Node) *Node { return spatialMean(x, false) }

// spatialMean is the mean over the H and W axes of NHWC x, accumulated in
// float32 and returned in x's dtype; keep keeps the axes (as size 1).
func spatialMean(x *Node, keep bool) *Node {
	var m *Node
	if keep {
		m = ReduceAndKeep(toFloat32(x), ReduceMean, 1, 2)
	} else {
		m = ReduceMean(toFloat32(x), 1, 2)
	}
	if x.DType() != m.DType() {
		m = ConvertDType(m, x.DType())
	}
	return m
}

// head is the study's replacement head, ReLU -> Dropout(p) ->
// Linear(features, n_class), its variables "weights" [features, n_class]
// and "biases" [n_class] in scope ClassifierScope below the model's.
// Initialised like torch.nn.Linear: U(-1/sqrt(features), 1/sqrt(features)),
// the biases at Options.HeadBias when it is not 0.
func (b *builder) head(ctx *context.Context, features *Node) *Node {
	hctx := ctx.In(ClassifierScope)
	f, n := features.Shape().Dimensions[1], b.m.Options.NClass
	bound := 1 / math.Sqrt(float64(f))
	init := initializers.RandomUniformFn(hctx, -bound, bound)
	biasInit := init
	if v := b.m.Options.HeadBias; v != 0 {
		biasInit = func(g *Graph, s shapes.Shape) *Node { return FillScalar(g, s, v) }
	}
	x := relu(features)
	x = layers.DropoutStatic(hctx, x, b.m.dropout())
	if s := b.m.Options.CosineScale; s > 0 {
		// Cosines in float32: features and weight columns of unit norm.
		w := unitNorm(b.param(hctx, ClassifierWeights, []int{f, n}, kindLinear, init), 0)
		return MulScalar(Dot(unitNorm(toFloat32(x), 1), w), s)
	}
	w := b.toCompute(b.param(hctx, ClassifierWeights, []int{f, n}, kindLinear, init))
	bias := b.toCompute(b.param(hctx, ClassifierBiases, []int{n}, kindVector, biasInit))
	return toFloat32(Add(Dot(x, w), Reshape(bias, 1, n)))
}
