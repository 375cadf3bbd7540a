package gobackend

import (
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// windowPlan indexes the windows of a pooling op (ReduceWindow, SelectAndScatter). When the last axis
// is not pooled (window 1, stride 1, no padding: channels-last pooling) whole rows along it are
// processed at once; otherwise rows have length 1.
type windowPlan struct {
	rowLen  int   // elements per row (the channels, or 1).
	outDims []int // output dims of the outer (non-row) axes.
	winDims []int
	// tab[a][o*win[a]+w] is the input offset along outer axis a of output position o, window
	// position w, or -1 in padding.
	tab [][]int
}

func newWindowPlan(in, out shapes.Shape, win, strides []int, pads [][2]int) *windowPlan {
	rank := in.Rank()
	outer := rank
	pl := &windowPlan{rowLen: 1}
	if rank > 0 && win[rank-1] == 1 && strides[rank-1] == 1 && pads[rank-1] == [2]int{} {
		outer = rank - 1
		pl.rowLen = in.Dimensions[rank-1]
	}
	inStrides := in.Strides()
	for a := range outer {
		O, W := out.Dimensions[a], win[a]
		tab := make([]int, O*W)
		for o := range O {
			for w := range W {
				pos := o*strides[a] - pads[a][0] + w
				tab[o*W+w] = -1
				if pos >= 0 && pos < in.Dimensions[a] {
					tab[o*W+w] = pos * inStrides[a]
				}
			}
		}
		pl.tab = append(pl.tab, tab)
		pl.outDims = append(pl.outDims, O)
		pl.winDims = append(pl.winDims, W)
	}
	return pl
}

// rows returns the number of output rows.
func (pl *windowPlan) rows() int {
	n := 1
	for _, d := range pl.outDims {
		n *= d
	}
	return n
}

// forRows calls fn(row, bases) for output rows [start, end), where bases are the input offsets of the
// window's in-bounds rows, in row-major window order.
func (pl *windowPlan) forRows(start, end int, fn func(row int, bases []int)) {
	outer := len(pl.outDims)
	o := make([]int, outer)
	r := start
	for a := outer - 1; a >= 0; a-- {
		o[a] = r % pl.outDims[a]
		r /= pl.outDims[a]
	}
	w := make([]int, outer)
	var bases []int
	for row := start; row < end; row++ {
		bases = bases[:0]
		clear(w)
		for {
			off := 0
			for a := range outer {
				t := pl.tab[a][o[a]*pl.winDims[a]+w[a]]
				if t < 0 {
					off = -1
					break
				}
				off += t
			}
			if off >= 0 {
				bases = append(bases, off)
			}
			a := outer - 1
			for ; a >= 0; a-- {
				w[a]++
				if w[a] < pl.winDims[a] {
					break
				}
				w[a] = 0
			}
			if a < 0 {
				break
			}
		}
		fn(row, bases)
		for a := outer - 1; a >= 0; a-- {
			o[a]++
			if o[a] < pl.outDims[a] {
				break
			}
			o[a] = 0
		}
	}
}

// ReduceWindow implements backends.Builder with a row-wise kernel for max/min/sum pooling without
// dilations; other cases go to SimpleGo.
func (b *Builder) ReduceWindow(xOp backends.Op, reduction backends.ReduceOpType,
	win, strides, baseDilations, windowDilations []int, paddings [][2]int) (backends.Op, error) {
	if dtype, ok := b.halfOps(xOp); ok {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) {
			return b.ReduceWindow(ops[0], reduction, win, strides, baseDilations, windowDilations, paddings)
		}, xOp)
	}
	in := b.shape(xOp)
	rank := in.Rank()
	dilated := func(d []int) bool {
		for _, v := range d {
			if v > 1 {
				return true
			}
		}
		return false
	}
	fast := isFloat(in.DType) && len(win) == rank && !dilated(baseDilations) && !dilated(windowDilations) &&
		(reduction == backends.ReduceOpMax || reduction == backends.ReduceOpMin || reduction == backends.ReduceOpSum)
	if !fast {
		return b.Builder.ReduceWindow(xOp, reduction, win, strides, baseDilations, windowDilations, paddings)
	}
	ns, err := b.nodes("ReduceWindow", xOp)
	if err != nil {
		return nil, err
	}
	if len(strides) == 0 {
		strides = win
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, rank)
	}
	out, err := shapeinference.ReduceWindowOp(in, win, strides, nil, nil, paddings)
	if err != nil {
		return nil, err
	}
	pl := newWindowPlan(in, out, win, strides, paddings)
	kernel := func(backend *simplego.Backend, inputs []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(out)
		switch o := flatOf(backend, buf).(type) {
		case []float32:
			reduceRows(o, flatOf(backend, inputs[0]).([]float32), pl, reduction)
		case []float64:
			reduceRows(o, flatOf(backend, inputs[0]).([]float64), pl, reduction)
		}
		return buf, nil
	}
	return customNode(b.Builder, backends.OpTypeReduceWindow, out, kernel, ns...), nil
}

func reduceRows[T float32 | float64](out, in []T, pl *windowPlan, reduction backends.ReduceOpType) {
	n := pl.rowLen
	init := T(0)
	switch reduction {
	case backends.ReduceOpMax:
		init = T(math.Inf(-1))
	case backends.ReduceOpMin:
		init = T(math.Inf(1))
	}
	parallelRange(pl.rows(), func(start, end int) {
		pl.forRows(start, end, func(row int, bases []int) {
			dst := out[row*n : (row+1)*n]
			for i := range dst {
				dst[i] = init
			}
			for _, base := range bases {
				src := in[base : base+n]
				switch reduction {
				case backends.ReduceOpMax:
					for i, v := range src {
						dst[i] = max(dst[i], v)
					}
				case backends.ReduceOpMin:
					for i, v := range src {
						dst[i] = min(dst[i], v)
					}
				default:
					for i, v := range src {
						dst[i] += v
					}
				}
			}
		})
	})
}

// scatterSelected adds each source value to the operand position holding its window's max (min);
// ties go to the first position in row-major window order, as in XLA. Sequential: windows overlap.
func scatterSelected[T float32 | float64](out, operand, source []T, pl *windowPlan, isMax bool) {
	clear(out)
	n := pl.rowLen
	best := make([]int, n)
	bestV := make([]T, n)
	pl.forRows(0, pl.rows(), func(row int, bases []int) {
		if len(bases) == 0 {
			return
		}
		copy(bestV, operand[bases[0]:bases[0]+n])
		for i := range best {
			best[i] = bases[0] + i
		}
		for _, base := range bases[1:] {
			for i, v := range operand[base : base+n] {
				if (isMax && v > bestV[i]) || (!isMax && v < bestV[i]) {
					bestV[i], best[i] = v, base+i
				}
			}
		}
		for i, s := range source[row*n : (row+1)*n] {
			out[best[i]] += s
		}
	})
}
