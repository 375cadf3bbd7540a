package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// Pad implements backends.Builder (missing in SimpleGo): start/end padding (negative values crop) and
// interior padding, filled with the scalar fillValue.
func (b *Builder) Pad(xOp, fillValue backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	ns, err := b.nodes("Pad", xOp, fillValue)
	if err != nil {
		return nil, err
	}
	in := b.shape(xOp)
	if fill := b.shape(fillValue); fill.Rank() != 0 || fill.DType != in.DType {
		return nil, errors.Errorf("Pad: fillValue must be a scalar of dtype %s, got %s", in.DType, fill)
	}
	if len(axesConfig) > in.Rank() {
		return nil, errors.Errorf("Pad: %d axes configured for operand of rank %d", len(axesConfig), in.Rank())
	}
	cfg := make([]backends.PadAxis, in.Rank())
	copy(cfg, axesConfig)
	outDims := make([]int, in.Rank())
	for a, d := range in.Dimensions {
		if cfg[a].Interior < 0 {
			return nil, errors.Errorf("Pad: negative interior padding %d on axis %d", cfg[a].Interior, a)
		}
		dilated := 0
		if d > 0 {
			dilated = d + (d-1)*cfg[a].Interior
		}
		outDims[a] = cfg[a].Start + dilated + cfg[a].End
		if outDims[a] < 0 {
			return nil, errors.Errorf("Pad: axis %d of %s would have negative size with %+v", a, in, cfg[a])
		}
	}
	out := shapes.Make(in.DType, outDims...)
	inShape := in.Clone()
	kernel := func(backend *simplego.Backend, inputs []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(out)
		padBytes(bytesOf(backend, buf), bytesOf(backend, inputs[0]), bytesOf(backend, inputs[1]), inShape, out, cfg)
		return buf, nil
	}
	return customNode(b.Builder, backends.OpTypePad, out, kernel, ns...), nil
}

// padBytes fills dst (shape out) with fill and copies each src element (shape in) to its padded place.
func padBytes(dst, src, fill []byte, in, out shapes.Shape, cfg []backends.PadAxis) {
	elem := len(fill)
	if len(dst) == 0 {
		return
	}
	copy(dst, fill)
	for n := elem; n < len(dst); n *= 2 { // Fill by doubling.
		copy(dst[n:], dst[:n])
	}
	if in.Size() == 0 {
		return
	}
	rank := in.Rank()
	if rank == 0 {
		copy(dst, src)
		return
	}
	outStrides := out.Strides()
	last := rank - 1
	rowLen := in.Dimensions[last]
	idx := make([]int, rank)
	for srcRow := 0; srcRow < in.Size(); srcRow += rowLen {
		base, inside := 0, true
		for a := 0; a < last; a++ {
			o := cfg[a].Start + idx[a]*(cfg[a].Interior+1)
			if o < 0 || o >= out.Dimensions[a] {
				inside = false
				break
			}
			base += o * outStrides[a]
		}
		if inside {
			step := cfg[last].Interior + 1
			for i := 0; i < rowLen; i++ {
				o := cfg[last].Start + i*step
				if o < 0 || o >= out.Dimensions[last] {
					continue
				}
				d := (base + o) * elem
				s := (srcRow + i) * elem
				copy(dst[d:d+elem], src[s:s+elem])
			}
		}
		for a := last - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < in.Dimensions[a] {
				break
			}
			idx[a] = 0
		}
	}
}
