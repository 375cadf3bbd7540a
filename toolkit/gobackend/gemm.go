package gobackend

import "sync"

// Single-precision matrix multiplication for the convolution kernels: C = A·B, where
//   - A is row-major with leading dimension lda (rows of the im2col patch matrix), or, with aTrans,
//     column-major (the patch layout used for kernel gradients),
//   - B is addressed through a per-row offset table: B[k][n] = b[bOff[k] + n*bNStride], so a
//     convolution kernel in any axis layout (or a gradient used as kernel) is read in place,
//   - C is row-major with leading dimension ldc and is overwritten.
//
// With SIMD (gemm_simd.go), B is packed once per call into panels of gemmNR columns and the
// micro-kernel computes gemmMR x gemmNR tiles of C; rows of C are split across cores. Portable builds
// use gonum's Sgemm instead (measured 2.5-3x faster than SimpleGo's DotGeneral and than a portable
// Go micro-kernel, see docs/backend.md).

const (
	gemmMR    = 4   // rows per micro-tile.
	gemmKC    = 256 // depth of a K block: A micro-panel (4 x 256 floats) stays in L1.
	gemmMaxNR = 32
)

// gemmNR is the micro-tile width: two vectors of the widest SIMD unit in use (16 for AVX2, 32 for
// AVX-512), 16 for the portable kernel. Set once at init (gemm_simd.go).
var gemmNR = 16

// gemmArgs describes one multiplication; see the file comment.
type gemmArgs struct {
	m, n, k  int
	a        []float32
	lda      int
	aTrans   bool // A is stored transposed: A[r][k] = a[k*lda + r].
	b        []float32
	bOff     []int
	bNStride int
	bNOff    []int // If set, B[k][n] = b[bOff[k] + bNOff[n]] instead.
	c        []float32
	ldc      int
}

// scratch keeps a few float32 buffers (im2col patches, packed panels) alive across calls. Unlike a
// sync.Pool it survives garbage collections: the patch matrices are tens of MiB, and re-allocating
// them every GC cycle costs page clearing and more GC (seen in pprof as memclr and asyncPreempt).
var scratch struct {
	sync.Mutex
	free []*[]float32
}

const maxScratchBuffers = 8

// getScratch returns a buffer of length n (contents undefined): the smallest free one that fits.
func getScratch(n int) *[]float32 {
	scratch.Lock()
	best := -1
	for i, p := range scratch.free {
		if cap(*p) >= n && (best < 0 || cap(*p) < cap(*scratch.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		p := scratch.free[best]
		scratch.free = append(scratch.free[:best], scratch.free[best+1:]...)
		scratch.Unlock()
		*p = (*p)[:n]
		return p
	}
	scratch.Unlock()
	s := make([]float32, n)
	return &s
}

// putScratch returns a buffer; past maxScratchBuffers the smallest is dropped.
func putScratch(p *[]float32) {
	scratch.Lock()
	defer scratch.Unlock()
	scratch.free = append(scratch.free, p)
	if len(scratch.free) > maxScratchBuffers {
		smallest := 0
		for i, q := range scratch.free {
			if cap(*q) < cap(*scratch.free[smallest]) {
				smallest = i
			}
		}
		scratch.free = append(scratch.free[:smallest], scratch.free[smallest+1:]...)
	}
}

// gemm computes C = A·B: with the SIMD micro-kernels in parallel over row blocks, otherwise with
// gonum (gemm_gonum.go).
func gemm(g *gemmArgs) {
	if !useSIMD {
		gemmGonum(g)
		return
	}
	panels := (g.n + gemmNR - 1) / gemmNR
	packed := getScratch(panels * g.k * gemmNR)
	defer putScratch(packed)
	bp := *packed
	// Pack B: panel p holds columns [p*NR, p*NR+NR), k-major, zero-padded past n.
	for p := range panels {
		panel := bp[p*g.k*gemmNR : (p+1)*g.k*gemmNR]
		n0 := p * gemmNR
		cols := min(gemmNR, g.n-n0)
		for k := range g.k {
			row := panel[k*gemmNR : (k+1)*gemmNR]
			base := g.bOff[k] + n0*g.bNStride
			switch {
			case g.bNOff != nil:
				for j, off := range g.bNOff[n0 : n0+cols] {
					row[j] = g.b[g.bOff[k]+off]
				}
			case g.bNStride == 1:
				copy(row[:cols], g.b[base:base+cols])
			default:
				for j := range cols {
					row[j] = g.b[base+j*g.bNStride]
				}
			}
			clear(row[cols:])
		}
	}
	blocks := (g.m + gemmMR - 1) / gemmMR
	parallelRange(blocks, func(start, end int) {
		tile := make([]float32, gemmMR*gemmNR)
		for kc := 0; kc < g.k; kc += gemmKC {
			kLen := min(gemmKC, g.k-kc)
			first := kc == 0
			for blk := start; blk < end; blk++ {
				m0 := blk * gemmMR
				rows := min(gemmMR, g.m-m0)
				for p := range panels {
					n0 := p * gemmNR
					cols := min(gemmNR, g.n-n0)
					panel := bp[(p*g.k+kc)*gemmNR : (p*g.k+kc+kLen)*gemmNR]
					if rows == gemmMR && cols == gemmNR {
						if g.aTrans {
							gemmMicroT(kLen, g.a[kc*g.lda+m0:], g.lda, panel, g.c[m0*g.ldc+n0:], g.ldc, !first)
						} else {
							gemmMicro(kLen, g.a[m0*g.lda+kc:], g.lda, panel, g.c[m0*g.ldc+n0:], g.ldc, !first)
						}
						continue
					}
					// Edge tile: compute into a full scratch tile, copy the valid part.
					gemmEdge(g, kc, kLen, m0, rows, panel, tile)
					for r := range rows {
						dst := g.c[(m0+r)*g.ldc+n0 : (m0+r)*g.ldc+n0+cols]
						if first {
							copy(dst, tile[r*gemmNR:])
						} else {
							for j := range dst {
								dst[j] += tile[r*gemmNR+j]
							}
						}
					}
				}
			}
		}
	})
}

// gemmEdge computes the tile of rows [m0, m0+rows) for K block [kc, kc+kLen) into tile (no
// accumulation); rows past the matrix are left zero.
func gemmEdge(g *gemmArgs, kc, kLen, m0, rows int, panel, tile []float32) {
	clear(tile)
	for r := range rows {
		t := tile[r*gemmNR : (r+1)*gemmNR]
		for k := range kLen {
			var av float32
			if g.aTrans {
				av = g.a[(kc+k)*g.lda+m0+r]
			} else {
				av = g.a[(m0+r)*g.lda+kc+k]
			}
			bk := panel[k*gemmNR : (k+1)*gemmNR]
			for j := range t {
				t[j] += av * bk[j]
			}
		}
	}
}
