package devaug

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// Columns of the per-sample parameters: the stored image's index, the
// map from output pixels to pixels of the (cropped and resized) image (a
// transforms.Rotation with the flips folded in, see sourceMap), and the
// crop box in the stored image (the whole image without crop).
const (
	ColIndex = iota
	ColX0
	ColY0
	ColXX
	ColXY
	ColYX
	ColYY
	ColCropX
	ColCropY
	ColCropW
	ColCropH
	// NumParams is the number of parameters per sample.
	NumParams
)

// MaxSize is the largest image side the int32 fixed-point coordinates
// hold without overflow (|X| < 3.5 * size * 65536 < 2^31).
const MaxSize = 4096

// Check reports a pipeline the graph does not run: device augmentation
// is for Train mode, on images up to MaxSize.
func Check(p transforms.Pipeline) error {
	if err := p.Validate(); err != nil {
		return err
	}
	switch {
	case p.Mode != transforms.Train:
		return fmt.Errorf("devaug: pipeline in %v mode: device augmentation is for training (Train mode)", p.Mode)
	case p.LoadSize() > MaxSize:
		return fmt.Errorf("devaug: image size %d is over %d", p.LoadSize(), MaxSize)
	}
	return nil
}

// Params draws the augmentation of the samples at indices, which start at
// position in epoch's order, exactly as the host pipeline would: sample i
// draws from data.SampleRand(seed, epoch, position+i) through p.Draw, for
// images stored at stored x stored (p.Size without crop). The result is
// int32 [len(indices), NumParams], row-major.
func Params(p transforms.Pipeline, stored int, seed int64, indices []int, epoch, position int) ([]int32, error) {
	if err := Check(p); err != nil {
		return nil, err
	}
	out := make([]int32, 0, len(indices)*NumParams)
	for i, idx := range indices {
		d := p.Draw(imageRect(stored), data.SampleRand(seed, epoch, position+i))
		m := sourceMap(p.Size, d)
		c := d.Crop
		out = append(out, int32(idx), int32(m.X0), int32(m.Y0), int32(m.XX), int32(m.XY), int32(m.YX), int32(m.YY),
			int32(c.Min.X), int32(c.Min.Y), int32(c.Dx()), int32(c.Dy()))
	}
	return out, nil
}

// sourceMap is the map from output pixels to stored pixels of one drawn
// sample. The host flips, then rotates: output (x, y) reads the flipped
// image at (X>>16, Y>>16), i.e. the stored image at (S-1-(X>>16), ...)
// after a horizontal flip. For integers, S-1-(X>>16) = (S<<16-1-X)>>16,
// and X is in [0, S<<16) exactly when S<<16-1-X is: a flip is the same
// kind of map with X0 -> S<<16-1-X0 and its coefficients negated.
func sourceMap(size int, d transforms.Drawn) transforms.Rotation {
	m := transforms.NewRotation(size, size, d.Angle)
	end := int64(size)<<16 - 1
	if d.HFlip {
		m.X0, m.XX, m.XY = end-m.X0, -m.XX, -m.XY
	}
	if d.VFlip {
		m.Y0, m.YX, m.YY = end-m.Y0, -m.YX, -m.YY
	}
	return m
}

