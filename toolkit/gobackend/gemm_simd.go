//go:build goexperiment.simd && amd64

package gobackend

import (
	"os"
	"simd/archsimd"
)

// gemmKernelName names the micro-kernel compiled in (reported in the backend description).
var gemmKernelName = func() string {
	switch {
	case useAVX512:
		return "AVX-512"
	case useSIMD:
		return "AVX2/FMA"
	}
	return "gonum Sgemm (no AVX2/FMA on this CPU)"
}()

var (
	useSIMD   = archsimd.X86.AVX2() && archsimd.X86.FMA()
	useAVX512 = useSIMD && archsimd.X86.AVX512() && os.Getenv("GOFAST_NO_AVX512") == ""
)

// gemmTileWidth is the micro-tile width for a product with n columns: 32 (two AVX-512 vectors)
// where AVX-512 is in use and n > 16, else 16 (two AVX2 vectors). For n <= 16 a 32-wide tile would
// be half zero padding: as many instructions for half the work, and on CPUs that run a 512-bit FMA
// as two 256-bit halves (AMD Zen 4) twice the time.
func gemmTileWidth(n int) int {
	if useAVX512 && n > 16 {
		return 32
	}
	return 16
}

// gemmTile returns the micro-kernel of width nr, for a row-major A (stride lda) or, with trans, a
// transposed one: it computes the 4 x nr tile C[0:4, 0:nr] (+)= A[0:4, 0:kLen] · panel[0:kLen, 0:nr].
func gemmTile(nr int, trans bool) func(kLen int, a []float32, lda int, panel, c []float32, ldc int, accumulate bool) {
	switch {
	case nr == 32 && trans:
		return gemmMicro512T
	case nr == 32:
		return gemmMicro512N
	case trans:
		return gemmMicroT
	default:
		return gemmMicro
	}
}

func gemmMicro512N(kLen int, a []float32, lda int, panel, c []float32, ldc int, accumulate bool) {
	gemmMicro512(kLen, a, lda, panel, c, ldc, accumulate, false)
}

func gemmMicro512T(kLen int, a []float32, lda int, panel, c []float32, ldc int, accumulate bool) {
	gemmMicro512(kLen, a, lda, panel, c, ldc, accumulate, true)
}

// gemmMicro computes the 4x16 tile C[0:4, 0:16] (+)= A[0:4, 0:kLen] · panel[0:kLen, 0:16] (AVX2).
func gemmMicro(kLen int, a []float32, lda int, panel []float32, c []float32, ldc int, accumulate bool) {
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
	if accumulate {
		c00 = archsimd.LoadFloat32x8Slice(c[0:])
		c01 = archsimd.LoadFloat32x8Slice(c[8:])
		c10 = archsimd.LoadFloat32x8Slice(c[ldc:])
		c11 = archsimd.LoadFloat32x8Slice(c[ldc+8:])
		c20 = archsimd.LoadFloat32x8Slice(c[2*ldc:])
		c21 = archsimd.LoadFloat32x8Slice(c[2*ldc+8:])
		c30 = archsimd.LoadFloat32x8Slice(c[3*ldc:])
		c31 = archsimd.LoadFloat32x8Slice(c[3*ldc+8:])
	}
	a0 := a[:kLen]
	a1 := a[lda : lda+kLen]
	a2 := a[2*lda : 2*lda+kLen]
	a3 := a[3*lda : 3*lda+kLen]
	panel = panel[:kLen*16]
	for k := range kLen {
		bk := (*[16]float32)(panel[k*16:])
		b0 := archsimd.LoadFloat32x8((*[8]float32)(bk[0:8]))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(bk[8:16]))
		v := archsimd.BroadcastFloat32x8(a0[k])
		c00 = v.MulAdd(b0, c00)
		c01 = v.MulAdd(b1, c01)
		v = archsimd.BroadcastFloat32x8(a1[k])
		c10 = v.MulAdd(b0, c10)
		c11 = v.MulAdd(b1, c11)
		v = archsimd.BroadcastFloat32x8(a2[k])
		c20 = v.MulAdd(b0, c20)
		c21 = v.MulAdd(b1, c21)
		v = archsimd.BroadcastFloat32x8(a3[k])
		c30 = v.MulAdd(b0, c30)
		c31 = v.MulAdd(b1, c31)
	}
	c00.StoreSlice(c[0:])
	c01.StoreSlice(c[8:])
	c10.StoreSlice(c[ldc:])
	c11.StoreSlice(c[ldc+8:])
	c20.StoreSlice(c[2*ldc:])
	c21.StoreSlice(c[2*ldc+8:])
	c30.StoreSlice(c[3*ldc:])
	c31.StoreSlice(c[3*ldc+8:])
}

