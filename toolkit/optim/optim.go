package optim

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/config"
)

// ClassifierScope is the context scope of every model's final linear layer
// (variables "weights" [features, n_class] and "biases" [n_class]); the
// l2_norm and maxnorm strategies act on its weights. Change it per
// optimizer with Optimizer.WithClassifierScope.
const ClassifierScope = "classifier"

// Settings are the optimizer fields of a run configuration, resolved:
// New fills them from config.Config, applying the defaults below.
type Settings struct {
	Optimizer    string  // "Adam" or "SGD"
	LearningRate float64 // base learning rate
	Momentum     float64 // SGD only (PyTorch's form: buf = mu buf + g)

	Scheduler     string  // "none", "step" (per epoch) or "cosine" (per step)
	StepSize      int     // epochs between decays of the step scheduler
	StepGamma     float64 // decay factor of the step scheduler; 0 in the config means 0.1
	WarmupEpochs  int     // linear warm-up from lr/W_steps to lr, any scheduler
	Epochs        int     // run length, for the cosine scheduler
	StepsPerEpoch int     // training steps (batches) per epoch

	GradClip float64 // clip gradients to this global L2 norm; 0 is off

	Strategy    string  // reg_strategy: none, wei_dec, l2_norm, maxnorm
	WeightDecay float64 // lambda; used with wei_dec, and with l2_norm/maxnorm when > 0
	Decoupled   bool    // AdamW-style decay instead of the L2 penalty
	Thresh      float64 // maxnorm threshold, or the fraction t of a relative one
	Relative    bool    // maxnorm threshold = min + t (max - min) of the initial column norms
	EveryEpoch  bool    // maxnorm once per epoch (EndOfEpoch) instead of every step
}

// Optimizer is Adam or SGD with the study's strategies, a learning-rate
// schedule and gradient clipping; it implements optimizers.Interface for
// train.NewTrainer. One UpdateGraph builds, in the train step graph:
//
//  1. the scheduled learning rate (stored in GoMLX's learning-rate variable);
//  2. the L2 penalty lambda sum ||W||^2, added to the loss (train.AddLoss,
//     so the "loss+" metrics include it) unless decay is decoupled;
//  3. gradients, clipped to GradClip global norm;
//  4. the Adam or SGD update;
//  5. decoupled decay W -= lr lambda W_old, if chosen;
//  6. the l2_norm / maxnorm projection of the classifier weights.
type Optimizer struct {
	s     Settings
	scope string
	inner withGradients
	epoch *context.Exec // EndOfEpoch's projection, built on first use
	// epochBackend is the backend epoch was built for.
	epochBackend backends.Backend
}

// withGradients is the part of GoMLX's optimizers that takes gradients
// computed elsewhere (here, after clipping).
type withGradients interface {
	optimizers.Interface
	UpdateGraphWithGradients(ctx *context.Context, grads []*Node, lossDType dtypes.DType)
}

var _ optimizers.Interface = (*Optimizer)(nil)

// FromConfig resolves the optimizer fields of c.
func FromConfig(c config.Config, stepsPerEpoch int) Settings {
	s := Settings{
		Optimizer: c.Optimizer, LearningRate: c.LearningRate, Momentum: c.Momentum,
		Scheduler: c.Scheduler, StepSize: c.StepSize, StepGamma: c.StepGamma,
		WarmupEpochs: c.WarmupEpochs, Epochs: c.Epochs, StepsPerEpoch: stepsPerEpoch,
		GradClip: c.GradClip, Strategy: c.RegStrategy, WeightDecay: c.WeightDecay,
		Decoupled: c.DecoupledWeightDecay, Thresh: c.Thresh, Relative: c.ThreshRelative,
		EveryEpoch: c.MaxNormEvery == "epoch",
	}
	if s.Scheduler == "" {
		s.Scheduler = "none"
	}
	if s.Strategy == "" {
		s.Strategy = config.RegNone
	}
	if s.StepGamma == 0 {
		s.StepGamma = 0.1 // PyTorch StepLR's default
	}
	return s
}

// New returns the optimizer of the run configuration c (the study's
// load_optimizer). stepsPerEpoch (batches per epoch) places the epoch
// boundaries of the schedulers; it must be > 0 when a scheduler or
// warm-up is on.
func New(c config.Config, stepsPerEpoch int) (*Optimizer, error) {
	return NewFromSettings(FromConfig(c, stepsPerEpoch))
}

// NewFromSettings is New for resolved settings.
func NewFromSettings(s Settings) (*Optimizer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	o := &Optimizer{s: s, scope: ClassifierScope}
	switch s.Optimizer {
	case "Adam":
		// PyTorch's epsilon (GoMLX's default is 1e-7); the learning rate is
		// read from GoMLX's learning-rate variable, which UpdateGraph sets.
		o.inner = optimizers.Adam().LearningRate(s.LearningRate).Epsilon(1e-8).Done().(withGradients)
	case "SGD":
		o.inner = &sgd{momentum: s.Momentum}
	}
	return o, nil
}

// WithClassifierScope sets the scope name of the final layer (default
// ClassifierScope) and returns o.
func (o *Optimizer) WithClassifierScope(scope string) *Optimizer {
	o.scope = scope
	return o
}

// Settings returns the resolved settings.
func (o *Optimizer) Settings() Settings { return o.s }