// Augment is the graph of one augmented, normalised batch for pipeline p
// (size S = p.Size) from images stored at L x L (L = stored; S without
// crop). store is uint8
// [N*L*L+1, 3]: the pixels of the training images as the host pipeline
// sees them before its random transforms, image after image, row after
// row, then one black pixel. params is int32 [B, NumParams] from Params.
// The result is float32 [B, S, S, 3]:
//
//	out[b, y, x, c] = (pixel/255 - mean[c]) / std[c]
//
// where pixel is the pixel that the crop and resize (see cropResize), the
// flips and Pillow's nearest-neighbour rotation bring to (x, y), found in
// the same integer arithmetic as the host (black where the rotated image
// does not cover (x, y)), and the normalisation is the host's float32
// multiply and add. Without crop the output equals the host pipeline's
// bit for bit (on gofast; a backend that fuses the multiply and add into
// an FMA may differ by 1 ulp).
func Augment(store, params *graph.Node, p transforms.Pipeline, stored int) *graph.Node {
	g := store.Graph()
	size, load := p.Size, stored
	if !p.Crop && stored != size {
		panic(fmt.Errorf("devaug: without crop the images must be stored at %d, got %d", size, stored))
	}
	if store.DType() != dtypes.Uint8 || store.Rank() != 2 || store.Shape().Dim(1) != 3 || store.Shape().Dim(0)%(load*load) != 1 {
		panic(fmt.Errorf("devaug: store must be uint8 [N*%d+1, 3], got %s", load*load, store.Shape()))
	}
	if params.DType() != dtypes.Int32 || params.Rank() != 2 || params.Shape().Dim(1) != NumParams {
		panic(fmt.Errorf("devaug: params must be int32 [B, %d], got %s", NumParams, params.Shape()))
	}
	batch := params.Shape().Dim(0)
	col := func(k int) *graph.Node {
		return graph.Reshape(graph.Slice(params, graph.AxisRange(), graph.AxisElem(k)), batch, 1, 1)
	}
	i32 := func(v int) *graph.Node { return graph.Scalar(g, dtypes.Int32, v) }
	pixels := size * size
	// src holds the S x S images the flips and rotation read, as rows of
	// 3 channels with a black pixel last; first is where each sample's
	// image starts in it, [B, 1, 1].
	src, first := store, graph.Mul(col(ColIndex), i32(pixels))
	if p.Crop {
		src = cropResize(store, params, size, load)
		first = graph.Reshape(graph.Mul(graph.Iota(g, shapes.Make(dtypes.Int32, batch), 0), i32(pixels)), batch, 1, 1)
	}
	x := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, size), 2)
	y := graph.Iota(g, shapes.Make(dtypes.Int32, 1, size, 1), 1)
	// Fixed-point source coordinates of every output pixel, [B, S, S]:
	// the x and y terms are added once, at full size.
	fx := graph.Add(graph.Add(col(ColX0), graph.Mul(x, col(ColXX))), graph.Mul(y, col(ColXY)))
	fy := graph.Add(graph.Add(col(ColY0), graph.Mul(x, col(ColYX))), graph.Mul(y, col(ColYY)))
	// X>>16 in [0, S) is X in [0, S<<16); there X/65536 is X>>16.
	limit := i32(size << 16)
	inside := graph.LogicalAnd(
		graph.LogicalAnd(graph.GreaterOrEqual(fx, i32(0)), graph.LessThan(fx, limit)),
		graph.LogicalAnd(graph.GreaterOrEqual(fy, i32(0)), graph.LessThan(fy, limit)))
	at := graph.Add(first,
		graph.Add(graph.Mul(graph.Div(fy, i32(65536)), i32(size)), graph.Div(fx, i32(65536))))
	black := i32(src.Shape().Dim(0) - 1)
	at = graph.Where(inside, at, graph.BroadcastToShape(black, at.Shape()))
	// Flat indices [B*S*S, 1]: GoMLX v0.26's Gather rejects an index axis
	// beyond the operand's rank.
	pix := graph.Gather(src, graph.Reshape(at, batch*pixels, 1))
	pix = graph.ConvertDType(graph.Reshape(pix, batch, size, size, 3), dtypes.Float32)
	var scale, shift [3]float32
	for c := range 3 {
		// The same float32 constants as transforms.Pipeline.Normalize.
		scale[c] = 1 / (255 * p.Std[c])
		shift[c] = -p.Mean[c] / p.Std[c]
	}
	return graph.Add(graph.Mul(pix, graph.Const(g, [][][][]float32{{{scale[:]}}})), graph.Const(g, [][][][]float32{{{shift[:]}}}))
}
