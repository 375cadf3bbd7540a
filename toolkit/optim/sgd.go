package optim

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// sgdScope holds the momentum buffers.
const sgdScope = context.ScopeSeparator + optimizers.Scope + context.ScopeSeparator + "SGDMomentum"

// sgd is PyTorch's SGD: buf = mu buf + g (buf starts at 0, so the first
// step uses g), then w -= lr buf. GoMLX's own SGD has no momentum and
// decays the learning rate by 1/sqrt(step), so it is not used.
type sgd struct {
	momentum float64
}

func (o *sgd) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	o.UpdateGraphWithGradients(ctx, ctx.BuildTrainableVariablesGradientsGraph(loss), loss.DType())
}

func (o *sgd) UpdateGraphWithGradients(ctx *context.Context, grads []*Node, lossDType dtypes.DType) {
	if len(grads) == 0 {
		return
	}
	g := grads[0].Graph()
	lr := optimizers.LearningRateVar(ctx, lossDType, optimizers.SGDDefaultLearningRate).ValueGraph(g)
	optimizers.IncrementGlobalStepGraph(ctx, g, lossDType)
	i := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		grad := grads[i]
		i++
		if o.momentum > 0 {
			buf := ctx.Checked(false).InAbsPath(sgdScope+v.Scope()).WithInitializer(initializers.Zero).
				VariableWithShape(v.Name()+"_momentum", v.Shape()).SetTrainable(false)
			b := Add(MulScalar(buf.ValueGraph(g), o.momentum), grad)
			buf.SetValueGraph(b)
			grad = b
		}
		value := v.ValueGraph(g)
		v.SetValueGraph(Sub(value, Mul(ConvertDType(lr, value.DType()), grad)))
	}
	if i != len(grads) {
		panic("optim: SGD saw a different number of trainable variables than gradients")
	}
}

func (o *sgd) Clear(ctx *context.Context) error {
	return ctx.InAbsPath(sgdScope).DeleteVariablesInScope()
}
