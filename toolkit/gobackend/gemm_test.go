package gobackend

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGEMM checks gemm (whichever micro-kernel is compiled in) against a naive product, on shapes
// with edge tiles and several K blocks, with B read through an offset table (transposed layout).
func TestGEMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {4, 16, 8}, {7, 19, 5}, {33, 70, 600}, {130, 64, 27}, {5, 16, 300}, {3, 33, 257}, {6, 9, 1}} {
		m, n, k := sz[0], sz[1], sz[2]
		a := make([]float32, m*k)
		b := make([]float32, n*k) // Stored as [n, k]: B[k][n] = b[n*k + k].
		for i := range a {
			a[i] = rng.Float32()*2 - 1
		}
		for i := range b {
			b[i] = rng.Float32()*2 - 1
		}
		bOff := make([]int, k)
		for i := range bOff {
			bOff[i] = i
		}
		aT := make([]float32, m*k) // A transposed: [k, m].
		for i := range m {
			for l := range k {
				aT[l*m+i] = a[i*k+l]
			}
		}
		for _, trans := range []bool{false, true} {
			c := make([]float32, m*n)
			args := &gemmArgs{m: m, n: n, k: k, a: a, lda: k, b: b, bOff: bOff, bNStride: k, c: c, ldc: n}
			if trans {
				args.a, args.lda, args.aTrans = aT, m, true
			}
			gemm(args)
			for i := range m {
				for j := range n {
					var want float64
					for l := range k {
						want += float64(a[i*k+l]) * float64(b[j*k+l])
					}
					if d := math.Abs(float64(c[i*n+j]) - want); d > 1e-4*(1+math.Abs(want)) {
						t.Fatalf("%v trans=%v: C[%d,%d] = %g, want %g (kernel %s)", sz, trans, i, j, c[i*n+j], want, gemmKernelName)
					}
				}
			}
		}
	}
}

// benchGEMM times fn on a random [m x k]·[k x n] product (B row-major) and reports GFLOP/s.
func benchGEMM(b *testing.B, m, n, k int, fn func(*gemmArgs)) {
	a, bm, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	bOff := make([]int, k)
	for i := range bOff {
		bOff[i] = i * n
	}
	fillRandom(a, bm)
	args := &gemmArgs{m: m, n: n, k: k, a: a, lda: k, b: bm, bOff: bOff, bNStride: 1, c: c, ldc: n}
	for b.Loop() {
		fn(args)
	}
	b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGEMM measures the conv-shaped product [8192 x 576] · [576 x 64] (ResNet18 stage-1 3x3
// conv at 64x64 input, batch 32).
func BenchmarkGEMM(b *testing.B) { benchGEMM(b, 8192, 64, 576, gemm) }

// BenchmarkGEMMGonum is BenchmarkGEMM on gonum's Sgemm (the portable builds' GEMM).
func BenchmarkGEMMGonum(b *testing.B) { benchGEMM(b, 8192, 64, 576, gemmGonum) }

// BenchmarkGEMMSmallCNN measures the products of the small CNN's training step (batch 32, 28x28,
// widths 16-32-64) whose sizes are not multiples of the micro-tile: few output channels (n = 16) or
// a ragged last panel (n = 9*16 = 144, the second conv's input gradient), and a short depth (k = 27).
func BenchmarkGEMMSmallCNN(b *testing.B) {
	for _, sz := range []struct {
		name    string
		m, n, k int
	}{
		{"conv1_fwd_m25088_n16_k27", 25088, 16, 27},
		{"conv2_dgrad_m6272_n144_k32", 6272, 144, 32},
		{"conv2_fwd_m6272_n32_k144", 6272, 32, 144},
		{"conv1_wgrad_m27_n16_k25088", 27, 16, 25088},
	} {
		b.Run(sz.name, func(b *testing.B) { benchGEMM(b, sz.m, sz.n, sz.k, gemm) })
	}
}

// fillRandom fills slices with values in [-1, 1) (gonum skips zero multipliers, so zeros would
// flatter it).
func fillRandom(slices ...[]float32) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, s := range slices {
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
	}
}
