package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/pkg/errors"
)

// Batch normalization (missing in SimpleGo) as compositions of SimpleGo ops. Variances are biased
// (divided by the element count), as in XLA's BatchNormTraining.

// bnAxes returns the reduction axes (all but featureAxis) and the element count per feature.
func (b *Builder) bnAxes(op string, operand backends.Op, featureAxis int) (axes []int, count int, err error) {
	s := b.shape(operand)
	if featureAxis < 0 || featureAxis >= s.Rank() {
		return nil, 0, errors.Errorf("%s: feature axis %d out of range for operand %s", op, featureAxis, s)
	}
	if !isFloat(s.DType) {
		return nil, 0, errors.Errorf("%s: operand %s must be float32 or float64", op, s)
	}
	count = 1
	for a, d := range s.Dimensions {
		if a != featureAxis {
			axes = append(axes, a)
			count *= d
		}
	}
	return axes, count, nil
}

// perFeature broadcasts a [C] vector along featureAxis to the operand's shape.
func (b *Builder) perFeature(v, operand backends.Op, featureAxis int) (backends.Op, error) {
	return b.Builder.BroadcastInDim(v, b.shape(operand), []int{featureAxis})
}

// chain runs steps in order, stopping at the first error; it keeps the op algebra below readable.
type chain struct{ err error }

func (c *chain) do(op backends.Op, err error) backends.Op {
	if c.err == nil && err != nil {
		c.err = err
	}
	return op
}

// invStd returns 1/sqrt(variance+epsilon) for a [C] variance.
func (b *Builder) invStd(c *chain, variance backends.Op, epsilon float32) backends.Op {
	eps := c.do(b.scalar(b.shape(variance).DType, float64(epsilon)))
	if c.err != nil {
		return nil
	}
	eps = c.do(b.Builder.BroadcastInDim(eps, b.shape(variance), nil))
	return c.do(b.Builder.Rsqrt(c.do(b.Builder.Add(variance, eps))))
}

// meanOver returns ReduceSum(x, axes)/count.
func (b *Builder) meanOver(c *chain, x backends.Op, axes []int, count int) backends.Op {
	sum := c.do(b.Builder.ReduceSum(x, axes...))
	if c.err != nil {
		return nil
	}
	inv := c.do(b.scalar(b.shape(sum).DType, 1/float64(count)))
	if c.err != nil {
		return nil
	}
	return c.do(b.Builder.Mul(sum, c.do(b.Builder.BroadcastInDim(inv, b.shape(sum), nil))))
}

// BatchNormForInference implements backends.Builder.
func (b *Builder) BatchNormForInference(operand, scale, offset, mean, variance backends.Op, epsilon float32, featureAxis int) (backends.Op, error) {
	if _, _, err := b.bnAxes("BatchNormForInference", operand, featureAxis); err != nil {
		return nil, err
	}
	c := &chain{}
	k := c.do(b.Builder.Mul(scale, b.invStd(c, variance, epsilon))) // scale/std
	centered := c.do(b.Builder.Sub(operand, c.do(b.perFeature(mean, operand, featureAxis))))
	out := c.do(b.Builder.Mul(centered, c.do(b.perFeature(k, operand, featureAxis))))
	out = c.do(b.Builder.Add(out, c.do(b.perFeature(offset, operand, featureAxis))))
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "BatchNormForInference")
	}
	return out, nil
}

// BatchNormForTraining implements backends.Builder.
func (b *Builder) BatchNormForTraining(operand, scale, offset backends.Op, epsilon float32, featureAxis int) (normalized, batchMean, batchVariance backends.Op, err error) {
	axes, count, err := b.bnAxes("BatchNormForTraining", operand, featureAxis)
	if err != nil {
		return nil, nil, nil, err
	}
	c := &chain{}
	batchMean = b.meanOver(c, operand, axes, count)
	centered := c.do(b.Builder.Sub(operand, c.do(b.perFeature(batchMean, operand, featureAxis))))
	batchVariance = b.meanOver(c, c.do(b.Builder.Mul(centered, centered)), axes, count)
	k := c.do(b.Builder.Mul(scale, b.invStd(c, batchVariance, epsilon)))
	normalized = c.do(b.Builder.Mul(centered, c.do(b.perFeature(k, operand, featureAxis))))
	normalized = c.do(b.Builder.Add(normalized, c.do(b.perFeature(offset, operand, featureAxis))))
	if c.err != nil {
		return nil, nil, nil, errors.WithMessage(c.err, "BatchNormForTraining")
	}
	return normalized, batchMean, batchVariance, nil
}

// BatchNormGradient implements backends.Builder:
//
//	xhat = (x-mean)/std, gradOffset = sum(g), gradScale = sum(g*xhat),
//	gradX = scale/std * (g - gradOffset/n - xhat*gradScale/n).
func (b *Builder) BatchNormGradient(operand, scale, mean, variance, gradOutput backends.Op, epsilon float32, featureAxis int) (gradOperand, gradScale, gradOffset backends.Op, err error) {
	axes, count, err := b.bnAxes("BatchNormGradient", operand, featureAxis)
	if err != nil {
		return nil, nil, nil, err
	}
	c := &chain{}
	inv := b.invStd(c, variance, epsilon)
	centered := c.do(b.Builder.Sub(operand, c.do(b.perFeature(mean, operand, featureAxis))))
	xhat := c.do(b.Builder.Mul(centered, c.do(b.perFeature(inv, operand, featureAxis))))
	gradOffset = c.do(b.Builder.ReduceSum(gradOutput, axes...))
	gradScale = c.do(b.Builder.ReduceSum(c.do(b.Builder.Mul(gradOutput, xhat)), axes...))
	meanG := b.meanOver(c, gradOutput, axes, count)
	meanGX := b.meanOver(c, c.do(b.Builder.Mul(gradOutput, xhat)), axes, count)
	g := c.do(b.Builder.Sub(gradOutput, c.do(b.perFeature(meanG, operand, featureAxis))))
	g = c.do(b.Builder.Sub(g, c.do(b.Builder.Mul(xhat, c.do(b.perFeature(meanGX, operand, featureAxis))))))
	k := c.do(b.Builder.Mul(scale, inv))
	gradOperand = c.do(b.Builder.Mul(g, c.do(b.perFeature(k, operand, featureAxis))))
	if c.err != nil {
		return nil, nil, nil, errors.WithMessage(c.err, "BatchNormGradient")
	}
	return gradOperand, gradScale, gradOffset, nil
}
