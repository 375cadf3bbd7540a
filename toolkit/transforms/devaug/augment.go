package devaug

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// Columns of the per-sample parameters: the stored image's index, the
// flips (0 or 1), and the rotation's fixed-point inverse map
// (transforms.Rotation).
const (
	ColIndex = iota
	ColHFlip
	ColVFlip
	ColX0
	ColY0
	ColXX
	ColXY
	ColYX
	ColYY
	// NumParams is the number of parameters per sample.
	NumParams
)

// MaxSize is the largest image side the int32 fixed-point coordinates
// hold without overflow (|X| < 3.5 * size * 65536 < 2^31).
const MaxSize = 4096

// Check reports a pipeline the graph cannot reproduce: device
// augmentation has flips, rotation and normalisation, in Train mode, and
// no crop (the host's antialiased resize of the crop box is not matched).
func Check(p transforms.Pipeline) error {
	if err := p.Validate(); err != nil {
		return err
	}
	switch {
	case p.Mode != transforms.Train:
		return fmt.Errorf("devaug: pipeline in %v mode: device augmentation is for training (Train mode)", p.Mode)
	case p.Crop:
		return errors.New("devaug: crop is not supported on the device (the host's antialiased resize is not matched): augment on the host")
	case p.Size > MaxSize:
		return fmt.Errorf("devaug: image size %d is over %d", p.Size, MaxSize)
	}
	return nil
}

// Params draws the augmentation of the samples at indices, which start at
// position in epoch's order, exactly as the host pipeline would: sample i
// draws from data.SampleRand(seed, epoch, position+i) through p.Draw. The
// result is int32 [len(indices), NumParams], row-major.
func Params(p transforms.Pipeline, seed int64, indices []int, epoch, position int) ([]int32, error) {
	if err := Check(p); err != nil {
		return nil, err
	}
	out := make([]int32, 0, len(indices)*NumParams)
	for i, idx := range indices {
		d := p.Draw(imageRect(p.Size), data.SampleRand(seed, epoch, position+i))
		r := transforms.NewRotation(p.Size, p.Size, d.Angle)
		out = append(out, int32(idx), bit(d.HFlip), bit(d.VFlip),
			int32(r.X0), int32(r.Y0), int32(r.XX), int32(r.XY), int32(r.YX), int32(r.YY))
	}
	return out, nil
}

func bit(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// Augment is the graph of one augmented, normalised batch. store is
// uint8 [N, S, S, 3], the training images as the host pipeline sees them
// before its random transforms; params is int32 [B, NumParams] from
// Params. The result is float32 [B, S, S, 3]:
//
//	out[b, y, x, c] = (pixel/255 - mean[c]) / std[c]
//
// where pixel is store[index, y', x', c] after the flips and Pillow's
// nearest-neighbour rotation (0 where the rotated image does not cover
// (x, y)), computed in the same integer arithmetic as the host, and the
// normalisation in the same float32 operations: the output equals the
// host pipeline's bit for bit.
func Augment(store, params *graph.Node, mean, std [3]float32) *graph.Node {
	g := store.Graph()
	if store.DType() != dtypes.Uint8 || store.Rank() != 4 || store.Shape().Dim(3) != 3 || store.Shape().Dim(1) != store.Shape().Dim(2) {
		panic(fmt.Errorf("devaug: store must be uint8 [N, S, S, 3], got %s", store.Shape()))
	}
	if params.DType() != dtypes.Int32 || params.Rank() != 2 || params.Shape().Dim(1) != NumParams {
		panic(fmt.Errorf("devaug: params must be int32 [B, %d], got %s", NumParams, params.Shape()))
	}
	size := store.Shape().Dim(1)
	batch := params.Shape().Dim(0)
	col := func(k int) *graph.Node {
		return graph.Reshape(graph.Slice(params, graph.AxisRange(), graph.AxisElem(k)), batch, 1, 1)
	}
	grid := shapes.Make(dtypes.Int32, 1, size, size)
	x, y := graph.Iota(g, grid, 2), graph.Iota(g, grid, 1)
	// Fixed-point input coordinates of every output pixel, [B, S, S].
	fx := graph.Add(col(ColX0), graph.Add(graph.Mul(x, col(ColXX)), graph.Mul(y, col(ColXY))))
	fy := graph.Add(col(ColY0), graph.Add(graph.Mul(x, col(ColYX)), graph.Mul(y, col(ColYY))))
	// X>>16 in [0, S) is X in [0, S<<16); there X/65536 is X>>16.
	limit := int32(size) << 16
	inside := graph.LogicalAnd(
		graph.LogicalAnd(graph.GreaterOrEqual(fx, graph.Scalar(g, dtypes.Int32, 0)), graph.LessThan(fx, graph.Scalar(g, dtypes.Int32, limit))),
		graph.LogicalAnd(graph.GreaterOrEqual(fy, graph.Scalar(g, dtypes.Int32, 0)), graph.LessThan(fy, graph.Scalar(g, dtypes.Int32, limit))))
	zero := graph.ZerosLike(fx)
	xin := graph.Where(inside, graph.Div(fx, graph.Scalar(g, dtypes.Int32, 65536)), zero)
	yin := graph.Where(inside, graph.Div(fy, graph.Scalar(g, dtypes.Int32, 65536)), zero)
	// Rotation reads the flipped image: undo the flips, v -> S-1-v.
	flip := func(v, on *graph.Node) *graph.Node {
		return graph.Add(v, graph.Mul(on, graph.Sub(graph.Scalar(g, dtypes.Int32, size-1), graph.MulScalar(v, 2))))
	}
	xs, ys := flip(xin, col(ColHFlip)), flip(yin, col(ColVFlip))
	idx := graph.BroadcastToDims(col(ColIndex), batch, size, size)
	coords := graph.Stack([]*graph.Node{idx, ys, xs}, -1)
	pix := graph.ConvertDType(graph.Gather(store, coords), dtypes.Float32) // [B, S, S, 3]
	pix = graph.Mul(pix, graph.ExpandAxes(graph.ConvertDType(inside, dtypes.Float32), -1))
	var scale, shift [3]float32
	for c := range 3 {
		// The same float32 constants as transforms.Pipeline.Normalize.
		scale[c] = 1 / (255 * std[c])
		shift[c] = -mean[c] / std[c]
	}
	return graph.Add(graph.Mul(pix, graph.Const(g, [][][][]float32{{{scale[:]}}})), graph.Const(g, [][][][]float32{{{shift[:]}}}))
}
