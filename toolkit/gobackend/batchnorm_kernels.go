package gobackend

import (
	"math"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Fused batch-norm kernels. The operand is viewed as [outer, C, inner] around the feature axis
// (inner == 1 for channels-last). Statistics accumulate in float64.

// bnView is the [outer, C, inner] view of an operand around its feature axis.
type bnView struct{ outer, c, inner int }

func newBNView(s shapes.Shape, featureAxis int) bnView {
	v := bnView{outer: 1, c: s.Dimensions[featureAxis], inner: 1}
	for a, d := range s.Dimensions {
		switch {
		case a < featureAxis:
			v.outer *= d
		case a > featureAxis:
			v.inner *= d
		}
	}
	return v
}

func (v bnView) count() float64 { return float64(v.outer * v.inner) }

// channelSums returns per-channel sums over the view of x - shift[c] (first) and of
// (x - shift[c]) * w (second, only if w is not nil; w has x's layout), in parallel over outer, with
// float64 accumulation. Explicit loops (no per-element callbacks): this is on every BN layer's path.
func channelSums[T float32 | float64](v bnView, x, w []T, shift []float64, squareFirst bool) (first, second []float64) {
	first, second = make([]float64, v.c), make([]float64, v.c)
	var mu sync.Mutex
	parallelRange(v.outer, func(start, end int) {
		p1, p2 := make([]float64, v.c), make([]float64, v.c)
		if v.inner == 1 { // Channels-last: one row of C values per outer index.
			for o := start; o < end; o++ {
				xs := x[o*v.c : (o+1)*v.c]
				switch {
				case w != nil:
					ws := w[o*v.c : (o+1)*v.c]
					for c, xv := range xs {
						wv := float64(ws[c])
						p1[c] += wv
						p2[c] += wv * (float64(xv) - shift[c])
					}
				case squareFirst:
					for c, xv := range xs {
						d := float64(xv) - shift[c]
						p1[c] += d * d
					}
				default:
					for c, xv := range xs {
						p1[c] += float64(xv) - shift[c]
					}
				}
			}
			start = end // Skip the general loop below.
		}
		for o := start; o < end; o++ {
			for c := range v.c {
				base := (o*v.c + c) * v.inner
				xs := x[base : base+v.inner]
				m := shift[c]
				var a1, a2 float64
				switch {
				case w != nil:
					ws := w[base : base+v.inner]
					for i, xv := range xs {
						a1 += float64(ws[i])
						a2 += float64(ws[i]) * (float64(xv) - m)
					}
				case squareFirst:
					for _, xv := range xs {
						d := float64(xv) - m
						a1 += d * d
					}
				default:
					for _, xv := range xs {
						a1 += float64(xv) - m
					}
				}
				p1[c] += a1
				p2[c] += a2
			}
		}
		mu.Lock()
		for c := range p1 {
			first[c] += p1[c]
			second[c] += p2[c]
		}
		mu.Unlock()
	})
	return first, second
}

// bnStats computes [2, C]: batch mean and biased variance (two passes).
func bnStats[T float32 | float64](out, x []T, v bnView) {
	n := v.count()
	mean, _ := channelSums(v, x, nil, make([]float64, v.c), false)
	for c := range mean {
		mean[c] /= n
	}
	sq, _ := channelSums(v, x, nil, mean, true)
	for c := range v.c {
		out[c] = T(mean[c])
		out[v.c+c] = T(sq[c] / n)
	}
}

// bnApply computes out = x*k[c] + b[c] elementwise, in parallel.
func bnApply[T float32 | float64](out, x []T, v bnView, k, b []T) {
	parallelRange(v.outer, func(start, end int) {
		for o := start; o < end; o++ {
			if v.inner == 1 {
				row := x[o*v.c : (o+1)*v.c]
				dst := out[o*v.c : (o+1)*v.c]
				for c, xv := range row {
					dst[c] = xv*k[c] + b[c]
				}
				continue
			}
			for c := range v.c {
				base := (o*v.c + c) * v.inner
				for i, xv := range x[base : base+v.inner] {
					out[base+i] = xv*k[c] + b[c]
				}
			}
		}
	})
}

// bnAffine returns k = scale/sqrt(var+eps) and b = offset - mean*k.
func bnAffine[T float32 | float64](scale, offset, mean, variance []T, eps float32) (k, b []T) {
	k, b = make([]T, len(scale)), make([]T, len(scale))
	for c := range scale {
		inv := 1 / math.Sqrt(float64(variance[c])+float64(eps))
		k[c] = T(float64(scale[c]) * inv)
		off := 0.0
		if offset != nil {
			off = float64(offset[c])
		}
		b[c] = T(off - float64(mean[c])*float64(scale[c])*inv)
	}
	return k, b
}

// bnGradient writes gradX and [2, C] (gradScale, gradOffset) for the normalized output's gradient g.
func bnGradient[T float32 | float64](gradX, sums, x, g, scale, mean, variance []T, v bnView, eps float32) {
	inv := make([]float64, v.c)
	for c := range inv {
		inv[c] = 1 / math.Sqrt(float64(variance[c])+float64(eps))
	}
	shift := make([]float64, v.c)
	for c := range shift {
		shift[c] = float64(mean[c])
	}
	// sumG = sum(g); sumGX = sum(g * xhat) = inv * sum(g * (x - mean)).
	sumG, sumGX := channelSums(v, x, g, shift, false)
	for c := range sumGX {
		sumGX[c] *= inv[c]
	}
	n := v.count()
	// gradX = k*(g - sumG/n - xhat*sumGX/n), with xhat = (x-mean)*inv, k = scale*inv:
	// gradX = k*g + (k*mean*inv*sumGX/n - k*sumG/n) - x*(k*inv*sumGX/n).
	kg, bias, kx := make([]T, v.c), make([]T, v.c), make([]T, v.c)
	for c := range v.c {
		k := float64(scale[c]) * inv[c]
		kg[c] = T(k)
		kx[c] = T(k * inv[c] * sumGX[c] / n)
		bias[c] = T(k*float64(mean[c])*inv[c]*sumGX[c]/n - k*sumG[c]/n)
		sums[c] = T(sumGX[c])
		sums[v.c+c] = T(sumG[c])
	}
	parallelRange(v.outer, func(start, end int) {
		for o := start; o < end; o++ {
			if v.inner == 1 {
				lo, hi := o*v.c, (o+1)*v.c
				gs, xs, dst := g[lo:hi], x[lo:hi], gradX[lo:hi]
				for c := range dst {
					dst[c] = kg[c]*gs[c] - kx[c]*xs[c] + bias[c]
				}
				continue
			}
			for c := range v.c {
				base := (o*v.c + c) * v.inner
				for i := base; i < base+v.inner; i++ {
					gradX[i] = kg[c]*g[i] - kx[c]*x[i] + bias[c]
				}
			}
		}
	})
}

// f32or64 runs the float32 or float64 instance of a kernel on the buffers' flat data.
func f32or64(backend *simplego.Backend, bufs []*simplego.Buffer, f32 func([][]float32), f64 func([][]float64)) {
	switch flatOf(backend, bufs[0]).(type) {
	case []float32:
		flats := make([][]float32, len(bufs))
		for i, b := range bufs {
			flats[i] = flatOf(backend, b).([]float32)
		}
		f32(flats)
	case []float64:
		flats := make([][]float64, len(bufs))
		for i, b := range bufs {
			flats[i] = flatOf(backend, b).([]float64)
		}
		f64(flats)
	}
}

// bnKernelNode adds a custom batch-norm node whose kernel fills out from inputs (both as flats).
func (b *Builder) bnKernelNode(op backends.OpType, out shapes.Shape,
	f32 func(out []float32, in [][]float32), f64 func(out []float64, in [][]float64), inputs ...backends.Op) (backends.Op, error) {
	ns, err := b.nodes(op.String(), inputs...)
	if err != nil {
		return nil, err
	}
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(out)
		all := append([]*simplego.Buffer{buf}, in...)
		f32or64(backend, all,
			func(f [][]float32) { f32(f[0], f[1:]) },
			func(f [][]float64) { f64(f[0], f[1:]) })
		return buf, nil
	}
	return customNode(b.Builder, op, out, kernel, ns...), nil
}

// splitRows returns rows 0 and 1 of a [2, C] op as [C] ops.
func (b *Builder) splitRows(two backends.Op) (backends.Op, backends.Op, error) {
	c := b.shape(two).Dimensions[1]
	var rows [2]backends.Op
	for r := range rows {
		s, err := b.Builder.Slice(two, []int{r, 0}, []int{r + 1, c}, []int{1, 1})
		if err != nil {
			return nil, nil, err
		}
		if rows[r], err = b.Builder.Reshape(s, c); err != nil {
			return nil, nil, err
		}
	}
	return rows[0], rows[1], nil
}