// Validate reports invalid settings; errors are *config.FieldError naming
// the JSON key.
func (s Settings) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if !slices.Contains([]string{"Adam", "SGD"}, s.Optimizer) {
		bad("optimizer", "unknown %q (valid: Adam, SGD)", s.Optimizer)
	}
	if !(s.LearningRate > 0) {
		bad("learning_rate", "must be > 0, got %g", s.LearningRate)
	}
	if !(s.Momentum >= 0 && s.Momentum < 1) {
		bad("momentum", "must be in [0, 1), got %g", s.Momentum)
	}
	switch s.Scheduler {
	case "none":
	case "step":
		if s.StepSize <= 0 {
			bad("lr_step_size", "scheduler step needs lr_step_size > 0, got %d", s.StepSize)
		}
		if !(s.StepGamma > 0) {
			bad("lr_step_gamma", "must be > 0, got %g", s.StepGamma)
		}
	case "cosine":
		if s.Epochs <= s.WarmupEpochs {
			bad("epochs", "scheduler cosine needs epochs (%d) > warmup_epochs (%d)", s.Epochs, s.WarmupEpochs)
		}
	default:
		bad("scheduler", "unknown %q (valid: none, step, cosine)", s.Scheduler)
	}
	if s.WarmupEpochs < 0 {
		bad("warmup_epochs", "must be >= 0, got %d", s.WarmupEpochs)
	}
	if (s.Scheduler != "none" || s.WarmupEpochs > 0) && s.StepsPerEpoch <= 0 {
		bad("steps_per_epoch", "scheduler %s / warm-up needs steps per epoch > 0, got %d", s.Scheduler, s.StepsPerEpoch)
	}
	if !(s.GradClip >= 0) {
		bad("grad_clip", "must be >= 0, got %g", s.GradClip)
	}
	switch s.Strategy {
	case config.RegNone, config.RegL2Norm:
	case config.RegWeightDecay:
		if !(s.WeightDecay > 0) {
			bad("weight_decay", "reg_strategy wei_dec needs weight_decay > 0, got %g", s.WeightDecay)
		}
	case config.RegMaxNorm:
		if !(s.Thresh > 0) {
			bad("thresh", "reg_strategy maxnorm needs thresh > 0, got %g", s.Thresh)
		}
		if s.Relative && s.Thresh > 1 {
			bad("thresh", "a relative threshold is a fraction in (0, 1], got %g", s.Thresh)
		}
	default:
		bad("reg_strategy", "unknown %q (valid: none, wei_dec, l2_norm, maxnorm)", s.Strategy)
	}
	if !(s.WeightDecay >= 0) {
		bad("weight_decay", "must be >= 0, got %g", s.WeightDecay)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("optim: %w", err)
	}
	return nil
}

// weightDecay is the lambda in force: the study's wei_dec, or weight
// decay combined with l2_norm/maxnorm (Alshammari et al.'s weight
// balancing); reg_strategy none ignores weight_decay, as the study did.
func (s Settings) weightDecay() float64 {
	if s.Strategy == config.RegNone {
		return 0
	}
	return s.WeightDecay
}

// UpdateGraph implements optimizers.Interface.
func (o *Optimizer) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Sprintf("optim: loss must be a scalar, got %s", loss.Shape()))
	}
	dtype := loss.DType()
	step := optimizers.GetGlobalStepVar(ctx).ValueGraph(g) // steps done before this one
	lr := o.s.learningRateGraph(step, dtype)
	optimizers.LearningRateVar(ctx, dtype, o.s.LearningRate).SetValueGraph(lr)

	lambda := o.s.weightDecay()
	decayed := DecayedVariables(ctx, g)
	if lambda > 0 && !o.s.Decoupled && len(decayed) > 0 {
		penalty := L2Penalty(g, decayed, lambda)
		train.AddLoss(ctx, penalty)
		loss = Add(loss, ConvertDType(penalty, dtype))
	}

	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	if len(grads) == 0 {
		panic("optim: no trainable variables in the graph")
	}
	if o.s.GradClip > 0 {
		grads = ClipByGlobalNorm(grads, o.s.GradClip)
	}

	var before []*Node
	for _, v := range decayed {
		before = append(before, v.ValueGraph(g))
	}
	var w0 *Node // classifier weights before the step, for a relative threshold
	if o.s.Strategy == config.RegMaxNorm {
		w0 = o.classifierWeights(ctx).ValueGraph(g)
	}

	o.inner.UpdateGraphWithGradients(ctx, grads, dtype)

	if lambda > 0 && o.s.Decoupled {
		for i, v := range decayed {
			value := v.ValueGraph(g)
			rate := MulScalar(ConvertDType(lr, value.DType()), lambda)
			v.SetValueGraph(Sub(value, Mul(rate, before[i])))
		}
	}

	switch o.s.Strategy {
	case config.RegL2Norm:
		w := o.classifierWeights(ctx)
		w.SetValueGraph(UnitColumns(w.ValueGraph(g)))
	case config.RegMaxNorm:
		thresh := o.thresholdGraph(ctx, w0) // recorded at the first step even when projecting per epoch
		if !o.s.EveryEpoch {
			w := o.classifierWeights(ctx)
			w.SetValueGraph(MaxNormColumns(w.ValueGraph(g), thresh))
		}
	}
}

// Clear implements optimizers.Interface: it deletes the optimizer's own
// variables (moments, momentum buffers, the maxnorm threshold).
func (o *Optimizer) Clear(ctx *context.Context) error {
	if err := o.inner.Clear(ctx); err != nil {
		return err
	}
	return ctx.InAbsPath(context.ScopeSeparator + optimizers.Scope + context.ScopeSeparator + "maxnorm").DeleteVariablesInScope()
}
