package gobackend

import (
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Parallel float32 kernels for the large elementwise ops of a training step (optimizer updates over
// all parameters, activation gradients). SimpleGo runs these on one core; small or broadcasting
// cases still go to SimpleGo.

// minParallelElements is the size from which an elementwise op is worth splitting across cores.
const minParallelElements = 1 << 16

// binary emits op(lhs, rhs) as a parallel kernel when both are float32 of the same large shape or one
// is a scalar; otherwise it calls fallback (SimpleGo).
func (b *Builder) binary(op backends.OpType, lhs, rhs backends.Op,
	fallback func(lhs, rhs backends.Op) (backends.Op, error)) (backends.Op, error) {
	if dtype, ok := b.halfOps(lhs, rhs); ok {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) {
			return b.binary(op, ops[0], ops[1], fallback)
		}, lhs, rhs)
	}
	ls, rs := b.shape(lhs), b.shape(rhs)
	out := ls
	switch {
	case ls.DType != dtypes.Float32 || rs.DType != dtypes.Float32:
		return fallback(lhs, rhs)
	case ls.Equal(rs):
	case rs.IsScalar() || isLastAxisOf(rs, ls):
	case ls.IsScalar() || isLastAxisOf(ls, rs):
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
		if len(x) > 1 && len(x) < len(dst) || len(y) > 1 && len(y) < len(dst) {
			// One operand is a per-channel vector (last axis), broadcast over the rows.
			c := min(len(x), len(y))
			parallelRange(len(dst)/c, func(start, end int) {
				for r := start; r < end; r++ {
					xs, ys := x, y
					if len(x) > c {
						xs = x[r*c : (r+1)*c]
					}
					if len(y) > c {
						ys = y[r*c : (r+1)*c]
					}
					binaryLoop(op, dst[r*c:(r+1)*c], xs, ys)
				}
			})
			return buf, nil
		}
		parallelRange(len(dst), func(start, end int) {
			xs, ys := x, y
			if len(x) > 1 {
				xs = x[start:end]
			}
			if len(y) > 1 {
				ys = y[start:end]
			}
			binaryLoop(op, dst[start:end], xs, ys)
		})
		return buf, nil
	}
	return customNode(b.Builder, op, out, kernel, ns...), nil
}

// isLastAxisOf reports whether small broadcasts to big along big's last axis only: same rank, all
// dimensions 1 except the last, which matches big's (a per-channel vector, with more than one channel).
func isLastAxisOf(small, big shapes.Shape) bool {
	r := big.Rank()
	if small.Rank() != r || r == 0 || big.Dimensions[r-1] < 2 || small.Dimensions[r-1] != big.Dimensions[r-1] {
		return false
	}
	for a := range r - 1 {
		if small.Dimensions[a] != 1 {
			return false
		}
	}
	return true
}

// binaryLoop computes dst = op(x, y), where x or y may have length 1 (a scalar): with SIMD where
// the build and CPU have it (elementwise_simd.go), else binaryScalar.
func binaryLoop(op backends.OpType, dst, x, y []float32) {
	if !binarySIMD(op, dst, x, y) {
		binaryScalar(op, dst, x, y)
	}
}

