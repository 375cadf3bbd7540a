// Package benchnet holds the two networks the gofast benchmark trains: a small CNN and ResNet18. They
// are deliberately minimal and mirror testdata/pytorch_bench.py layer for layer (the toolkit's model
// zoo lives elsewhere).
package benchnet

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
)

// ModelFn is a train.ModelFn-compatible model: images [batch, height, width, 3] to logits [batch, classes].
type ModelFn func(ctx *context.Context, spec any, inputs []*Node) []*Node

// Known lists the benchmark networks by name.
var Known = map[string]ModelFn{
	"small":    SmallCNN,
	"resnet18": ResNet18,
}

// NumClasses is the number of output logits of both networks.
const NumClasses = 10

// convBN is conv (no bias) -> batch norm -> optional ReLU.
func convBN(ctx *context.Context, x *Node, filters, kernel, stride int, relu bool) *Node {
	x = layers.Convolution(ctx.In("conv"), x).Filters(filters).KernelSize(kernel).Strides(stride).PadSame().UseBias(false).Done()
	x = batchnorm.New(ctx.In("bn"), x, -1).Done()
	if relu {
		x = activations.Relu(x)
	}
	return x
}

// SmallCNN is 3 x (conv3x3-BN-ReLU-maxpool2) with 32/64/128 channels, then a dense layer.
func SmallCNN(ctx *context.Context, _ any, inputs []*Node) []*Node {
	x := inputs[0]
	for i, ch := range []int{32, 64, 128} {
		x = convBN(ctx.In(fmt.Sprintf("block%d", i)), x, ch, 3, 1, true)
		x = MaxPool(x).Window(2).Done()
	}
	x = Reshape(x, x.Shape().Dimensions[0], -1)
	return []*Node{layers.Dense(ctx.In("fc"), x, true, NumClasses)}
}

// ResNet18 is torchvision's resnet18 (He et al. 2016, "Deep Residual Learning for Image Recognition"):
// 7x7/2 stem, 3x3/2 max-pool, four stages of two basic blocks (64, 128, 256, 512), global mean pool.
func ResNet18(ctx *context.Context, _ any, inputs []*Node) []*Node {
	x := convBN(ctx.In("stem"), inputs[0], 64, 7, 2, true)
	x = MaxPool(x).Window(3).Strides(2).PadSame().Done()
	for stage, ch := range []int{64, 128, 256, 512} {
		for block := range 2 {
			stride := 1
			if stage > 0 && block == 0 {
				stride = 2
			}
			x = basicBlock(ctx.In(fmt.Sprintf("stage%d_block%d", stage, block)), x, ch, stride)
		}
	}
	x = ReduceMean(x, 1, 2)
	return []*Node{layers.Dense(ctx.In("fc"), x, true, NumClasses)}
}

func basicBlock(ctx *context.Context, x *Node, filters, stride int) *Node {
	shortcut := x
	if stride != 1 || x.Shape().Dimensions[3] != filters {
		shortcut = convBN(ctx.In("down"), x, filters, 1, stride, false)
	}
	y := convBN(ctx.In("a"), x, filters, 3, stride, true)
	y = convBN(ctx.In("b"), y, filters, 3, 1, false)
	return activations.Relu(Add(y, shortcut))
}
