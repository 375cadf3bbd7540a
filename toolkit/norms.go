package toolkit

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/optim"
	"github.com/debiaser/debiaser/toolkit/train"
)

// InitialClassifierNorms returns the L2 norm of each class's final-layer
// weights of the model cfg describes, for nClass classes, before any
// training step: the weights a run of cfg starts from (same seed, same
// initialisation order as Run), so the "before" of a before/after chart
// of the norms that weight decay, L2-norm and MaxNorm act on. The run log
// records the norms after each epoch (results.classifier_norms).
func InitialClassifierNorms(cfg config.Config, nClass int) ([]float64, error) {
	if nClass < 1 {
		return nil, &config.FieldError{Key: "n_class", Reason: fmt.Sprintf("need at least one class, got %d", nClass)}
	}
	if cfg.NClass == 0 {
		cfg.NClass = nClass
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	model, err := models.New(cfg)
	if err != nil {
		return nil, err
	}
	backend, _, err := SelectBackend(cfg.Backend)
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	if err := model.Init(ctx, backend); err != nil {
		return nil, err
	}
	// As train.Run: seed the context, then initialise what has no value.
	if err := ctx.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, fmt.Errorf("initial norms: seed: %w", err)
	}
	defer ctx.Finalize()
	if err := train.InitializeVariables(ctx, backend); err != nil {
		return nil, fmt.Errorf("initial norms: %w", err)
	}
	return optim.ClassifierNorms(ctx)
}
