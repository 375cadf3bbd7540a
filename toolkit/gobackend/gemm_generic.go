//go:build !(goexperiment.simd && amd64)

package gobackend

// gemmKernelName names the GEMM compiled in (reported in the backend description).
const gemmKernelName = "gonum Sgemm (build with GOEXPERIMENT=simd on amd64 for AVX2/AVX-512)"

// useSIMD reports whether the SIMD micro-kernels are compiled in and supported by the CPU.
const useSIMD = false

// gemmTileWidth and gemmTile exist so gemm.go compiles; gemm never calls them without useSIMD.
func gemmTileWidth(int) int { return 16 }

func gemmTile(int, bool) func(int, []float32, int, []float32, []float32, int, bool) {
	panic("gobackend: SIMD micro-kernel called in a portable build")
}
