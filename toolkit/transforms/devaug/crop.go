package devaug

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// cropResize is the host's imaging.Resize(imaging.Crop(img, box), S, S,
// imaging.Linear) of every sample, as a graph: it gathers each sample's
// L x L stored image and returns the S x S results as float64 pixel rows
// [B*S*S+1, 3] (integer values 0..255, a black pixel last).
//
// imaging resizes in two passes, horizontal then vertical, each rounding
// to uint8; each output pixel is a weighted mean of the source pixels
// within the filter's support, which grows with the downscale factor (the
// antialiasing that a 4-tap bilinear gather lacks). Here each pass is one
// batched matrix product with a dense [B, S, L] weight matrix built from
// the crop box by imaging's own formulas (precomputeWeights; zero outside
// the box), in float64 as imaging computes, with its rounding. What can
// differ is the order of the sums: a value the host computes within about
// 1e-13 of a rounding boundary can round the other way (1 level out of
// 255); the tests measure it.
func cropResize(store, params *graph.Node, size, load int) *graph.Node {
	g := store.Graph()
	batch := params.Shape().Dim(0)
	param := func(k int) *graph.Node {
		return graph.Reshape(graph.Slice(params, graph.AxisRange(), graph.AxisElem(k)), batch, 1, 1)
	}
	// Each sample's whole stored image, [B, L, L, 3].
	first := graph.Mul(graph.Reshape(param(ColIndex), batch, 1), graph.Scalar(g, dtypes.Int32, load*load))
	at := graph.Add(first, graph.Iota(g, shapes.Make(dtypes.Int32, 1, load*load), 1))
	img := graph.Gather(store, graph.Reshape(at, batch*load*load, 1))
	img = graph.ConvertDType(graph.Reshape(img, batch, load, load, 3), dtypes.Float64)

	wx, ax := resizeWeights(param(ColCropX), param(ColCropW), size, load)
	wy, ay := resizeWeights(param(ColCropY), param(ColCropH), size, load)
	// Horizontal pass over every stored row (rows outside the box get zero
	// weight in the vertical pass), then the vertical pass.
	tmp := roundPixel(graph.Mul(graph.Einsum("byjc,buj->byuc", img, wx), graph.Reshape(ax, batch, 1, size, 1)))
	out := roundPixel(graph.Mul(graph.Einsum("byuc,bvy->bvuc", tmp, wy), graph.Reshape(ay, batch, size, 1, 1)))
	return graph.Concatenate([]*graph.Node{
		graph.Reshape(out, batch*size*size, 3),
		graph.Zeros(g, shapes.Make(dtypes.Float64, 1, 3)),
	}, 0)
}

// resizeWeights is imaging's precomputeWeights(S, w, Linear) for the crop
// box [start, start+w) of a stored axis of length L, scattered into a
// dense [B, S, L] matrix, times 255 (imaging weighs by alpha, 255 for the
// opaque images the loader stores), and 1/sum of each row, [B, S].
// start and w are int32 [B, 1, 1].
func resizeWeights(start, w *graph.Node, size, load int) (weights, inverseSum *graph.Node) {
	g := start.Graph()
	f64 := func(v float64) *graph.Node { return graph.Scalar(g, dtypes.Float64, v) }
	// j: the stored index relative to the box, [B, 1, L]; v: the output index, [1, S, 1].
	j := graph.Sub(graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, load), 2), start)
	inBox := graph.LogicalAnd(graph.GreaterOrEqual(j, graph.ZerosLike(j)), graph.LessThan(j, graph.BroadcastToShape(w, j.Shape())))
	jf := graph.ConvertDType(j, dtypes.Float64)
	v := graph.ConvertDType(graph.Iota(g, shapes.Make(dtypes.Int32, 1, size, 1), 1), dtypes.Float64)
	// du := float64(srcSize) / float64(dstSize); scale := max(du, 1)
	du := graph.Div(graph.ConvertDType(w, dtypes.Float64), f64(float64(size)))
	scale := graph.Max(du, f64(1))
	// fu := (float64(v)+0.5)*du - 0.5
	fu := graph.Sub(graph.Mul(graph.Add(v, f64(0.5)), du), f64(0.5))
	// Linear kernel: 1 - |x| for |x| < 1, x = (u - fu) / scale.
	k := graph.Max(graph.Sub(f64(1), graph.Abs(graph.Div(graph.Sub(jf, fu), scale))), f64(0))
	k = graph.Where(graph.BroadcastToShape(inBox, k.Shape()), k, graph.ZerosLike(k))
	// weight /= sum; aw := 255 * weight; a += aw; aInv := 1 / a
	weights = graph.Mul(f64(255), graph.Div(k, graph.ReduceAndKeep(k, graph.ReduceSum, -1)))
	inverseSum = graph.Div(f64(1), graph.ReduceSum(weights, -1))
	return weights, inverseSum
}

// roundPixel is imaging's clamp: int64(x + 0.5) limited to [0, 255]
// (x >= 0 here, so truncation is floor).
func roundPixel(x *graph.Node) *graph.Node {
	return graph.MinScalar(graph.Floor(graph.Add(x, graph.Scalar(x.Graph(), dtypes.Float64, 0.5))), 255.0)
}
