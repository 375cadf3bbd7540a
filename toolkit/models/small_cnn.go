package models

import (
	"strconv"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// smallCNNWidths are the channels of the small CNN's conv-BN-ReLU-pool
// blocks: 3 blocks and 23k backbone parameters, so an epoch of a few
// thousand 28x28 or 32x32 images takes seconds on two CPU cores.
var smallCNNWidths = []int{16, 32, 64}

// smallCNN is a plain CNN for CPU work and tests: per block a 3x3 conv
// (padding 1, no bias), batch norm, ReLU and a 2x2 max pool; then global
// average pooling. It is not a torchvision model and has no ImageNet
// weights.
var smallCNN = &Architecture{
	Name: "small_cnn", Paper: "conv-BN-ReLU-pool blocks (no paper)",
	Features: smallCNNWidths[len(smallCNNWidths)-1], TorchHead: "fc", StudyHead: "classifier.2", MinInput: 8,
	backbone: func(b *builder, ctx *context.Context, x *Node) *Node {
		for i, width := range smallCNNWidths {
			block := ctx.In("block" + strconv.Itoa(i+1))
			x = b.conv(block.In("conv"), x, width, 3, 1, 1, false)
			x = relu(b.batchNorm(block.In("bn"), x))
			x = MaxPool(x).Window(2).Done()
		}
		return globalAvgPool(x)
	},
}
