package xlafix

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// Wrap returns b with the half-precision workarounds (see the package
// documentation). Wrapping twice is harmless; nil stays nil.
func Wrap(b backends.Backend) backends.Backend {
	if b == nil {
		return nil
	}
	if _, ok := b.(*backend); ok {
		return b
	}
	return &backend{Backend: b}
}

// Unwrap returns the backend Wrap was given (b itself if not wrapped).
func Unwrap(b backends.Backend) backends.Backend {
	if w, ok := b.(*backend); ok {
		return w.Backend
	}
	return b
}

type backend struct{ backends.Backend }

// Unwrap returns the wrapped backend (for callers that look through
// wrappers generically).
func (b *backend) Unwrap() backends.Backend { return b.Backend }

// Builder wraps the inner backend's builder.
func (b *backend) Builder(name string) backends.Builder {
	inner := b.Backend.Builder(name)
	if inner == nil {
		return nil
	}
	return &builder{Builder: inner}
}

type builder struct{ backends.Builder }

// Unwrap returns the wrapped builder.
func (b *builder) Unwrap() backends.Builder { return b.Builder }

func isHalf(d dtypes.DType) bool { return d == dtypes.BFloat16 || d == dtypes.Float16 }

// viaFloat32 runs fn on float32 copies of ops when the first is half
// precision, converting the result back; otherwise fn on ops.
func (b *builder) viaFloat32(fn func(ops ...backends.Op) (backends.Op, error), convertBack bool, ops ...backends.Op) (backends.Op, error) {
	s, err := b.OpShape(ops[0])
	if err != nil || !isHalf(s.DType) {
		return fn(ops...)
	}
	wide := make([]backends.Op, len(ops))
	for i, op := range ops {
		if wide[i], err = b.ConvertDType(op, dtypes.Float32); err != nil {
			return nil, err
		}
	}
	out, err := fn(wide...)
	if err != nil || !convertBack {
		return out, err
	}
	return b.ConvertDType(out, s.DType)
}

// SelectAndScatterMax implements backends.Builder (the max-pool gradient).
func (b *builder) SelectAndScatterMax(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.viaFloat32(func(ops ...backends.Op) (backends.Op, error) {
		return b.Builder.SelectAndScatterMax(ops[0], ops[1], windowDimensions, windowStrides, paddings)
	}, true, operand, source)
}

// SelectAndScatterMin implements backends.Builder.
func (b *builder) SelectAndScatterMin(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.viaFloat32(func(ops ...backends.Op) (backends.Op, error) {
		return b.Builder.SelectAndScatterMin(ops[0], ops[1], windowDimensions, windowStrides, paddings)
	}, true, operand, source)
}

// ArgMinMax implements backends.Builder; its output is an index, so the
// result is not converted back.
func (b *builder) ArgMinMax(x backends.Op, axis int, outputDType dtypes.DType, isMin bool) (backends.Op, error) {
	return b.viaFloat32(func(ops ...backends.Op) (backends.Op, error) {
		return b.Builder.ArgMinMax(ops[0], axis, outputDType, isMin)
	}, false, x)
}
