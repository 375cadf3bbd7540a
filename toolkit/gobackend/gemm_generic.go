//go:build !(goexperiment.simd && amd64)

package gobackend

// gemmKernelName names the GEMM compiled in (reported in the backend description).
const gemmKernelName = "gonum Sgemm (build with GOEXPERIMENT=simd on amd64 for AVX2/AVX-512)"

// useSIMD reports whether the SIMD micro-kernels are compiled in and supported by the CPU.
const useSIMD = false

// gemmMicro and gemmMicroT exist so gemm.go compiles; gemm never calls them without useSIMD.
func gemmMicro(int, []float32, int, []float32, []float32, int, bool) {
	panic("gobackend: SIMD micro-kernel called in a portable build")
}

func gemmMicroT(int, []float32, int, []float32, []float32, int, bool) {
	panic("gobackend: SIMD micro-kernel called in a portable build")
}
