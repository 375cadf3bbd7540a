package models

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// depthwiseConv is a depthwise kxk convolution (groups = channels) with
// zero padding (k-1)/2 on NHWC x and an HWIO kernel w [k, k, 1, C], written
// as a sum of k*k shifted, strided slices times per-channel weights.
//
// GoMLX v0.26.0 differentiates a grouped convolution by splitting it into
// one convolution per channel (thousands of nodes for MobileNetV2 and
// EfficientNet-B0); the gradient of this form is k*k Pad/Mul/Reduce ops.
// It also avoids SimpleGo's slow generic grouped-convolution path.
func depthwiseConv(x, w *Node, k, stride int) *Node {
	dims := x.Shape().Dimensions
	batch, h, wd, c := dims[0], dims[1], dims[2], dims[3]
	p := (k - 1) / 2
	if p > 0 {
		// Zero padding by concatenation (SimpleGo has no Pad op).
		zeros := func(d ...int) *Node { return Zeros(x.Graph(), shapes.Make(x.DType(), d...)) }
		x = Concatenate([]*Node{zeros(batch, p, wd, c), x, zeros(batch, p, wd, c)}, 1)
		x = Concatenate([]*Node{zeros(batch, h+2*p, p, c), x, zeros(batch, h+2*p, p, c)}, 2)
	}
	ho := (h+2*p-k)/stride + 1
	wo := (wd+2*p-k)/stride + 1
	var sum *Node
	for dy := range k {
		for dx := range k {
			patch := Slice(x, AxisRange(),
				AxisRange(dy, dy+stride*(ho-1)+1).Stride(stride),
				AxisRange(dx, dx+stride*(wo-1)+1).Stride(stride),
				AxisRange())
			tap := Reshape(Slice(w, AxisElem(dy), AxisElem(dx), AxisRange(), AxisRange()), 1, 1, 1, c)
			term := Mul(patch, tap)
			if sum == nil {
				sum = term
			} else {
				sum = Add(sum, term)
			}
		}
	}
	return sum
}