// binaryScalar is binaryLoop in scalar Go. One loop per case so the arithmetic is inlined.
func binaryScalar(op backends.OpType, dst, x, y []float32) {
	switch {
	case len(x) == 1:
		xv := x[0]
		y = y[:len(dst)]
		switch op {
		case backends.OpTypeAdd:
			for i, v := range y {
				dst[i] = xv + v
			}
		case backends.OpTypeSub:
			for i, v := range y {
				dst[i] = xv - v
			}
		case backends.OpTypeMul:
			for i, v := range y {
				dst[i] = xv * v
			}
		case backends.OpTypeDiv:
			for i, v := range y {
				dst[i] = xv / v
			}
		case backends.OpTypeMax:
			for i, v := range y {
				dst[i] = max(xv, v)
			}
		}
	case len(y) == 1:
		yv := y[0]
		x = x[:len(dst)]
		switch op {
		case backends.OpTypeAdd:
			for i, v := range x {
				dst[i] = v + yv
			}
		case backends.OpTypeSub:
			for i, v := range x {
				dst[i] = v - yv
			}
		case backends.OpTypeMul:
			for i, v := range x {
				dst[i] = v * yv
			}
		case backends.OpTypeDiv:
			for i, v := range x {
				dst[i] = v / yv
			}
		case backends.OpTypeMax:
			for i, v := range x {
				dst[i] = max(v, yv)
			}
		}
	default:
		x, y = x[:len(dst)], y[:len(dst)]
		switch op {
		case backends.OpTypeAdd:
			for i, v := range x {
				dst[i] = v + y[i]
			}
		case backends.OpTypeSub:
			for i, v := range x {
				dst[i] = v - y[i]
			}
		case backends.OpTypeMul:
			for i, v := range x {
				dst[i] = v * y[i]
			}
		case backends.OpTypeDiv:
			for i, v := range x {
				dst[i] = v / y[i]
			}
		case backends.OpTypeMax:
			for i, v := range x {
				dst[i] = max(v, y[i])
			}
		}
	}
}

// Add implements backends.Builder.
func (b *Builder) Add(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeAdd, lhs, rhs, b.Builder.Add)
}

// Sub implements backends.Builder.
func (b *Builder) Sub(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeSub, lhs, rhs, b.Builder.Sub)
}

// Mul implements backends.Builder.
func (b *Builder) Mul(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeMul, lhs, rhs, b.Builder.Mul)
}

// Div implements backends.Builder.
func (b *Builder) Div(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeDiv, lhs, rhs, b.Builder.Div)
}

// Max implements backends.Builder.
func (b *Builder) Max(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeMax, lhs, rhs, b.Builder.Max)
}

// unary emits op(x) as a parallel kernel for large float32 operands; otherwise it calls fallback.
func (b *Builder) unary(op backends.OpType, x backends.Op, fallback func(backends.Op) (backends.Op, error)) (backends.Op, error) {
	if dtype, ok := b.halfOps(x); ok && op == backends.OpTypeSqrt {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) { return b.unary(op, ops[0], fallback) }, x)
	}
	s := b.shape(x)
	if s.DType != dtypes.Float32 || s.Size() < minParallelElements {
		return fallback(x)
	}
	ns, err := b.nodes(op.String(), x)
	if err != nil {
		return nil, err
	}
	s = s.Clone()
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(s)
		dst := flatOf(backend, buf).([]float32)
		src := flatOf(backend, in[0]).([]float32)
		parallelRange(len(dst), func(start, end int) {
			unaryLoop(op, dst[start:end], src[start:end])
		})
		return buf, nil
	}
	return customNode(b.Builder, op, s, kernel, ns...), nil
}

// unaryLoop computes dst = op(x) for the parallel unary ops (Sign, Sqrt): with SIMD where the build
// and CPU have it, else unaryScalar.
func unaryLoop(op backends.OpType, dst, x []float32) {
	switch {
	case op == backends.OpTypeSqrt && sqrtSIMD(dst, x):
	case op == backends.OpTypeSign && signSIMD(dst, x):
	default:
		unaryScalar(op, dst, x)
	}
}

// unaryScalar computes dst = op(x) for the parallel unary ops (Sign, Sqrt) in scalar Go.
func unaryScalar(op backends.OpType, dst, x []float32) {
	x = x[:len(dst)]
	switch op {
	case backends.OpTypeSign:
		// Branch-free (ReLU gradients are ~half zeros, so branches mispredict; 4x faster):
		// ±1 carrying v's sign bit, masked to 0 for zeros and NaN, as in SimpleGo.
		for i, v := range x {
			one := math.Float32bits(v)&0x80000000 | 0x3f800000
			mask := -(b2u(v > 0) | b2u(v < 0))
			dst[i] = math.Float32frombits(one & mask)
		}
	case backends.OpTypeSqrt:
		for i, v := range x {
			dst[i] = float32(math.Sqrt(float64(v)))
		}
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// Sign implements backends.Builder.
func (b *Builder) Sign(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeSign, x, b.Builder.Sign)
}

// Sqrt implements backends.Builder.
func (b *Builder) Sqrt(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeSqrt, x, b.Builder.Sqrt)
}
