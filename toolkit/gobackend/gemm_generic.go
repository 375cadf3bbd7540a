//go:build !(goexperiment.simd && amd64)

package gobackend

// gemmKernelName names the micro-kernel compiled in (reported in the backend description).
const gemmKernelName = "portable Go (build with GOEXPERIMENT=simd on amd64 for AVX2)"

// gemmMicro computes the 4x16 tile C[0:4, 0:16] (+)= A[0:4, 0:kLen] · panel[0:kLen, 0:16].
func gemmMicro(kLen int, a []float32, lda int, panel []float32, c []float32, ldc int, accumulate bool) {
	gemmMicroGeneric(kLen, a, lda, panel, c, ldc, accumulate)
}

// useSIMD reports whether the SIMD micro-kernel is compiled in and supported by the CPU.
const useSIMD = false

func gemmMicroT(kLen int, a []float32, lda int, panel []float32, c []float32, ldc int, accumulate bool) {
	gemmMicroTGeneric(kLen, a, lda, panel, c, ldc, accumulate)
}
