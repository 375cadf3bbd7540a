package losses

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/debiaser/debiaser/toolkit/config"
)

// Loss families (the study's loss_family).
const (
	FamilyBaseline = "baseline" // softmax cross-entropy; loss_type and weighting are ignored
	FamilyCB       = "CB"       // class-balanced losses of Cui et al. 2019
	FamilyMFE      = "MFE"      // mean (squared) false error of Wang et al. 2016
	// FamilyLA is the logit-adjusted loss of Menon et al. 2021 ("Long-tail
	// learning via logit adjustment"), not in the study: softmax
	// cross-entropy of logits + tau*log(prior), the prior being each
	// class's share of the training set. Training against the prior makes
	// the plain argmax of the logits a balanced classifier; tau 1 is the
	// balanced softmax of Ren et al. 2020.
	FamilyLA = "LA"
)

// Loss types (the study's loss_type).
const (
	TypeCE         = "CE"          // softmax cross-entropy (family CB)
	TypeBCESigmoid = "BCE_sigmoid" // binary cross-entropy on sigmoid(logits) (family CB)
	TypeBCESoftmax = "BCE_softmax" // binary cross-entropy on softmax(logits) (family CB)
	TypeFocal      = "focal"       // sigmoid focal loss (family CB)
	// TypeLDAM is the label-distribution-aware margin loss of Cao et al.
	// 2019 (family CB), not in the study: softmax cross-entropy with the
	// true class's logit lowered by a margin that grows as the class gets
	// rarer, on a cosine classifier (Config.Margin, Config.Scale).
	TypeLDAM = "LDAM"
	TypeMFE  = "MFE"  // mean false error (family MFE)
	TypeMSFE = "MSFE" // mean squared false error (family MFE)
)

// Class weightings of the CB family.
const (
	WeightINS  = "INS"  // inverse number of samples, 1/n_c
	WeightISNS = "ISNS" // inverse square root of the number of samples, 1/sqrt(n_c)
	WeightENS  = "ENS"  // inverse effective number, (1-beta)/(1-beta^n_c)
	// WeightNone gives every class weight 1: family CB with loss_type focal
	// and weighting none is the plain (unweighted) focal loss.
	WeightNone = "none"
)

// KnownTypes lists, per family, the loss types it accepts. The baseline
// family accepts any loss_type (the study ignored it).
var KnownTypes = map[string][]string{
	FamilyBaseline: nil,
	FamilyCB:       {TypeCE, TypeBCESigmoid, TypeBCESoftmax, TypeFocal, TypeLDAM},
	FamilyMFE:      {TypeMFE, TypeMSFE},
	FamilyLA:       {TypeCE},
}

// KnownWeightings lists the valid values of weighting.
var KnownWeightings = []string{WeightINS, WeightISNS, WeightENS, WeightNone}

// Config selects one loss: the study's load_loss arguments. JSON keys are
// those of config.Config.
type Config struct {
	Family string `json:"loss_family"`
	Type   string `json:"loss_type"`
	// Weighting is used by family CB only; empty means ENS (the study's,
	// and Cui et al.'s, choice).
	Weighting string  `json:"weighting"`
	Beta      float64 `json:"beta"`  // ENS hyperparameter, in [0, 1)
	Gamma     float64 `json:"gamma"` // focal exponent, >= 0
	Tau       float64 `json:"tau"`   // logit adjustment scale (family LA), >= 0
	// Margin is the largest LDAM margin (the rarest class's), in cosine
	// units; Scale the cosine classifier's scale s. The logits the loss
	// sees are s*cos, so class c's margin on them is s*Margin_c.
	Margin float64 `json:"ldam_margin"`
	Scale  float64 `json:"ldam_scale"`
}

// FromConfig takes the loss fields of a run configuration.
func FromConfig(c config.Config) Config {
	return Config{Family: c.LossFamily, Type: c.LossType, Weighting: c.Weighting, Beta: c.Beta, Gamma: c.Gamma, Tau: c.Tau,
		Margin: c.LDAMMargin, Scale: c.LDAMScale}
}

// weighting returns the effective weighting: WeightNone outside family CB,
// ENS when empty.
func (c Config) weighting() string {
	switch {
	case c.Family != FamilyCB:
		return WeightNone
	case c.Weighting == "":
		return WeightENS
	}
	return c.Weighting
}

// Validate reports every invalid field; each error is a *config.FieldError
// whose Key is the JSON key. Beta, gamma and tau are range-checked whatever
// the family, like config.Config.Validate does.
func (c Config) Validate() error {
	errs := c.nameErrors()
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if !(c.Beta >= 0 && c.Beta < 1) {
		bad("beta", "must be in [0, 1), got %g", c.Beta)
	}
	if !(c.Gamma >= 0) {
		bad("gamma", "must be >= 0, got %g", c.Gamma)
	}
	if !(c.Tau >= 0) || math.IsInf(c.Tau, 0) {
		bad("tau", "must be a finite value >= 0, got %g", c.Tau)
	}
	if c.Type == TypeLDAM && c.Family == FamilyCB {
		if !(c.Margin >= 0) || math.IsInf(c.Margin, 0) {
			bad("ldam_margin", "must be a finite value >= 0, got %g", c.Margin)
		}
		if !(c.Scale > 0) || math.IsInf(c.Scale, 0) {
			bad("ldam_scale", "must be a finite value > 0, got %g", c.Scale)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("losses: %w", err)
	}
	return nil
}

// ValidateNames checks the names this package owns (loss_family,
// loss_type, weighting) and not the ranges config.Config.Validate checks
// too: a run's config is checked with both, each error once.
func (c Config) ValidateNames() error {
	if err := errors.Join(c.nameErrors()...); err != nil {
		return fmt.Errorf("losses: %w", err)
	}
	return nil
}

// nameErrors are ValidateNames's field errors, unwrapped.
func (c Config) nameErrors() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	types, ok := KnownTypes[c.Family]
	if !ok {
		bad("loss_family", "unknown %q (valid: %s, %s, %s, %s)", c.Family, FamilyBaseline, FamilyCB, FamilyMFE, FamilyLA)
	} else if c.Family != FamilyBaseline && !slices.Contains(types, c.Type) {
		bad("loss_type", "unknown %q for loss_family %s (valid: %s)", c.Type, c.Family, strings.Join(types, ", "))
	}
	if c.Family == FamilyCB && c.Weighting != "" && !slices.Contains(KnownWeightings, c.Weighting) {
		bad("weighting", "unknown %q (valid: %s)", c.Weighting, strings.Join(KnownWeightings, ", "))
	}
	return errs
}
