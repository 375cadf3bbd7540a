package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
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
	win, strides = append([]int(nil), win...), append([]int(nil), strides...)
	paddings = append([][2]int(nil), paddings...)
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		out := backend.NewBuffer(opShape)
		switch o := flatOf(backend, out).(type) {
		case []float32:
			scatterSelected(o, flatOf(backend, in[0]).([]float32), flatOf(backend, in[1]).([]float32), opShape, srcShape, win, strides, paddings, isMax)
		case []float64:
			scatterSelected(o, flatOf(backend, in[0]).([]float64), flatOf(backend, in[1]).([]float64), opShape, srcShape, win, strides, paddings, isMax)
		}
		return out, nil
	}
	return customNode(b.Builder, op, opShape, kernel, ns...), nil
}

func scatterSelected[T float32 | float64](out, operand, source []T, opShape, srcShape shapes.Shape, win, strides []int, pads [][2]int, isMax bool) {
	clear(out)
	rank := opShape.Rank()
	dims := opShape.Dimensions
	opStrides := opShape.Strides()
	// Window offsets as multi-indices, enumerated once.
	var offsets [][]int
	idx := make([]int, rank)
	for {
		offsets = append(offsets, append([]int(nil), idx...))
		a := rank - 1
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < win[a] {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			break
		}
	}
	src := make([]int, rank)
	for s := range source {
		best := -1
		var bestV T
		for _, w := range offsets {
			off := 0
			inside := true
			for a := 0; a < rank; a++ {
				p := src[a]*strides[a] - pads[a][0] + w[a]
				if p < 0 || p >= dims[a] {
					inside = false
					break
				}
				off += p * opStrides[a]
			}
			if !inside {
				continue
			}
			v := operand[off]
			if best < 0 || (isMax && v > bestV) || (!isMax && v < bestV) {
				best, bestV = off, v
			}
		}
		if best >= 0 {
			out[best] += source[s]
		}
		for a := rank - 1; a >= 0; a-- {
			src[a]++
			if src[a] < srcShape.Dimensions[a] {
				break
			}
			src[a] = 0
		}
	}
}
