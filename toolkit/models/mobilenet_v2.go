package models

import (
	"math"
	"strconv"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/models/weights"
)

// MobileNetV2, exactly torchvision.models.mobilenet_v2: Sandler et al. 2018,
// "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
// https://arxiv.org/abs/1801.04381. ReLU6 activations, linear bottlenecks.

// invertedResidualStage is one row of the paper's Table 2: expansion t,
// output channels c, repeats n, first stride s.
type invertedResidualStage struct{ T, C, N, S int }

type mobileNetV2Spec struct {
	WidthMult float64
	Stages    []invertedResidualStage
}

var mobileNetV2Spec1 = mobileNetV2Spec{WidthMult: 1, Stages: []invertedResidualStage{
	{1, 16, 1, 1},
	{6, 24, 2, 2},
	{6, 32, 3, 2},
	{6, 64, 4, 2},
	{6, 96, 3, 1},
	{6, 160, 3, 2},
	{6, 320, 1, 1},
}}

var weightsMobileNetV2 = weights.ImageNet["mobilenet_v2"]

var mobileNetV2 = mobileNetV2Arch("mobilenet_v2", mobileNetV2Spec1, &weightsMobileNetV2)

func mobileNetV2Arch(name string, spec mobileNetV2Spec, w *weights.Descriptor) *Architecture {
	return &Architecture{
		Name: name, Paper: "Sandler et al. 2018, https://arxiv.org/abs/1801.04381",
		Features: mobileNetV2LastChannel(spec.WidthMult), TorchHead: "classifier.1", StudyHead: "classifier.2",
		Weights: w, MinInput: 32,
		backbone: func(b *builder, ctx *context.Context, x *Node) *Node { return b.mobileNetV2(ctx, x, spec) },
	}
}

func mobileNetV2LastChannel(widthMult float64) int {
	return makeDivisible(1280*math.Max(1, widthMult), 8)
}

// makeDivisible is torchvision's _make_divisible: round v to the nearest
// multiple of divisor, at least divisor, and not more than 10% below v.
func makeDivisible(v float64, divisor int) int {
	n := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

func (b *builder) mobileNetV2(ctx *context.Context, x *Node, spec mobileNetV2Spec) *Node {
	features := ctx.In("features")
	in := makeDivisible(32*spec.WidthMult, 8)
	x = b.convBN(features.In("0"), x, in, 3, 2, 1, relu6)
	idx := 1
	for _, st := range spec.Stages {
		out := makeDivisible(float64(st.C)*spec.WidthMult, 8)
		for i := range st.N {
			stride := 1
			if i == 0 {
				stride = st.S
			}
			x = b.invertedResidual(features.In(strconv.Itoa(idx)).In("conv"), x, in, out, stride, st.T)
			in = out
			idx++
		}
	}
	x = b.convBN(features.In(strconv.Itoa(idx)), x, mobileNetV2LastChannel(spec.WidthMult), 1, 1, 1, relu6)
	return globalAvgPool(x)
}

// invertedResidual is torchvision's InvertedResidual; ctx is its "conv"
// Sequential: [expand 1x1 ConvBNReLU6,] depthwise 3x3 ConvBNReLU6,
// project 1x1 conv, BN; residual when stride 1 and in == out.
func (b *builder) invertedResidual(ctx *context.Context, x *Node, in, out, stride, t int) *Node {
	hidden := in * t
	y, i := x, 0
	if t != 1 {
		y = b.convBN(ctx.In("0"), y, hidden, 1, 1, 1, relu6)
		i++
	}
	y = b.convBN(ctx.In(strconv.Itoa(i)), y, hidden, 3, stride, hidden, relu6)
	y = b.conv(ctx.In(strconv.Itoa(i+1)), y, out, 1, 1, 1, false)
	y = b.batchNorm(ctx.In(strconv.Itoa(i+2)), y)
	if stride == 1 && in == out {
		return Add(x, y)
	}
	return y
}
