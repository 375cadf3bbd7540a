package gobackend

import (
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
)

// Half-precision (bfloat16, float16) convolutions, matrix products, pools
// and pool gradients run as float32 kernels between conversions: inputs are
// widened (exactly), the kernel accumulates in float32, and the result is
// rounded once to the input dtype. That is what GPUs do for bf16
// convolutions and matrix products (products of bf16 values are exact in
// float32, tensor cores accumulate in float32), so a mixed-precision graph
// computes on this CPU backend what it computes on an accelerator, up to
// summation order; it also puts half precision on the fast float32 kernels
// (SimpleGo's own bf16 convolution is the naive loop). The "emulate" option
// keeps SimpleGo's paths.

func isHalf(dtype dtypes.DType) bool { return dtype == dtypes.BFloat16 || dtype == dtypes.Float16 }

// halfOps reports whether ops are all of one half-precision dtype (and
// which), so that the op may run widened.
func (b *Builder) halfOps(ops ...backends.Op) (dtypes.DType, bool) {
	if b.backend.emulate || len(ops) == 0 {
		return dtypes.InvalidDType, false
	}
	dtype := b.shape(ops[0]).DType
	if !isHalf(dtype) {
		return dtype, false
	}
	for _, op := range ops[1:] {
		if b.shape(op).DType != dtype {
			return dtype, false
		}
	}
	return dtype, true
}

// widened runs fn on float32 copies of ops and converts its result back to
// dtype.
func (b *Builder) widened(dtype dtypes.DType, fn func(ops ...backends.Op) (backends.Op, error), ops ...backends.Op) (backends.Op, error) {
	wide := make([]backends.Op, len(ops))
	for i, op := range ops {
		w, err := b.ConvertDType(op, dtypes.Float32)
		if err != nil {
			return nil, err
		}
		wide[i] = w
	}
	out, err := fn(wide...)
	if err != nil {
		return nil, err
	}
	return b.ConvertDType(out, dtype)
}

// roundToBFloat16 is float32 -> bfloat16 with round-to-nearest-even, as XLA,
// PyTorch and the hardware convert (GoMLX's bfloat16.FromFloat32 truncates
// toward zero, which biases every bf16 result down: a bf16 ResNet-18 on
// SimpleGo gave logits about 14% smaller than float32's). NaN stays a quiet
// NaN.
func roundToBFloat16(f float32) uint16 {
	bits := math.Float32bits(f)
	if bits&0x7fffffff > 0x7f800000 { // NaN
		return uint16(bits>>16) | 0x40
	}
	return uint16((bits + 0x7fff + (bits>>16)&1) >> 16)
}

// ConvertDType implements backends.Builder: float32 -> bfloat16 rounds to
// nearest even (see roundToBFloat16); other conversions are SimpleGo's.
func (b *Builder) ConvertDType(x backends.Op, dtype dtypes.DType) (backends.Op, error) {
	s := b.shape(x)
	if b.backend.emulate || dtype != dtypes.BFloat16 || s.DType != dtypes.Float32 {
		return b.Builder.ConvertDType(x, dtype)
	}
	ns, err := b.nodes("ConvertDType", x)
	if err != nil {
		return nil, err
	}
	out := s.Clone()
	out.DType = dtypes.BFloat16
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(out)
		dst := flatOf(backend, buf).([]bfloat16.BFloat16)
		src := flatOf(backend, in[0]).([]float32)
		parallelRange(len(dst), func(start, end int) {
			for i := start; i < end; i++ {
				dst[i] = bfloat16.BFloat16(roundToBFloat16(src[i]))
			}
		})
		return buf, nil
	}
	return customNode(b.Builder, backends.OpTypeConvertDType, out, kernel, ns...), nil
}

// Half-precision unary ops that round: computed in float32, rounded once.

func (b *Builder) halfUnary(x backends.Op, fn func(backends.Op) (backends.Op, error)) (backends.Op, error) {
	if dtype, ok := b.halfOps(x); ok {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) { return fn(ops[0]) }, x)
	}
	return fn(x)
}

// Exp implements backends.Builder (half precision widened).
func (b *Builder) Exp(x backends.Op) (backends.Op, error) { return b.halfUnary(x, b.Builder.Exp) }

// Log implements backends.Builder (half precision widened).
func (b *Builder) Log(x backends.Op) (backends.Op, error) { return b.halfUnary(x, b.Builder.Log) }

// Log1p implements backends.Builder (half precision widened).
func (b *Builder) Log1p(x backends.Op) (backends.Op, error) { return b.halfUnary(x, b.Builder.Log1p) }

// Expm1 implements backends.Builder (half precision widened).
func (b *Builder) Expm1(x backends.Op) (backends.Op, error) { return b.halfUnary(x, b.Builder.Expm1) }

// Logistic implements backends.Builder (half precision widened).
func (b *Builder) Logistic(x backends.Op) (backends.Op, error) {
	return b.halfUnary(x, b.Builder.Logistic)
}

// Tanh implements backends.Builder (half precision widened).
func (b *Builder) Tanh(x backends.Op) (backends.Op, error) { return b.halfUnary(x, b.Builder.Tanh) }

// Rsqrt implements backends.Builder (half precision widened).
func (b *Builder) Rsqrt(x backends.Op) (backends.Op, error) { return b.halfUnary(x, b.Builder.Rsqrt) }

// Erf implements backends.Builder (half precision widened).
func (b *Builder) Erf(x backends.Op) (backends.Op, error) { return b.halfUnary(x, b.Builder.Erf) }

// Pow implements backends.Builder (half precision widened).
func (b *Builder) Pow(lhs, rhs backends.Op) (backends.Op, error) {
	if dtype, ok := b.halfOps(lhs, rhs); ok {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) { return b.Builder.Pow(ops[0], ops[1]) }, lhs, rhs)
	}
	return b.Builder.Pow(lhs, rhs)
}

// ReduceSum implements backends.Builder: half precision is summed in
// float32 and rounded once.
func (b *Builder) ReduceSum(x backends.Op, axes ...int) (backends.Op, error) {
	return b.halfUnary(x, func(x backends.Op) (backends.Op, error) { return b.Builder.ReduceSum(x, axes...) })
}
