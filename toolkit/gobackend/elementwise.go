package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// Parallel float32 kernels for the large elementwise ops of a training step (optimizer updates over
// all parameters, activation gradients). SimpleGo runs these on one core; small or broadcasting
// cases still go to SimpleGo.

// minParallelElements is the size from which an elementwise op is worth splitting across cores.
const minParallelElements = 1 << 16

type binaryFn func(dst, a, b []float32)

// binary emits op(lhs, rhs) as a parallel kernel when both are float32 of the same large shape or one
// is a scalar; otherwise it calls fallback (SimpleGo).
func (b *Builder) binary(op backends.OpType, lhs, rhs backends.Op, fn func(x, y float32) float32,
	fallback func(lhs, rhs backends.Op) (backends.Op, error)) (backends.Op, error) {
	ls, rs := b.shape(lhs), b.shape(rhs)
	out := ls
	switch {
	case ls.DType != dtypes.Float32 || rs.DType != dtypes.Float32:
		return fallback(lhs, rhs)
	case ls.Equal(rs):
	case rs.IsScalar():
	case ls.IsScalar():
		out = rs
	default:
		return fallback(lhs, rhs)
	}
	if out.Size() < minParallelElements {
		return fallback(lhs, rhs)
	}
	ns, err := b.nodes(op.String(), lhs, rhs)
	if err != nil {
		return nil, err
	}
	out = out.Clone()
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(out)
		dst := flatOf(backend, buf).([]float32)
		x, y := flatOf(backend, in[0]).([]float32), flatOf(backend, in[1]).([]float32)
		parallelRange(len(dst), func(start, end int) {
			d := dst[start:end]
			switch {
			case len(x) == 1:
				xv, ys := x[0], y[start:end]
				for i := range d {
					d[i] = fn(xv, ys[i])
				}
			case len(y) == 1:
				yv, xs := y[0], x[start:end]
				for i := range d {
					d[i] = fn(xs[i], yv)
				}
			default:
				xs, ys := x[start:end], y[start:end]
				for i := range d {
					d[i] = fn(xs[i], ys[i])
				}
			}
		})
		return buf, nil
	}
	return customNode(b.Builder, op, out, kernel, ns...), nil
}

// Add implements backends.Builder.
func (b *Builder) Add(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeAdd, lhs, rhs, func(x, y float32) float32 { return x + y }, b.Builder.Add)
}

// Sub implements backends.Builder.
func (b *Builder) Sub(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeSub, lhs, rhs, func(x, y float32) float32 { return x - y }, b.Builder.Sub)
}

// Mul implements backends.Builder.
func (b *Builder) Mul(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeMul, lhs, rhs, func(x, y float32) float32 { return x * y }, b.Builder.Mul)
}

// Div implements backends.Builder.
func (b *Builder) Div(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeDiv, lhs, rhs, func(x, y float32) float32 { return x / y }, b.Builder.Div)
}

// Max implements backends.Builder.
func (b *Builder) Max(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeMax, lhs, rhs, func(x, y float32) float32 { return max(x, y) }, b.Builder.Max)
}

