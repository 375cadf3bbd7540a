package gobackend

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// Reverse implements backends.Builder (missing in SimpleGo; needed by the convolution's input gradient).
func (b *Builder) Reverse(xOp backends.Op, axes ...int) (backends.Op, error) {
	ns, err := b.nodes("Reverse", xOp)
	if err != nil {
		return nil, err
	}
	shape := b.shape(xOp)
	reversed := make([]bool, shape.Rank())
	for _, a := range axes {
		if a < 0 {
			a += shape.Rank()
		}
		if a < 0 || a >= shape.Rank() {
			return nil, errors.Errorf("Reverse: axis out of range for shape %s (axes %v)", shape, axes)
		}
		reversed[a] = true
	}
	if !slices.Contains(reversed, true) {
		return b.Builder.Identity(xOp)
	}
	shape = shape.Clone()
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		out := backend.NewBuffer(shape)
		reverseBytes(bytesOf(backend, out), bytesOf(backend, in[0]), shape, reversed)
		return out, nil
	}
	return customNode(b.Builder, backends.OpTypeReverse, shape, kernel, ns...), nil
}

// reverseBytes copies src to dst reversing the marked axes, treating elements as opaque bytes.
func reverseBytes(dst, src []byte, shape shapes.Shape, reversed []bool) {
	if shape.Size() == 0 {
		return
	}
	elem := int(shape.DType.Size())
	rank := shape.Rank()
	if rank == 0 {
		copy(dst, src)
		return
	}
	dims := shape.Dimensions
	strides := shape.Strides()
	last := rank - 1
	rowLen := dims[last]
	rowBytes := rowLen * elem
	idx := make([]int, rank)
	for srcRow := 0; srcRow < shape.Size(); srcRow += rowLen {
		dstRow := 0
		for a := 0; a < last; a++ {
			i := idx[a]
			if reversed[a] {
				i = dims[a] - 1 - i
			}
			dstRow += i * strides[a]
		}
		s := src[srcRow*elem : srcRow*elem+rowBytes]
		d := dst[dstRow*elem : dstRow*elem+rowBytes]
		if reversed[last] {
			for i := 0; i < rowLen; i++ {
				copy(d[(rowLen-1-i)*elem:(rowLen-i)*elem], s[i*elem:(i+1)*elem])
			}
		} else {
			copy(d, s)
		}
		for a := last - 1; a >= 0; a-- { // Next row index.
			idx[a]++
			if idx[a] < dims[a] {
				break
			}
			idx[a] = 0
		}
	}
}
