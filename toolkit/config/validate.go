package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// FieldError is a configuration value that is out of range; Key is the
// field's JSON key so messages name what the user wrote.
type FieldError struct {
	Key    string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("config: field %q: %s", e.Key, e.Reason) }

// Validate checks ranges and the enumerations this package owns. Names
// owned by registries elsewhere (model_name, loss_family, loss_type,
// weighting) are checked by those packages when a run is built.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if c.BatchSize <= 0 {
		bad("batch_size", "must be > 0, got %d", c.BatchSize)
	}
	if c.StepsPerCall < 0 || c.StepsPerCall > MaxStepsPerCall {
		bad("steps_per_call", "must be in [1, %d] (0: 1), got %d", MaxStepsPerCall, c.StepsPerCall)
	}
	if c.EvalBatchSize < 0 || (c.BatchSize > 0 && c.EvalBatchSize%c.BatchSize != 0) {
		bad("eval_batch_size", "must be a multiple of batch_size %d (0: batch_size), got %d", c.BatchSize, c.EvalBatchSize)
	}
	if !slices.Contains([]string{"", SamplingNone, SamplingWeighted, SamplingOversampling, SamplingUndersampling}, c.SamplingStrategy) {
		bad("sampling_strategy", "unknown %q (valid: none, weighted, oversampling, undersampling)", c.SamplingStrategy)
	}
	if !slices.Contains([]string{"", "inverse", "inverse_sqrt"}, c.SamplingWeight) {
		bad("sampling_weight", "unknown %q (valid: inverse, inverse_sqrt)", c.SamplingWeight)
	}
	if c.ImbalanceFactor != 0 && !(c.ImbalanceFactor >= 1 && !math.IsInf(c.ImbalanceFactor, 0)) {
		bad("imbalance_factor", "must be 0 (the dataset as it is; 10 for an embedded one) or a finite value >= 1, got %g", c.ImbalanceFactor)
	}
	if c.ImageSize <= 0 {
		bad("image_size", "must be > 0, got %d", c.ImageSize)
	}
	for _, ch := range []struct {
		key string
		xs  []float64
		pos bool
	}{{"normalize_mean", c.NormalizeMean, false}, {"normalize_std", c.NormalizeStd, true}} {
		if len(ch.xs) != 0 && len(ch.xs) != 1 && len(ch.xs) != 3 {
			bad(ch.key, "want 1 or 3 values, got %d", len(ch.xs))
		}
		for _, x := range ch.xs {
			if ch.pos && x <= 0 {
				bad(ch.key, "values must be > 0, got %g", x)
			}
		}
	}
	if c.Degrees < 0 || c.Degrees > 180 {
		bad("degrees", "must be in [0, 180], got %g", c.Degrees)
	}
	if !slices.Contains([]string{"", "float32", "bfloat16", "bf16"}, c.Precision) {
		bad("precision", "unknown %q (valid: float32, bfloat16)", c.Precision)
	}
	if !slices.Contains([]string{"", AugmentHost, AugmentDevice}, c.AugmentOn) {
		bad("augment_on", "unknown %q (valid: host, device)", c.AugmentOn)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		bad("dropout", "must be in [0, 1), got %g", c.Dropout)
	}
	if c.Beta < 0 || c.Beta >= 1 {
		bad("beta", "must be in [0, 1), got %g", c.Beta)
	}
	if c.Gamma < 0 {
		bad("gamma", "must be >= 0, got %g", c.Gamma)
	}
	if !(c.Tau >= 0) || math.IsInf(c.Tau, 0) {
		bad("tau", "must be a finite value >= 0, got %g", c.Tau)
	}
	if !(c.LDAMMargin >= 0) || math.IsInf(c.LDAMMargin, 0) {
		bad("ldam_margin", "must be a finite value >= 0, got %g", c.LDAMMargin)
	}
	if !(c.LDAMScale > 0) || math.IsInf(c.LDAMScale, 0) {
		bad("ldam_scale", "must be a finite value > 0, got %g", c.LDAMScale)
	}
	switch {
	case c.DRWEpoch < 0:
		bad("drw_epoch", "must be >= 0 (0: class weights from the start), got %d", c.DRWEpoch)
	case c.DRWEpoch == 0:
	case c.LossFamily != "CB" || c.Weighting == "none":
		bad("drw_epoch", "defers class weights: it needs loss_family CB with a weighting other than none, got loss_family %q weighting %q", c.LossFamily, c.Weighting)
	case c.Epochs > 0 && c.DRWEpoch >= c.Epochs:
		bad("drw_epoch", "%d leaves no epoch of the %d to train with the class weights (want 1 to %d)", c.DRWEpoch, c.Epochs, c.Epochs-1)
	}
	switch {
	case c.DRSEpoch < 0:
		bad("drs_epoch", "must be >= 0 (0: re-sample from the start), got %d", c.DRSEpoch)
	case c.DRSEpoch == 0:
	case c.SamplingStrategy != SamplingWeighted:
		bad("drs_epoch", "defers re-sampling: it needs sampling_strategy weighted (its epochs keep the data's size), got %q", c.SamplingStrategy)
	case c.Epochs > 0 && c.DRSEpoch >= c.Epochs:
		bad("drs_epoch", "%d leaves no epoch of the %d to re-sample (want 1 to %d)", c.DRSEpoch, c.Epochs, c.Epochs-1)
	}
	if !slices.Contains([]string{"Adam", "SGD"}, c.Optimizer) {
		bad("optimizer", "unknown %q (valid: Adam, SGD)", c.Optimizer)
	}
	if c.Momentum < 0 || c.Momentum >= 1 {
		bad("momentum", "must be in [0, 1), got %g", c.Momentum)
	}
	if !slices.Contains([]string{"", RegNone, RegWeightDecay, RegL2Norm, RegMaxNorm}, c.RegStrategy) {
		bad("reg_strategy", "unknown %q (valid: none, wei_dec, l2_norm, maxnorm)", c.RegStrategy)
	}
	if c.WeightDecay < 0 {
		bad("weight_decay", "must be >= 0, got %g", c.WeightDecay)
	}
	if c.RegStrategy == RegWeightDecay && c.WeightDecay == 0 {
		bad("weight_decay", "reg_strategy wei_dec needs weight_decay > 0")
	}
	if c.RegStrategy == RegMaxNorm && c.Thresh <= 0 {
		bad("thresh", "reg_strategy maxnorm needs thresh > 0, got %g", c.Thresh)
	}
	if !slices.Contains([]string{"", "step", "epoch"}, c.MaxNormEvery) {
		bad("maxnorm_every", "unknown %q (valid: step, epoch)", c.MaxNormEvery)
	}
	if c.LearningRate <= 0 {
		bad("learning_rate", "must be > 0, got %g", c.LearningRate)
	}
	if !slices.Contains([]string{"", "none", "step", "cosine"}, c.Scheduler) {
		bad("scheduler", "unknown %q (valid: none, step, cosine)", c.Scheduler)
	}
	if c.Scheduler == "step" && c.StepSize <= 0 {
		bad("lr_step_size", "scheduler step needs lr_step_size > 0, got %d", c.StepSize)
	}
	if c.GradClip < 0 {
		bad("grad_clip", "must be >= 0, got %g", c.GradClip)
	}
	if c.Epochs <= 0 {
		bad("epochs", "must be > 0, got %d", c.Epochs)
	}
	if c.Patience < 0 {
		bad("patience", "must be >= 0, got %d", c.Patience)
	}
	if c.ValidFraction < 0 || c.ValidFraction >= 1 {
		bad("valid_fraction", "must be in [0, 1), got %g", c.ValidFraction)
	}
	if c.NClass < 0 {
		bad("n_class", "must be >= 0, got %d", c.NClass)
	}
	return errors.Join(errs...)
}
