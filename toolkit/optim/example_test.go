package optim_test

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/optim"
)

// New reads the optimizer fields of a run configuration; invalid values
// are reported by their JSON key.
func ExampleNew() {
	c := config.Defaults()
	c.Optimizer, c.Momentum, c.LearningRate = "SGD", 0.9, 0.1
	c.Scheduler, c.WarmupEpochs = "cosine", 5
	c.RegStrategy, c.WeightDecay = config.RegMaxNorm, 2e-4
	c.Thresh, c.ThreshRelative, c.MaxNormEvery = 0.1, true, "epoch"
	opt, err := optim.New(c, 40) // 40 batches per epoch
	if err != nil {
		fmt.Println(err)
		return
	}
	s := opt.Settings()
	fmt.Println(s.Optimizer, s.Scheduler, s.Strategy, s.Relative, s.EveryEpoch)

	c.RegStrategy, c.Thresh = config.RegMaxNorm, 0
	_, err = optim.New(c, 40)
	fmt.Println(err)
	// Output:
	// SGD cosine maxnorm true true
	// optim: config: field "thresh": reg_strategy maxnorm needs thresh > 0, got 0
}

// A training loop: the optimizer goes to train.NewTrainer; with
// maxnorm_every "epoch" the loop calls EndOfEpoch after each epoch.
func Example_trainingLoop() {
	c := config.Defaults()
	c.RegStrategy, c.Thresh, c.MaxNormEvery = config.RegMaxNorm, 1, "epoch"
	opt, err := optim.New(c, 1)
	if err != nil {
		panic(err)
	}
	lossFn, err := losses.New(losses.FromConfig(c), []int{3, 1})
	if err != nil {
		panic(err)
	}
	model := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		return []*Node{layers.DenseWithBias(ctx.In(optim.ClassifierScope), inputs[0], 2)}
	}
	backend := backends.MustNew()
	ctx := context.New()
	trainer := train.NewTrainer(backend, ctx, model, lossFn, opt, nil, nil)
	x := tensors.FromValue([][]float32{{1, 0}, {0, 1}, {1, 1}, {2, 0}})
	y := tensors.FromValue([]int32{0, 0, 0, 1})
	for epoch := 0; epoch < 3; epoch++ {
		if _, err := trainer.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{y}); err != nil {
			panic(err)
		}
		if err := opt.EndOfEpoch(backend, ctx); err != nil {
			panic(err)
		}
	}
	w, _ := optim.ClassifierWeights(ctx, optim.ClassifierScope)
	fmt.Println(w.ScopeAndName(), w.Shape())
	// Output:
	// /classifier/dense/weights (Float32)[2 2]
}
