package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// Batch normalization (missing in SimpleGo): fused kernels (batchnorm_kernels.go) on the fast path,
// compositions of SimpleGo ops with the "emulate" config. Variances are biased (divided by the
// element count), as in XLA's BatchNormTraining.

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
	if !b.backend.emulate {
		s := b.shape(operand)
		v := newBNView(s, featureAxis)
		return b.bnKernelNode(backends.OpTypeBatchNormForInference, s,
			func(out []float32, in [][]float32) {
				k, o := bnAffine(in[1], in[2], in[3], in[4], epsilon)
				bnApply(out, in[0], v, k, o)
			},
			func(out []float64, in [][]float64) {
				k, o := bnAffine(in[1], in[2], in[3], in[4], epsilon)
				bnApply(out, in[0], v, k, o)
			},
			operand, scale, offset, mean, variance)
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
	if !b.backend.emulate {
		return b.fusedBNTraining(operand, scale, offset, epsilon, featureAxis)
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
	if !b.backend.emulate {
		return b.fusedBNGradient(operand, scale, mean, variance, gradOutput, epsilon, featureAxis)
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

func (b *Builder) fusedBNTraining(operand, scale, offset backends.Op, epsilon float32, featureAxis int) (normalized, batchMean, batchVariance backends.Op, err error) {
	s := b.shape(operand)
	v := newBNView(s, featureAxis)
	stats, err := b.bnKernelNode(backends.OpTypeBatchNormForTraining, shapes.Make(s.DType, 2, v.c),
		func(out []float32, in [][]float32) { bnStats(out, in[0], v) },
		func(out []float64, in [][]float64) { bnStats(out, in[0], v) },
		operand)
	if err != nil {
		return nil, nil, nil, err
	}
	normalized, err = b.bnKernelNode(backends.OpTypeBatchNormForTraining, s,
		func(out []float32, in [][]float32) {
			k, o := bnAffine(in[1], in[2], in[3][:v.c], in[3][v.c:], epsilon)
			bnApply(out, in[0], v, k, o)
		},
		func(out []float64, in [][]float64) {
			k, o := bnAffine(in[1], in[2], in[3][:v.c], in[3][v.c:], epsilon)
			bnApply(out, in[0], v, k, o)
		},
		operand, scale, offset, stats)
	if err != nil {
		return nil, nil, nil, err
	}
	batchMean, batchVariance, err = b.splitRows(stats)
	return normalized, batchMean, batchVariance, err
}

func (b *Builder) fusedBNGradient(operand, scale, mean, variance, gradOutput backends.Op, epsilon float32, featureAxis int) (gradOperand, gradScale, gradOffset backends.Op, err error) {
	s := b.shape(operand)
	v := newBNView(s, featureAxis)
	// One kernel computes both the per-channel sums and gradX; gradX is carried next to the sums in
	// a single [size + 2C] output and split with Slice (SimpleGo nodes have one output each).
	size := s.Size()
	both, err := b.bnKernelNode(backends.OpTypeBatchNormGradient, shapes.Make(s.DType, size+2*v.c),
		func(out []float32, in [][]float32) {
			bnGradient(out[:size], out[size:], in[0], in[4], in[1], in[2], in[3], v, epsilon)
		},
		func(out []float64, in [][]float64) {
			bnGradient(out[:size], out[size:], in[0], in[4], in[1], in[2], in[3], v, epsilon)
		},
		operand, scale, mean, variance, gradOutput)
	if err != nil {
		return nil, nil, nil, err
	}
	gx, err := b.Builder.Slice(both, []int{0}, []int{size}, []int{1})
	if err != nil {
		return nil, nil, nil, err
	}
	if gradOperand, err = b.Builder.Reshape(gx, s.Dimensions...); err != nil {
		return nil, nil, nil, err
	}
	sums, err := b.Builder.Slice(both, []int{size}, []int{size + 2*v.c}, []int{1})
	if err != nil {
		return nil, nil, nil, err
	}
	if sums, err = b.Builder.Reshape(sums, 2, v.c); err != nil {
		return nil, nil, nil, err
	}
	gradScale, gradOffset, err = b.splitRows(sums)
	return gradOperand, gradScale, gradOffset, err
}
