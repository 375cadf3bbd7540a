package models

import (
	"math"
	"strconv"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/models/weights"
)

// EfficientNet-B0, exactly torchvision.models.efficientnet_b0: Tan & Le
// 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
// Networks", https://arxiv.org/abs/1905.11946. MBConv blocks with SiLU,
// squeeze-and-excitation and stochastic depth ("row" mode, probability
// growing linearly to 0.2 over the blocks).

// mbConvStage is one row of the paper's Table 1 (torchvision's
// MBConvConfig before width/depth scaling).
type mbConvStage struct{ Expand, Kernel, Stride, In, Out, Layers int }

type efficientNetSpec struct {
	WidthMult, DepthMult float64
	StochasticDepth      float64
	Stages               []mbConvStage
}

var efficientNetB0Spec = efficientNetSpec{WidthMult: 1, DepthMult: 1, StochasticDepth: 0.2, Stages: []mbConvStage{
	{1, 3, 1, 32, 16, 1},
	{6, 3, 2, 16, 24, 2},
	{6, 5, 2, 24, 40, 2},
	{6, 3, 2, 40, 80, 3},
	{6, 5, 1, 80, 112, 3},
	{6, 5, 2, 112, 192, 4},
	{6, 3, 1, 192, 320, 1},
}}

var weightsEfficientNetB0 = weights.ImageNet["efficientnet_b0"]

var efficientNetB0 = efficientNetArch("efficientnet_b0", efficientNetB0Spec, &weightsEfficientNetB0)

func efficientNetArch(name string, spec efficientNetSpec, w *weights.Descriptor) *Architecture {
	last := spec.Stages[len(spec.Stages)-1]
	return &Architecture{
		Name: name, Paper: "Tan & Le 2019, https://arxiv.org/abs/1905.11946",
		Features: 4 * spec.channels(last.Out), TorchHead: "classifier.1", StudyHead: "classifier.2",
		Weights: w, MinInput: 32,
		backbone: func(b *builder, ctx *context.Context, x *Node) *Node { return b.efficientNet(ctx, x, spec) },
	}
}

func (s efficientNetSpec) channels(c int) int { return makeDivisible(float64(c)*s.WidthMult, 8) }
func (s efficientNetSpec) depth(n int) int    { return int(math.Ceil(float64(n) * s.DepthMult)) }

func (b *builder) efficientNet(ctx *context.Context, x *Node, spec efficientNetSpec) *Node {
	features := ctx.In("features")
	x = b.convBN(features.In("0"), x, spec.channels(spec.Stages[0].In), 3, 2, 1, silu)
	total := 0
	for _, st := range spec.Stages {
		total += spec.depth(st.Layers)
	}
	blockID := 0
	for i, st := range spec.Stages {
		stage := features.In(strconv.Itoa(i + 1))
		in, out := spec.channels(st.In), spec.channels(st.Out)
		for j := range spec.depth(st.Layers) {
			stride := st.Stride
			if j > 0 {
				in, stride = out, 1
			}
			p := spec.StochasticDepth * float64(blockID) / float64(total)
			x = b.mbConv(stage.In(strconv.Itoa(j)).In("block"), x, in, out, st.Expand, st.Kernel, stride, p)
			blockID++
		}
	}
	last := spec.channels(spec.Stages[len(spec.Stages)-1].Out)
	x = b.convBN(features.In(strconv.Itoa(len(spec.Stages)+1)), x, 4*last, 1, 1, 1, silu)
	return globalAvgPool(x)
}

// mbConv is torchvision's MBConv; ctx is its "block" Sequential: [expand
// 1x1 ConvBNSiLU,] depthwise kxk ConvBNSiLU, squeeze-excitation, project
// 1x1 ConvBN; residual with stochastic depth when stride 1 and in == out.
func (b *builder) mbConv(ctx *context.Context, x *Node, in, out, expand, kernel, stride int, sdProb float64) *Node {
	expanded := makeDivisible(float64(in*expand), 8)
	y, i := x, 0
	if expanded != in {
		y = b.convBN(ctx.In("0"), y, expanded, 1, 1, 1, silu)
		i++
	}
	y = b.convBN(ctx.In(strconv.Itoa(i)), y, expanded, kernel, stride, expanded, silu)
	y = b.squeezeExcitation(ctx.In(strconv.Itoa(i+1)), y, max(1, in/4))
	y = b.convBN(ctx.In(strconv.Itoa(i+2)), y, out, 1, 1, 1, nil)
	if stride == 1 && in == out {
		return Add(b.stochasticDepth(ctx, y, sdProb), x)
	}
	return y
}

// squeezeExcitation is torchvision's SqueezeExcitation with SiLU: global
// average pool, 1x1 conv fc1 (with bias), SiLU, 1x1 conv fc2, sigmoid,
// scale the input channels.
func (b *builder) squeezeExcitation(ctx *context.Context, x *Node, squeeze int) *Node {
	c := x.Shape().Dimensions[3]
	s := spatialMean(x, true)
	s = silu(b.conv(ctx.In("fc1"), s, squeeze, 1, 1, 1, true))
	s = Sigmoid(b.conv(ctx.In("fc2"), s, c, 1, 1, 1, true))
	return Mul(x, s)
}

// stochasticDepth is torchvision.ops.StochasticDepth(p, "row"): in training
// each sample's residual branch is dropped with probability p and the kept
// ones scaled by 1/(1-p); identity otherwise.
func (b *builder) stochasticDepth(ctx *context.Context, x *Node, p float64) *Node {
	if !b.trainBackbone || p <= 0 {
		return x
	}
	batch := x.Shape().Dimensions[0]
	keep := LessThan(ctx.RandomUniform(b.g, shapes.Make(x.DType(), batch, 1, 1, 1)), Scalar(b.g, x.DType(), 1-p))
	mask := DivScalar(ConvertDType(keep, x.DType()), 1-p)
	return Mul(x, mask)
}
