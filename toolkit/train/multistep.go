package train

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gomlxtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/config"
)

// MaxStepsPerCall bounds MultiStep's k and config.StepsPerCall.
const MaxStepsPerCall = config.MaxStepsPerCall

// StepOutput makes one step's output in a MultiStep program from the
// step's loss (without regularisation) and the model's predictions.
type StepOutput func(ctx *context.Context, loss *graph.Node, predictions []*graph.Node) *graph.Node

// MultiStep is the graph function (for context.NewExec, on a context
// that is not Checked) of k training steps in one program, what Keras
// calls steps_per_execution: the inputs are k image batches, then their k
// label batches; each step does what GoMLX's Trainer.TrainStep does
// (training mode, the model, the mean loss, the optimizer update, the
// per-step update hooks) and reads the variables (weights, batch-norm
// averages, optimizer state, random state) as the step before it left
// them. The arithmetic is that of k single steps; the host returns to the
// backend once per k steps. The program returns each step's output,
// flattened to float32, concatenated in step order.
func MultiStep(model gomlxtrain.ModelFn, lossFn losses.LossFn, opt optimizers.Interface, k int, out StepOutput) func(*context.Context, []*graph.Node) *graph.Node {
	return func(ctx *context.Context, in []*graph.Node) *graph.Node {
		g := in[0].Graph()
		ctx.SetTraining(g, true)
		outs := make([]*graph.Node, k)
		for i := range k {
			// GoMLX sums the losses added to a graph (AddLoss): each step
			// starts from zero, as in a program of its own.
			ctx.InAbsPath(gomlxtrain.TrainerAbsoluteScope).SetGraphParam(g, gomlxtrain.TrainerLossGraphParamKey, graph.ScalarZero(g, dtypes.Float32))
			predictions := model(ctx, nil, in[i:i+1])
			loss := lossFn(in[k+i:k+i+1], predictions)
			if !loss.Shape().IsScalar() {
				loss = graph.ReduceAllMean(loss)
			}
			gomlxtrain.SetLossNoRegularization(ctx, loss)
			gomlxtrain.AddLoss(ctx, loss)
			opt.UpdateGraph(ctx, g, gomlxtrain.GetLosses(ctx, g))
			gomlxtrain.ExecPerStepUpdateGraphFn(ctx, g)
			outs[i] = graph.Reshape(graph.ConvertDType(out(ctx, loss, predictions), dtypes.Float32), -1)
		}
		return graph.Concatenate(outs, 0)
	}
}
