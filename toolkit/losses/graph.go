package losses

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
)

// The functions below build graph nodes; like all GoMLX graph-building
// code they panic on shape errors. logits are [N, C]; onehot is the
// one-hot label matrix [N, C] of the same dtype.

// CrossEntropy returns the per-sample softmax cross-entropy
// -sum_c t_ic log softmax(z_i)_c, shape [N], via log-sum-exp.
func CrossEntropy(logits, onehot *Node) *Node {
	return Neg(ReduceSum(Mul(onehot, LogSoftmax(logits)), -1))
}

// BCEWithLogits returns the element-wise binary cross-entropy of
// sigmoid(z) against t, [N, C], in the stable form softplus(z) - t z.
func BCEWithLogits(logits, onehot *Node) *Node {
	return Sub(Softplus(logits), Mul(onehot, logits))
}

// BCESoftmax returns the element-wise binary cross-entropy of softmax(z)
// against t, [N, C]. Both logarithms are taken in log-sum-exp form:
// log p_c = z_c - lse(z) and log(1 - p_c) = lse(z without z_c) - lse(z),
// so they stay exact when p_c is 0 or 1 in floating point. PyTorch's
// F.binary_cross_entropy instead clamps each log at -100, so the two
// differ only where a probability is below e^-100. Needs C >= 2.
func BCESoftmax(logits, onehot *Node) *Node {
	g := logits.Graph()
	n, c := logits.Shape().Dim(0), logits.Shape().Dim(1)
	logP := LogSoftmax(logits)
	// others[i, c, j] = z_ij for j != c, -inf on the diagonal.
	expanded := BroadcastToDims(InsertAxes(logits, 1), n, c, c)
	diag := BroadcastToDims(InsertAxes(Diagonal(g, c), 0), n, c, c)
	others := Where(diag, BroadcastToDims(Infinity(g, logits.DType(), -1), n, c, c), expanded)
	logOneMinusP := Sub(Reshape(logSumExp(others, -1), n, c), logSumExp(logits, -1))
	one := OnesLike(onehot)
	return Neg(Add(Mul(onehot, logP), Mul(Sub(one, onehot), logOneMinusP)))
}

// logSumExp reduces x over axis, kept with size 1 so it broadcasts
// against x: max + log sum exp(x - max).
func logSumExp(x *Node, axis int) *Node {
	m := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	return Add(m, Log(ReduceAndKeep(Exp(Sub(x, m)), ReduceSum, axis)))
}

// FocalWithLogits returns torchvision's sigmoid_focal_loss with alpha off,
// element-wise [N, C]: (1 - p_t)^gamma * BCEWithLogits(z, t), where
// p_t = sigmoid(z) if t = 1 else 1 - sigmoid(z). The modulating factor is
// computed as exp(-gamma * softplus(-u)) with u = z (1 - 2t), which equals
// sigmoid(u)^gamma = (1 - p_t)^gamma without overflow (Cui et al.'s form),
// and is exactly 1 for gamma = 0.
func FocalWithLogits(logits, onehot *Node, gamma float64) *Node {
	bce := BCEWithLogits(logits, onehot)
	if gamma == 0 {
		return bce
	}
	one := OnesLike(onehot)
	u := Mul(logits, Sub(one, MulScalar(onehot, 2)))
	modulator := Exp(MulScalar(Neg(Softplus(Neg(u))), gamma))
	return Mul(modulator, bce)
}

// FalseErrors returns, per class c, the mean over the batch samples of
// class c of e_i = sum_k 1/2 (t_ik - p_ik)^2 (Wang et al. 2016), shape
// [C]; classes absent from the batch get 0. probs are probabilities
// [N, C] (softmax outputs, or hard 0/1 predictions).
func FalseErrors(probs, onehot *Node) *Node {
	diff := Sub(onehot, probs)
	e := MulScalar(ReduceSum(Mul(diff, diff), -1), 0.5)           // [N]
	sums := ReduceSum(Mul(onehot, InsertAxes(e, -1)), 0)          // [C]
	counts := ReduceSum(onehot, 0)                                // [C]
	present := GreaterThan(counts, ZerosLike(counts))             // [C]
	safeCounts := Where(present, counts, OnesLike(counts))        // no 0/0
	return Where(present, Div(sums, safeCounts), ZerosLike(sums)) // [C]
}

// MeanFalseError returns MFE = sum_c E_c, or with squared MSFE =
// sum_c E_c^2, where E_c are the FalseErrors of probs. For two classes
// this is Wang et al.'s FPE + FNE (or FPE^2 + FNE^2).
func MeanFalseError(probs, onehot *Node, squared bool) *Node {
	errs := FalseErrors(probs, onehot)
	if squared {
		errs = Mul(errs, errs)
	}
	return ReduceSum(errs, 0)
}
