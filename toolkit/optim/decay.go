package optim

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Decays reports whether weight decay applies to v: trainable float
// variables of rank >= 2, i.e. dense and convolution kernels. Biases and
// batch-norm scale/offset are rank 1 and running statistics are not
// trainable, so none of them decays (the usual "no decay for 1-D
// parameters" rule; the study's torch.optim weight_decay decayed them all).
func Decays(v *context.Variable) bool {
	return v.Trainable && v.DType().IsFloat() && v.Shape().Rank() >= 2
}

// DecayedVariables lists the variables of ctx used by g that Decays.
func DecayedVariables(ctx *context.Context, g *Graph) []*context.Variable {
	var vs []*context.Variable
	for v := range ctx.IterVariables() {
		if v.InUseByGraph(g) && Decays(v) {
			vs = append(vs, v)
		}
	}
	return vs
}

// L2Penalty is the study's weight-decay term lambda * sum_v ||v||^2, a
// scalar (of the first variable's dtype). Its gradient is 2 lambda v, so it
// matches PyTorch's coupled weight_decay = 2 lambda.
func L2Penalty(g *Graph, vars []*context.Variable, lambda float64) *Node {
	var sum *Node
	for _, v := range vars {
		value := v.ValueGraph(g)
		sq := ReduceAllSum(Mul(value, value))
		if sum == nil {
			sum = sq
		} else {
			sum = Add(sum, ConvertDType(sq, sum.DType()))
		}
	}
	return MulScalar(sum, lambda)
}

// ClipByGlobalNorm scales all gradients by min(1, clip / (norm + 1e-6)),
// where norm is the L2 norm of all of them together: PyTorch's
// clip_grad_norm_, epsilon included.
func ClipByGlobalNorm(grads []*Node, clip float64) []*Node {
	var sumSq *Node
	for _, gr := range grads {
		sq := ConvertDType(ReduceAllSum(Mul(gr, gr)), grads[0].DType())
		if sumSq == nil {
			sumSq = sq
		} else {
			sumSq = Add(sumSq, sq)
		}
	}
	g := sumSq.Graph()
	norm := Sqrt(sumSq)
	scale := Min(Div(Scalar(g, norm.DType(), clip), AddScalar(norm, 1e-6)), ScalarOne(g, norm.DType()))
	out := make([]*Node, len(grads))
	for i, gr := range grads {
		out[i] = Mul(gr, ConvertDType(scale, gr.DType()))
	}
	return out
}