// gemmMicroT is gemmMicro for a transposed A (A[r][k] = a[k*lda + r]).
func gemmMicroT(kLen int, a []float32, lda int, panel []float32, c []float32, ldc int, accumulate bool) {
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
	if accumulate {
		c00 = archsimd.LoadFloat32x8Slice(c[0:])
		c01 = archsimd.LoadFloat32x8Slice(c[8:])
		c10 = archsimd.LoadFloat32x8Slice(c[ldc:])
		c11 = archsimd.LoadFloat32x8Slice(c[ldc+8:])
		c20 = archsimd.LoadFloat32x8Slice(c[2*ldc:])
		c21 = archsimd.LoadFloat32x8Slice(c[2*ldc+8:])
		c30 = archsimd.LoadFloat32x8Slice(c[3*ldc:])
		c31 = archsimd.LoadFloat32x8Slice(c[3*ldc+8:])
	}
	_ = a[(kLen-1)*lda+3]
	panel = panel[:kLen*16]
	for k := range kLen {
		bk := (*[16]float32)(panel[k*16:])
		b0 := archsimd.LoadFloat32x8((*[8]float32)(bk[0:8]))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(bk[8:16]))
		ak := (*[4]float32)(a[k*lda:])
		v := archsimd.BroadcastFloat32x8(ak[0])
		c00 = v.MulAdd(b0, c00)
		c01 = v.MulAdd(b1, c01)
		v = archsimd.BroadcastFloat32x8(ak[1])
		c10 = v.MulAdd(b0, c10)
		c11 = v.MulAdd(b1, c11)
		v = archsimd.BroadcastFloat32x8(ak[2])
		c20 = v.MulAdd(b0, c20)
		c21 = v.MulAdd(b1, c21)
		v = archsimd.BroadcastFloat32x8(ak[3])
		c30 = v.MulAdd(b0, c30)
		c31 = v.MulAdd(b1, c31)
	}
	c00.StoreSlice(c[0:])
	c01.StoreSlice(c[8:])
	c10.StoreSlice(c[ldc:])
	c11.StoreSlice(c[ldc+8:])
	c20.StoreSlice(c[2*ldc:])
	c21.StoreSlice(c[2*ldc+8:])
	c30.StoreSlice(c[3*ldc:])
	c31.StoreSlice(c[3*ldc+8:])
}

// gemmMicro512 computes the 4x32 tile C[0:4, 0:32] (+)= A[0:4, 0:kLen] · panel[0:kLen, 0:32] with
// AVX-512; A is row-major (stride lda) or, with trans, transposed.
func gemmMicro512(kLen int, a []float32, lda int, panel []float32, c []float32, ldc int, accumulate, trans bool) {
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
	if accumulate {
		c00 = archsimd.LoadFloat32x16Slice(c[0:])
		c01 = archsimd.LoadFloat32x16Slice(c[16:])
		c10 = archsimd.LoadFloat32x16Slice(c[ldc:])
		c11 = archsimd.LoadFloat32x16Slice(c[ldc+16:])
		c20 = archsimd.LoadFloat32x16Slice(c[2*ldc:])
		c21 = archsimd.LoadFloat32x16Slice(c[2*ldc+16:])
		c30 = archsimd.LoadFloat32x16Slice(c[3*ldc:])
		c31 = archsimd.LoadFloat32x16Slice(c[3*ldc+16:])
	}
	// Row r's A value at depth k is a[k*ks + r*rs].
	ks, rs := 1, lda
	if trans {
		ks, rs = lda, 1
	}
	_ = a[(kLen-1)*ks+3*rs]
	for k := range kLen {
		bk := (*[32]float32)(panel[k*32:])
		b0 := archsimd.LoadFloat32x16((*[16]float32)(bk[0:16]))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(bk[16:32]))
		base := k * ks
		v := archsimd.BroadcastFloat32x16(a[base])
		c00 = v.MulAdd(b0, c00)
		c01 = v.MulAdd(b1, c01)
		v = archsimd.BroadcastFloat32x16(a[base+rs])
		c10 = v.MulAdd(b0, c10)
		c11 = v.MulAdd(b1, c11)
		v = archsimd.BroadcastFloat32x16(a[base+2*rs])
		c20 = v.MulAdd(b0, c20)
		c21 = v.MulAdd(b1, c21)
		v = archsimd.BroadcastFloat32x16(a[base+3*rs])
		c30 = v.MulAdd(b0, c30)
		c31 = v.MulAdd(b1, c31)
	}
	c00.StoreSlice(c[0:])
	c01.StoreSlice(c[16:])
	c10.StoreSlice(c[ldc:])
	c11.StoreSlice(c[ldc+16:])
	c20.StoreSlice(c[2*ldc:])
	c21.StoreSlice(c[2*ldc+16:])
	c30.StoreSlice(c[3*ldc:])
	c31.StoreSlice(c[3*ldc+16:])
}
