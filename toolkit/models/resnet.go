package models

import (
	"strconv"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/models/weights"
)

// ResNet-18, exactly torchvision.models.resnet18: He et al. 2016, "Deep
// Residual Learning for Image Recognition", https://arxiv.org/abs/1512.03385.

// resNetSpec is the stage table of a torchvision ImageNet ResNet with
// BasicBlocks: the stem width and, per stage, its width and block count.
type resNetSpec struct {
	Stem   int
	Widths []int
	Blocks []int
}

var resNet18Spec = resNetSpec{Stem: 64, Widths: []int{64, 128, 256, 512}, Blocks: []int{2, 2, 2, 2}}

var resNet18 = resNetArch("resnet18", resNet18Spec, &weightsResNet18)

var weightsResNet18 = weights.ImageNet["resnet18"]

func resNetArch(name string, spec resNetSpec, w *weights.Descriptor) *Architecture {
	return &Architecture{
		Name: name, Paper: "He et al. 2016, https://arxiv.org/abs/1512.03385",
		Features: spec.Widths[len(spec.Widths)-1], TorchHead: "fc", StudyHead: "fc.2",
		Weights: w, MinInput: 32,
		backbone: func(b *builder, ctx *context.Context, x *Node) *Node { return b.resNet(ctx, x, spec) },
	}
}

func (b *builder) resNet(ctx *context.Context, x *Node, spec resNetSpec) *Node {
	// Stem: conv 7x7/2 (padding 3), BN, ReLU, max pool 3x3/2 (padding 1).
	x = b.conv(ctx.In("conv1"), x, spec.Stem, 7, 2, 1, false)
	x = relu(b.batchNorm(ctx.In("bn1"), x))
	x = b.maxPool(x, 3, 2, 1)
	for i, width := range spec.Widths {
		stage := ctx.In("layer" + strconv.Itoa(i+1))
		for j := range spec.Blocks[i] {
			stride := 1
			if i > 0 && j == 0 {
				stride = 2
			}
			x = b.basicBlock(stage.In(strconv.Itoa(j)), x, width, stride)
		}
	}
	return globalAvgPool(x)
}

// basicBlock is torchvision's BasicBlock: conv3x3/stride, BN, ReLU, conv3x3,
// BN, plus the identity or, when the shape changes, downsample = conv1x1/
// stride + BN; ReLU after the sum.
func (b *builder) basicBlock(ctx *context.Context, x *Node, width, stride int) *Node {
	identity := x
	out := b.conv(ctx.In("conv1"), x, width, 3, stride, 1, false)
	out = relu(b.batchNorm(ctx.In("bn1"), out))
	out = b.conv(ctx.In("conv2"), out, width, 3, 1, 1, false)
	out = b.batchNorm(ctx.In("bn2"), out)
	if stride != 1 || x.Shape().Dimensions[3] != width {
		ds := ctx.In("downsample")
		identity = b.conv(ds.In("0"), x, width, 1, stride, 1, false)
		identity = b.batchNorm(ds.In("1"), identity)
	}
	return relu(Add(out, identity))
}
