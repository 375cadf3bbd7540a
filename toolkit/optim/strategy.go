package optim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/config"
)

// ClassifierWeights finds the final layer's weights: the one variable
// named "weights", of rank 2, whose scope path has a component equal to
// scope (so both "/classifier" and "/classifier/dense", as layers.Dense
// nests it, are found).
func ClassifierWeights(ctx *context.Context, scope string) (*context.Variable, error) {
	var found []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Name() == "weights" && v.Shape().Rank() == 2 &&
			slices.Contains(strings.Split(v.Scope(), context.ScopeSeparator), scope) {
			found = append(found, v)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("optim: no classifier weights: no rank-2 variable \"weights\" under a scope named %q", scope)
	}
	var names []string
	for _, v := range found {
		names = append(names, v.ScopeAndName())
	}
	return nil, fmt.Errorf("optim: several classifier weights under scope %q: %s", scope, strings.Join(names, ", "))
}

func (o *Optimizer) classifierWeights(ctx *context.Context) *context.Variable {
	v, err := ClassifierWeights(ctx, o.scope)
	if err != nil {
		panic(err)
	}
	return v
}

// columnNorms returns the L2 norm of each column of w [in, out] (the
// class rows of PyTorch's [out, in] layout), shaped [1, out].
func columnNorms(w *Node) *Node {
	return Sqrt(ReduceAndKeep(Mul(w, w), ReduceSum, 0))
}

// UnitColumns rescales every column of w [features, classes] (a class's
// weight vector, since GoMLX stores dense kernels as [in, out]) to unit
// L2 norm; all-zero columns are left as they are.
func UnitColumns(w *Node) *Node {
	norms := columnNorms(w)
	positive := GreaterThan(norms, ZerosLike(norms))
	scale := Where(positive, Reciprocal(Where(positive, norms, OnesLike(norms))), OnesLike(norms))
	return Mul(w, scale)
}

// MaxNormColumns projects every column of w whose L2 norm exceeds thresh
// (a scalar) back to norm thresh; other columns are unchanged.
func MaxNormColumns(w, thresh *Node) *Node {
	norms := columnNorms(w)
	thresh = ConvertDType(thresh, w.DType())
	over := GreaterThan(norms, thresh)
	scale := Where(over, Div(thresh, Where(over, norms, OnesLike(norms))), OnesLike(norms))
	return Mul(w, scale)
}

// RelativeThreshold is Alshammari et al.'s threshold min + t (max - min)
// of the column norms of w.
func RelativeThreshold(w *Node, t float64) *Node {
	norms := columnNorms(w)
	lo, hi := ReduceAllMin(norms), ReduceAllMax(norms)
	return Add(lo, MulScalar(Sub(hi, lo), t))
}

// thresholdGraph returns the maxnorm threshold. A relative one is computed
// from w0 (the classifier weights before the first step) once, and kept
// in a variable that holds -1 until then.
func (o *Optimizer) thresholdGraph(ctx *context.Context, w0 *Node) *Node {
	g := w0.Graph()
	if !o.s.Relative {
		return Scalar(g, w0.DType(), o.s.Thresh)
	}
	v := thresholdVar(ctx, w0.DType())
	stored := v.ValueGraph(g)
	thresh := Where(LessThan(stored, ZerosLike(stored)), RelativeThreshold(w0, o.s.Thresh), stored)
	v.SetValueGraph(thresh)
	return thresh
}

func thresholdVar(ctx *context.Context, dtype dtypes.DType) *context.Variable {
	return ctx.Checked(false).InAbsPath(context.ScopeSeparator+optimizers.Scope+context.ScopeSeparator+"maxnorm").
		VariableWithValue("threshold", shapes.CastAsDType(-1.0, dtype)).SetTrainable(false)
}

// Threshold returns the maxnorm threshold in force for ctx: thresh, or for
// a relative threshold the value recorded at the first step (false if
// none was recorded yet).
func (o *Optimizer) Threshold(ctx *context.Context) (float64, bool) {
	if !o.s.Relative {
		return o.s.Thresh, o.s.Strategy == config.RegMaxNorm
	}
	v := ctx.InspectVariable(context.ScopeSeparator+optimizers.Scope+context.ScopeSeparator+"maxnorm", "threshold")
	if v == nil {
		return 0, false
	}
	t, err := v.Value()
	if err != nil {
		return 0, false
	}
	x := shapes.ConvertTo[float64](t.Value())
	return x, x >= 0
}

// EndOfEpoch applies the once-per-epoch MaxNorm projection (maxnorm_every
// "epoch") to the classifier weights in ctx; the training loop calls it
// after each epoch. It does nothing for other strategies.
func (o *Optimizer) EndOfEpoch(backend backends.Backend, ctx *context.Context) (err error) {
	if o.s.Strategy != config.RegMaxNorm || !o.s.EveryEpoch {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("optim: end-of-epoch projection: %v", r)
		}
	}()
	if o.epoch == nil || o.epoch.Context() != ctx || o.epochBackend != backend {
		o.epochBackend = backend
		o.epoch, err = context.NewExec(backend, ctx, func(ctx *context.Context, g *Graph) *Node {
			w := o.classifierWeights(ctx)
			value := w.ValueGraph(g)
			projected := MaxNormColumns(value, o.thresholdGraph(ctx, value))
			w.SetValueGraph(projected)
			return ReduceAllSum(ConvertDType(NotEqual(value, projected), dtypes.Int32))
		})
		if err != nil {
			return fmt.Errorf("optim: end-of-epoch projection: %w", err)
		}
	}
	if _, err := o.epoch.Exec(); err != nil {
		return fmt.Errorf("optim: end-of-epoch projection: %w", err)
	}
	return nil
}
