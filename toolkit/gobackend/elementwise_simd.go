//go:build goexperiment.simd && amd64

package gobackend

import (
	"simd/archsimd"

	"github.com/gomlx/gomlx/backends"
)

// SIMD forms of the parallel elementwise loops (AVX-512, else AVX2): IEEE
// addition, subtraction, multiplication, division and square root are
// correctly rounded in the vector instructions as in Go's scalar
// arithmetic (float32(math.Sqrt(float64(v))) rounds twice, which for a
// square root gives the correctly rounded float32), so the results are
// bit for bit the scalar loops'. The vector max differs from Go's max on
// NaNs and on two zeros of either sign: a block of values with any of
// those runs the scalar loop. Sign is the scalar loop's bit arithmetic
// on vectors.

// binarySIMD computes dst = op(x, y) as binaryLoop, x or y possibly of
// length 1, and reports whether it did (false: an op or CPU it leaves to
// the scalar loop).
func binarySIMD(op backends.OpType, dst, x, y []float32) bool {
	switch op {
	case backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul, backends.OpTypeDiv, backends.OpTypeMax:
	default:
		return false
	}
	var done int
	switch {
	case useAVX512:
		done = binary16(op, dst, x, y)
	case useSIMD:
		done = binary8(op, dst, x, y)
	default:
		return false
	}
	if done < len(dst) {
		binaryScalar(op, dst[done:], block(x, done, len(dst)), block(y, done, len(dst)))
	}
	return true
}

// binary16 computes the first len(dst) rounded down to 16 values of
// op(x, y) with AVX-512 and returns how many.
func binary16(op backends.OpType, dst, x, y []float32) int {
	n := len(dst) &^ 15
	xs, ys := len(x) == 1, len(y) == 1
	var xv, yv archsimd.Float32x16
	if xs {
		xv = archsimd.BroadcastFloat32x16(x[0])
	}
	if ys {
		yv = archsimd.BroadcastFloat32x16(y[0])
	}
	for i := 0; i < n; i += 16 {
		a, b := xv, yv
		if !xs {
			a = archsimd.LoadFloat32x16Slice(x[i : i+16])
		}
		if !ys {
			b = archsimd.LoadFloat32x16Slice(y[i : i+16])
		}
		switch op {
		case backends.OpTypeAdd:
			a = a.Add(b)
		case backends.OpTypeSub:
			a = a.Sub(b)
		case backends.OpTypeMul:
			a = a.Mul(b)
		case backends.OpTypeDiv:
			a = a.Div(b)
		default:
			zero := archsimd.BroadcastFloat32x16(0)
			if a.Equal(a).And(b.Equal(b)).ToBits() != 0xffff || a.Equal(zero).And(b.Equal(zero)).ToBits() != 0 {
				binaryScalar(op, dst[i:i+16], block(x, i, i+16), block(y, i, i+16))
				continue
			}
			a = a.Max(b)
		}
		a.StoreSlice(dst[i : i+16])
	}
	return n
}

// binary8 is binary16 with AVX2 (8 values at a time). Two copies on purpose: in a generic
// function the vector methods would be called through a dictionary instead of compiling to the
// instructions.
func binary8(op backends.OpType, dst, x, y []float32) int {
	n := len(dst) &^ 7
	xs, ys := len(x) == 1, len(y) == 1
	var xv, yv archsimd.Float32x8
	if xs {
		xv = archsimd.BroadcastFloat32x8(x[0])
	}
	if ys {
		yv = archsimd.BroadcastFloat32x8(y[0])
	}
	for i := 0; i < n; i += 8 {
		a, b := xv, yv
		if !xs {
			a = archsimd.LoadFloat32x8Slice(x[i : i+8])
		}
		if !ys {
			b = archsimd.LoadFloat32x8Slice(y[i : i+8])
		}
		switch op {
		case backends.OpTypeAdd:
			a = a.Add(b)
		case backends.OpTypeSub:
			a = a.Sub(b)
		case backends.OpTypeMul:
			a = a.Mul(b)
		case backends.OpTypeDiv:
			a = a.Div(b)
		default:
			zero := archsimd.BroadcastFloat32x8(0)
			if a.Equal(a).And(b.Equal(b)).ToBits() != 0xff || a.Equal(zero).And(b.Equal(zero)).ToBits() != 0 {
				binaryScalar(op, dst[i:i+8], block(x, i, i+8), block(y, i, i+8))
				continue
			}
			a = a.Max(b)
		}
		a.StoreSlice(dst[i : i+8])
	}
	return n
}

// block is x[from:to], or x itself when it is a scalar.
func block(x []float32, from, to int) []float32 {
	if len(x) == 1 {
		return x
	}
	return x[from:to]
}

// signSIMD computes dst = sign(x) as unaryScalar (±1 with x's sign bit, 0
// for zeros and NaN) and reports whether it did.
func signSIMD(dst, x []float32) bool {
	var n int
	switch {
	case useAVX512:
		n = len(dst) &^ 15
		zero := archsimd.BroadcastFloat32x16(0)
		signBit, one := archsimd.BroadcastUint32x16(0x80000000), archsimd.BroadcastUint32x16(0x3f800000)
		for i := 0; i < n; i += 16 {
			v := archsimd.LoadFloat32x16Slice(x[i : i+16])
			nonzero := v.Greater(zero).Or(v.Less(zero))
			v.AsUint32x16().And(signBit).Or(one).Masked(nonzero).AsFloat32x16().StoreSlice(dst[i : i+16])
		}
	case useSIMD:
		n = len(dst) &^ 7
		zero := archsimd.BroadcastFloat32x8(0)
		signBit, one := archsimd.BroadcastUint32x8(0x80000000), archsimd.BroadcastUint32x8(0x3f800000)
		for i := 0; i < n; i += 8 {
			v := archsimd.LoadFloat32x8Slice(x[i : i+8])
			nonzero := v.Greater(zero).Or(v.Less(zero))
			v.AsUint32x8().And(signBit).Or(one).Masked(nonzero).AsFloat32x8().StoreSlice(dst[i : i+8])
		}
	default:
		return false
	}
	unaryScalar(backends.OpTypeSign, dst[n:], x[n:])
	return true
}

// sqrtSIMD computes dst = sqrt(x) and reports whether it did.
func sqrtSIMD(dst, x []float32) bool {
	var n int
	switch {
	case useAVX512:
		n = len(dst) &^ 15
		for i := 0; i < n; i += 16 {
			archsimd.LoadFloat32x16Slice(x[i : i+16]).Sqrt().StoreSlice(dst[i : i+16])
		}
	case useSIMD:
		n = len(dst) &^ 7
		for i := 0; i < n; i += 8 {
			archsimd.LoadFloat32x8Slice(x[i : i+8]).Sqrt().StoreSlice(dst[i : i+8])
		}
	default:
		return false
	}
	unaryScalar(backends.OpTypeSqrt, dst[n:], x[n:])
	return true
}
