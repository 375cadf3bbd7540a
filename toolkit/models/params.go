package models

import "github.com/gomlx/gomlx/pkg/ml/context"

// TrainableParams splits the parameters ParamsIn counts into those the
// optimizer updates and those it leaves alone: with Options.Full false,
// only the head's are trainable (the study's full=False).
func TrainableParams(ctx *context.Context) (trainable, frozen int) {
	for v := range ctx.IterVariablesInScope() {
		switch v.Name() {
		case "weight", "bias", ClassifierWeights, ClassifierBiases:
			if v.Trainable {
				trainable += v.Shape().Size()
			} else {
				frozen += v.Shape().Size()
			}
		}
	}
	return trainable, frozen
}
