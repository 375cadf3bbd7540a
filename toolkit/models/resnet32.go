package models

import (
	"strconv"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// ResNet-32 for CIFAR: He et al. 2016, "Deep Residual Learning for Image
// Recognition" (section 4.2), https://arxiv.org/abs/1512.03385: a 3x3 conv
// with 16 channels, then 3 stages of 5 basic blocks with 16, 32 and 64
// channels (stride 2 at the start of stages 2 and 3), global average
// pooling. Shortcuts are option A: identity, or when the shape changes,
// subsample by 2 and zero-pad the new channels (no parameters), 0.46M
// parameters. It is the backbone of the long-tailed CIFAR papers the study
// cites (Cui et al. 2019, Alshammari et al. 2022). Parameter names follow
// the common PyTorch port (conv1, bn1, layerN.M.conv1 ...).

var resNet32 = resNetCIFARArch("resnet32", resNetCIFARSpec{Widths: []int{16, 32, 64}, Blocks: 5})

func resNetCIFARArch(name string, spec resNetCIFARSpec) *Architecture {
	return &Architecture{
		Name: name, Paper: "He et al. 2016, https://arxiv.org/abs/1512.03385 (CIFAR ResNet, option A)",
		Features: spec.Widths[len(spec.Widths)-1], TorchHead: "linear", StudyHead: "fc.2", MinInput: 8,
		backbone: func(b *builder, ctx *context.Context, x *Node) *Node { return b.resNetCIFAR(ctx, x, spec) },
	}
}

type resNetCIFARSpec struct {
	Widths []int
	Blocks int // per stage; depth = 6*Blocks + 2
}

func (b *builder) resNetCIFAR(ctx *context.Context, x *Node, spec resNetCIFARSpec) *Node {
	x = b.conv(ctx.In("conv1"), x, spec.Widths[0], 3, 1, 1, false)
	x = relu(b.batchNorm(ctx.In("bn1"), x))
	for i, width := range spec.Widths {
		stage := ctx.In("layer" + strconv.Itoa(i+1))
		for j := range spec.Blocks {
			stride := 1
			if i > 0 && j == 0 {
				stride = 2
			}
			x = b.basicBlockA(stage.In(strconv.Itoa(j)), x, width, stride)
		}
	}
	return globalAvgPool(x)
}

// basicBlockA is a basic block with an option-A shortcut.
func (b *builder) basicBlockA(ctx *context.Context, x *Node, width, stride int) *Node {
	out := b.conv(ctx.In("conv1"), x, width, 3, stride, 1, false)
	out = relu(b.batchNorm(ctx.In("bn1"), out))
	out = b.conv(ctx.In("conv2"), out, width, 3, 1, 1, false)
	out = b.batchNorm(ctx.In("bn2"), out)
	shortcut := x
	if in := x.Shape().Dimensions[3]; stride != 1 || in != width {
		shortcut = Slice(x, AxisRange(), AxisRange().Stride(stride), AxisRange().Stride(stride), AxisRange())
		dims := shortcut.Shape().Dimensions
		padLo := (width - in) / 2
		zeros := func(c int) *Node {
			return Zeros(x.Graph(), shapes.Make(x.DType(), dims[0], dims[1], dims[2], c))
		}
		shortcut = Concatenate([]*Node{zeros(padLo), shortcut, zeros(width - in - padLo)}, 3)
	}
	return relu(Add(out, shortcut))
}
