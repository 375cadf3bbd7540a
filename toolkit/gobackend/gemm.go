package gobackend

import "sync"

// Single-precision matrix multiplication for the convolution kernels: C = A·B, where
//   - A is row-major with leading dimension lda (rows of the im2col patch matrix), or, with aTrans,
//     column-major (the patch layout used for kernel gradients),
//   - B is addressed through a per-row offset table: B[k][n] = b[bOff[k] + n*bNStride], so a
//     convolution kernel in any axis layout (or a gradient used as kernel) is read in place,
//   - C is row-major with leading dimension ldc and is overwritten.
//
// With SIMD (gemm_simd.go), B is packed once per call into panels of nr columns (gemmTileWidth: 16
// or 32) and the micro-kernel computes gemmMR x nr tiles of C, edge tiles included (into a padded
// scratch tile); rows of C are split across cores. Portable builds
// use gonum's Sgemm instead (measured 2.5-3x faster than SimpleGo's DotGeneral and than a portable
// Go micro-kernel, see docs/backend.md).

const (
	gemmMR = 4   // rows per micro-tile.
	gemmKC = 256 // depth of a K block: A micro-panel (4 x 256 floats) stays in L1.
)

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
	nr := gemmTileWidth(g.n)
	panels := (g.n + nr - 1) / nr
	packed := getScratch(panels * g.k * nr)
	defer putScratch(packed)
	bp := *packed
	// Pack B: panel p holds columns [p*nr, p*nr+nr), k-major, zero-padded past n.
	for p := range panels {
		panel := bp[p*g.k*nr : (p+1)*g.k*nr]
		n0 := p * nr
		cols := min(nr, g.n-n0)
		for k := range g.k {
			row := panel[k*nr : (k+1)*nr]
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
		tile := make([]float32, gemmMR*nr)
		var aEdge []float32 // the last rows of A, zero-padded to gemmMR rows
		for kc := 0; kc < g.k; kc += gemmKC {
			kLen := min(gemmKC, g.k-kc)
			first := kc == 0
			for blk := start; blk < end; blk++ {
				m0 := blk * gemmMR
				rows := min(gemmMR, g.m-m0)
				// The A micro-panel: in place, or for the last rows a padded copy.
				var a []float32
				lda, trans := g.lda, g.aTrans
				if rows < gemmMR {
					if aEdge == nil {
						aEdge = make([]float32, gemmMR*gemmKC)
					}
					clear(aEdge)
					for r := range rows {
						for k := range kLen {
							if g.aTrans {
								aEdge[r*kLen+k] = g.a[(kc+k)*g.lda+m0+r]
							} else {
								aEdge[r*kLen+k] = g.a[(m0+r)*g.lda+kc+k]
							}
						}
					}
					a, lda, trans = aEdge, kLen, false
				} else if g.aTrans {
					a = g.a[kc*g.lda+m0:]
				} else {
					a = g.a[m0*g.lda+kc:]
				}
				micro := gemmTile(nr, trans)
				for p := range panels {
					n0 := p * nr
					cols := min(nr, g.n-n0)
					panel := bp[(p*g.k+kc)*nr : (p*g.k+kc+kLen)*nr]
					if rows == gemmMR && cols == nr {
						micro(kLen, a, lda, panel, g.c[m0*g.ldc+n0:], g.ldc, !first)
						continue
					}
					// Edge tile: the same micro-kernel into a full scratch tile (B's panel is
					// zero-padded, A's rows too), then the valid part into C.
					micro(kLen, a, lda, panel, tile, nr, false)
					for r := range rows {
						dst := g.c[(m0+r)*g.ldc+n0 : (m0+r)*g.ldc+n0+cols]
						if first {
							copy(dst, tile[r*nr:])
						} else {
							for j := range dst {
								dst[j] += tile[r*nr+j]
							}
						}
					}
				}
			}
		}
	})
}
