package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/pkg/errors"
)

// SelectAndScatterMax implements backends.Builder (missing in SimpleGo): the max-pool gradient.
func (b *Builder) SelectAndScatterMax(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(backends.OpTypeSelectAndScatterMax, operand, source, windowDimensions, windowStrides, paddings)
}

// SelectAndScatterMin implements backends.Builder (missing in SimpleGo): the min-pool gradient.
func (b *Builder) SelectAndScatterMin(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(backends.OpTypeSelectAndScatterMin, operand, source, windowDimensions, windowStrides, paddings)
}

// selectAndScatter adds each source value to the operand position holding its window's max (min);
// ties go to the first position in row-major window order, as in XLA.
func (b *Builder) selectAndScatter(op backends.OpType, operandOp, sourceOp backends.Op, win, strides []int, paddings [][2]int) (backends.Op, error) {
	if dtype, ok := b.halfOps(operandOp, sourceOp); ok {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) {
			return b.selectAndScatter(op, ops[0], ops[1], win, strides, paddings)
		}, operandOp, sourceOp)
	}
	ns, err := b.nodes(op.String(), operandOp, sourceOp)
	if err != nil {
		return nil, err
	}
	opShape, srcShape := b.shape(operandOp).Clone(), b.shape(sourceOp).Clone()
	rank := opShape.Rank()
	if !isFloat(opShape.DType) || srcShape.DType != opShape.DType {
		return nil, errors.Errorf("%s: operand %s and source %s must share a float dtype", op, opShape, srcShape)
	}
	if len(win) != rank {
		return nil, errors.Errorf("%s: %d window dimensions for operand of rank %d", op, len(win), rank)
	}
	if len(strides) == 0 {
		strides = win
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, rank)
	}
	want, err := shapeinference.ReduceWindowOp(opShape, win, strides, nil, nil, paddings)
	if err != nil {
		return nil, errors.WithMessagef(err, "%s", op)
	}
	if !want.Equal(srcShape) {
		return nil, errors.Errorf("%s: source shape %s does not match the pooled shape %s", op, srcShape, want)
	}
	isMax := op == backends.OpTypeSelectAndScatterMax
	pl := newWindowPlan(opShape, srcShape, win, strides, paddings)
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		out := backend.NewBuffer(opShape)
		switch o := flatOf(backend, out).(type) {
		case []float32:
			scatterSelected(o, flatOf(backend, in[0]).([]float32), flatOf(backend, in[1]).([]float32), pl, isMax)
		case []float64:
			scatterSelected(o, flatOf(backend, in[0]).([]float64), flatOf(backend, in[1]).([]float64), pl, isMax)
		}
		return out, nil
	}
	return customNode(b.Builder, op, opShape, kernel, ns...), nil
}
