package gobackend

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// gemmGonum computes C = A·B with gonum's Sgemm (parallel, SSE assembly inner loops): the portable
// builds' GEMM. B is first gathered into a row-major [k, n] matrix.
func gemmGonum(g *gemmArgs) {
	packed := getScratch(g.k * g.n)
	defer putScratch(packed)
	bm := *packed
	for k := range g.k {
		row := bm[k*g.n : (k+1)*g.n]
		switch {
		case g.bNOff != nil:
			for j, off := range g.bNOff {
				row[j] = g.b[g.bOff[k]+off]
			}
		case g.bNStride == 1:
			copy(row, g.b[g.bOff[k]:g.bOff[k]+g.n])
		default:
			for j := range row {
				row[j] = g.b[g.bOff[k]+j*g.bNStride]
			}
		}
	}
	a := blas32.General{Rows: g.m, Cols: g.k, Stride: g.lda, Data: g.a}
	tA := blas.NoTrans
	if g.aTrans {
		a = blas32.General{Rows: g.k, Cols: g.m, Stride: g.lda, Data: g.a}
		tA = blas.Trans
	}
	b := blas32.General{Rows: g.k, Cols: g.n, Stride: g.n, Data: bm}
	c := blas32.General{Rows: g.m, Cols: g.n, Stride: g.ldc, Data: g.c}
	blas32.Gemm(tA, blas.NoTrans, 1, a, b, 0, c)
}
