package models

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
)

// maxPool is torch.nn.MaxPool2d(k, stride=s, padding=p) on NHWC x: GoMLX's
// MaxPool (its gradient a SelectAndScatter), or maxPoolMasks when
// Options.MaxPoolMasks is set.
func (b *builder) maxPool(x *Node, k, s, p int) *Node {
	if b.m.Options.MaxPoolMasks {
		return maxPoolMasks(x, k, s, p)
	}
	return MaxPool(x).Window(k).Strides(s).PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
}

// maxPoolMasks is a k x k, stride s max pool with symmetric padding p on
// NHWC x, built so that its gradient needs only slices, pads and
// element-wise ops: x is padded with -inf, the k*k strided slices s_i (one
// per window position, each [B, Ho, Wo, C]) give y = max_i s_i, and the
// output is sum_i where(m_i, s_i, 0) with one-hot masks m_i = (s_i == y)
// and no earlier m_j, computed without gradient. The output equals the max
// exactly (one term is selected, the others are exact zeros), and its
// gradient goes to the first maximum of each window in row-major order, as
// PyTorch's max_pool2d does for ties. Comparisons and selection are exact
// in any float dtype (bfloat16 included).
func maxPoolMasks(x *Node, k, s, p int) *Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	bsz, h, w, c := dims[0], dims[1], dims[2], dims[3]
	if p > 0 {
		// Concatenate, not Pad: GoMLX v0.26.0 has no gradient for Pad.
		// The fill is made in float32 and converted (no bfloat16 literal).
		fill := func(d ...int) *Node {
			v := Scalar(g, dtypes.Float32, float32(math.Inf(-1)))
			if x.DType() != dtypes.Float32 {
				v = ConvertDType(v, x.DType())
			}
			return BroadcastToDims(v, d...)
		}
		rows := fill(bsz, p, w, c)
		x = Concatenate([]*Node{rows, x, rows}, 1)
		cols := fill(bsz, h+2*p, p, c)
		x = Concatenate([]*Node{cols, x, cols}, 2)
		h, w = h+2*p, w+2*p
	}
	ho, wo := (h-k)/s+1, (w-k)/s+1
	slices := make([]*Node, 0, k*k)
	for i := range k {
		for j := range k {
			slices = append(slices, Slice(x, AxisRange(),
				AxisRange(i, i+s*(ho-1)+1).Stride(s), AxisRange(j, j+s*(wo-1)+1).Stride(s), AxisRange()))
		}
	}
	var y *Node
	for _, si := range slices {
		si = StopGradient(si)
		if y == nil {
			y = si
		} else {
			y = Max(y, si)
		}
	}
	var out, taken *Node
	zero := ScalarZero(g, x.DType())
	for _, si := range slices {
		eq := Equal(StopGradient(si), y)
		m := eq
		if taken == nil {
			taken = eq
		} else {
			m = LogicalAnd(eq, LogicalNot(taken))
			taken = LogicalOr(taken, eq)
		}
		term := Where(m, si, zero)
		if out == nil {
			out = term
		} else {
			out = Add(out, term)
		}
	}
	return out
}
