package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// minGEMMWork is the m*n*k from which a float32 matrix product goes to our GEMM rather than
// SimpleGo's DotGeneral.
const minGEMMWork = 1 << 18

// DotGeneral implements backends.Builder: float32 products of two matrices with one contracting axis
// (dense layers and their gradients, in any transposition) run on our GEMM (gemm.go); everything
// else is SimpleGo's.
func (b *Builder) DotGeneral(lhsOp backends.Op, lhsContracting, lhsBatch []int, rhsOp backends.Op, rhsContracting, rhsBatch []int) (backends.Op, error) {
	if dtype, ok := b.halfOps(lhsOp, rhsOp); ok {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) {
			return b.DotGeneral(ops[0], lhsContracting, lhsBatch, ops[1], rhsContracting, rhsBatch)
		}, lhsOp, rhsOp)
	}
	ls, rs := b.shape(lhsOp), b.shape(rhsOp)
	fallback := func() (backends.Op, error) {
		return b.Builder.DotGeneral(lhsOp, lhsContracting, lhsBatch, rhsOp, rhsContracting, rhsBatch)
	}
	if b.backend.emulate || ls.DType != dtypes.Float32 || rs.DType != dtypes.Float32 || ls.Rank() != 2 || rs.Rank() != 2 ||
		len(lhsBatch) != 0 || len(rhsBatch) != 0 || len(lhsContracting) != 1 || len(rhsContracting) != 1 {
		return fallback()
	}
	lc, rc := lhsContracting[0], rhsContracting[0]
	if lc < 0 || lc > 1 || rc < 0 || rc > 1 {
		return fallback()
	}
	k := ls.Dimensions[lc]
	m, n := ls.Dimensions[1-lc], rs.Dimensions[1-rc]
	if rs.Dimensions[rc] != k || m*n*k < minGEMMWork {
		return fallback()
	}
	ns, err := b.nodes("DotGeneral", lhsOp, rhsOp)
	if err != nil {
		return nil, err
	}
	out := shapes.Make(dtypes.Float32, m, n)
	// B[k][n]: rhs is [K, N] (rc == 0) or [N, K] (rc == 1).
	bOff := make([]int, k)
	bNStride := 1
	for i := range bOff {
		if rc == 0 {
			bOff[i] = i * n
		} else {
			bOff[i] = i
		}
	}
	if rc == 1 {
		bNStride = k
	}
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(out)
		g := &gemmArgs{m: m, n: n, k: k, a: flatOf(backend, in[0]).([]float32), lda: k,
			b: flatOf(backend, in[1]).([]float32), bOff: bOff, bNStride: bNStride,
			c: flatOf(backend, buf).([]float32), ldc: n}
		if lc == 0 { // lhs is [K, M]: A transposed.
			g.lda, g.aTrans = m, true
		}
		gemm(g)
		return buf, nil
	}
	return customNode(b.Builder, backends.OpTypeDotGeneral, out, kernel, ns...), nil
}
