package optim

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// ClassifierNorms returns the L2 norm of each class's weights in the final
// linear layer under ClassifierScope (a column of GoMLX's [features,
// n_class] matrix, a row of PyTorch's): what weight decay, L2-norm and MaxNorm act on.
func ClassifierNorms(ctx *context.Context) ([]float64, error) {
	v, err := ClassifierWeights(ctx, ClassifierScope)
	if err != nil {
		return nil, err
	}
	t, err := v.Value()
	if err != nil {
		return nil, fmt.Errorf("classifier weights: %w", err)
	}
	dims := t.Shape().Dimensions
	features, classes := dims[0], dims[1]
	norms := make([]float64, classes)
	err = tensors.ConstFlatData(t, func(w []float32) {
		for f := 0; f < features; f++ {
			for c := 0; c < classes; c++ {
				x := float64(w[f*classes+c])
				norms[c] += x * x
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("classifier weights: %w", err)
	}
	for c := range norms {
		norms[c] = math.Sqrt(norms[c])
	}
	return norms, nil
}
