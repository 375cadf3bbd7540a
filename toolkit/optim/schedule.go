package optim

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
)

// learningRateGraph returns the learning rate for 0-based step (an int64
// scalar: the steps done before this one), in float64 then converted to
// dtype:
//
//	step:   lr gamma^floor(epoch / lr_step_size), epoch = floor(step / steps_per_epoch)
//	cosine: lr (1 + cos(pi t)) / 2, t = (step - W) / (epochs steps_per_epoch - W), per step
//	warm-up (any scheduler): lr (step + 1) / W for step < W = warmup_epochs steps_per_epoch
//
// Warm-up and cosine move every step; the step scheduler every epoch
// (PyTorch's StepLR stepped once per epoch).
func (s Settings) learningRateGraph(step *Node, dtype dtypes.DType) *Node {
	g := step.Graph()
	f64 := dtypes.Float64
	x := ConvertDType(step, f64)
	lr := Scalar(g, f64, s.LearningRate)
	spe := float64(s.StepsPerEpoch)
	warm := float64(s.WarmupEpochs) * spe
	switch s.Scheduler {
	case "step":
		epoch := Floor(DivScalar(x, spe))
		decays := Floor(DivScalar(epoch, float64(s.StepSize)))
		lr = MulScalar(Pow(Scalar(g, f64, s.StepGamma), decays), s.LearningRate)
	case "cosine":
		total := float64(s.Epochs) * spe
		t := ClipScalar(DivScalar(AddScalar(x, -warm), total-warm), 0, 1)
		lr = MulScalar(AddScalar(Cos(MulScalar(t, math.Pi)), 1), s.LearningRate/2)
	}
	if warm > 0 {
		ramp := MulScalar(AddScalar(x, 1), s.LearningRate/warm)
		lr = Where(LessThan(x, Scalar(g, f64, warm)), ramp, lr)
	}
	return ConvertDType(lr, dtype)
}
