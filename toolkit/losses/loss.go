package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/debiaser/debiaser/toolkit/config"
)

// New returns the loss selected by cfg as a train.LossFn, for
// train.NewTrainer. counts are the per-class sample counts of the whole
// training set; they fix the class weights (family CB), the LDAM margins,
// the prior (family LA) and the number of classes C. They may be nil for
// families baseline and MFE, where the number of classes is taken from
// the logits.
//
// The returned function takes labels[0] as integer class indices shaped
// [batch] or [batch, 1] (any integer dtype) and predictions[0] as logits
// [batch, C] (float32 or float64), and returns a scalar. Extra labels or
// predictions are ignored.
func New(cfg Config, counts []int) (train.LossFn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var weights, margins []float64
	if cfg.Family == FamilyCB {
		var err error
		if weights, err = ClassWeights(counts, cfg.weighting(), cfg.Beta); err != nil {
			return nil, err
		}
		if cfg.Type == TypeBCESoftmax && len(counts) < 2 {
			return nil, fmt.Errorf("losses: %w", &config.FieldError{Key: "loss_type", Reason: "BCE_softmax needs at least 2 classes"})
		}
		if cfg.Type == TypeLDAM {
			if margins, err = LDAMMargins(counts, cfg.Margin); err != nil {
				return nil, err
			}
			for c := range margins {
				margins[c] *= cfg.Scale // on the logits s*cos
			}
		}
	}
	if cfg.Family == FamilyLA {
		var err error
		if weights, err = LogitOffsets(counts, cfg.Tau); err != nil {
			return nil, err
		}
	}
	return func(labels, predictions []*Node) *Node {
		return Build(cfg, weights, margins, predictions[0], labels[0])
	}, nil
}

// Build builds the loss of cfg for logits [N, C] and integer labels [N] or
// [N, 1]; weights are the class weights of family CB (nil means all 1), or
// the logit offsets of family LA (LogitOffsets); margins are the margins
// loss_type LDAM subtracts from the true class's logit (LDAMMargins times
// the cosine classifier's scale), nil otherwise.
// It is the graph code behind New and Evaluate, and panics (as graph code
// does) on shapes that do not fit; cfg is assumed valid.
func Build(cfg Config, weights, margins []float64, logits, labels *Node) *Node {
	if logits.Rank() != 2 {
		panic(fmt.Sprintf("losses: logits must be [batch, classes], got %s", logits.Shape()))
	}
	n, c := logits.Shape().Dim(0), logits.Shape().Dim(1)
	if labels.Rank() == 2 && labels.Shape().Dim(1) == 1 {
		labels = Reshape(labels, n)
	}
	if labels.Rank() != 1 || labels.Shape().Dim(0) != n {
		panic(fmt.Sprintf("losses: labels must be [%d] or [%d, 1], got %s", n, n, labels.Shape()))
	}
	if weights != nil && len(weights) != c {
		panic(fmt.Sprintf("losses: %d class weights for %d classes", len(weights), c))
	}
	dtype := logits.DType()
	onehot := OneHot(labels, c, dtype)

	switch cfg.Family {
	case FamilyBaseline:
		return ReduceAllMean(CrossEntropy(logits, onehot))
	case FamilyMFE:
		return MeanFalseError(Softmax(logits), onehot, cfg.Type == TypeMSFE)
	case FamilyLA:
		if weights == nil {
			panic("losses: family LA needs its logit offsets")
		}
		adjusted := Add(logits, InsertAxes(Const(logits.Graph(), toDType(weights, dtype)), 0))
		return ReduceAllMean(CrossEntropy(adjusted, onehot))
	}
	// Family CB: s_i = w[y_i], 1 where no weights.
	s := OnesLike(Reshape(labels, n))
	s = ConvertDType(s, dtype)
	if weights != nil {
		s = ReduceSum(Mul(onehot, InsertAxes(Const(logits.Graph(), toDType(weights, dtype)), 0)), -1)
	}
	perClass := InsertAxes(s, -1) // [N, 1], broadcasts over classes
	switch cfg.Type {
	case TypeCE:
		return ReduceAllMean(Mul(s, CrossEntropy(logits, onehot)))
	case TypeLDAM:
		if len(margins) != c {
			panic(fmt.Sprintf("losses: LDAM needs %d class margins, got %d", c, len(margins)))
		}
		m := InsertAxes(Const(logits.Graph(), toDType(margins, dtype)), 0) // [1, C]
		return ReduceAllMean(Mul(s, CrossEntropy(Sub(logits, Mul(onehot, m)), onehot)))
	case TypeBCESigmoid:
		return ReduceAllMean(Mul(perClass, BCEWithLogits(logits, onehot)))
	case TypeBCESoftmax:
		return ReduceAllMean(Mul(perClass, BCESoftmax(logits, onehot)))
	case TypeFocal:
		// Sum over classes, mean over samples (torchvision's reduction
		// "sum" divided by N, as in Cui et al.'s code).
		return DivScalar(ReduceAllSum(Mul(perClass, FocalWithLogits(logits, onehot, cfg.Gamma))), float64(n))
	}
	panic(fmt.Sprintf("losses: unknown loss_type %q", cfg.Type))
}

// toDType converts class weights to the dtype of the logits for Const.
func toDType(w []float64, dtype dtypes.DType) any {
	if dtype == dtypes.Float64 {
		return w
	}
	w32 := make([]float32, len(w))
	for i, x := range w {
		w32[i] = float32(x)
	}
	return w32
}
