package gobackend

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Input-dilated convolutions are how GoMLX expresses the input gradient of a strided convolution:
// the output gradient, dilated by the stride, convolved with the reversed kernel. im2col on the
// dilated input multiplies mostly zeros (3/4 of them for stride 2), so these run as GEMM + col2im
// instead: T[(b,i), (p,o)] = sum_c x[b,i,c] * w[p,c,o] for every real input position i and kernel
// tap p, then T is scattered-added to the output positions q = i*dilation - p*kernelDilation + pad.

// scatterPlan indexes the col2im scatter of one input-dilated convolution.
type scatterPlan struct {
	batch, rowsPerBatch int   // x rows: batch x spatial positions.
	inDims, kerDims     []int // spatial dims of x and of the kernel.
	// qOf[j][i*K_j+p] is the output position along spatial axis j fed by input position i through
	// tap p, or -1.
	qOf          [][]int
	outBatchRow  int   // output rows per batch element.
	outRowStride []int // per spatial axis, in output rows.
	taps         int
}

// newScatterPlan returns a plan if p is an input-dilated, unit-stride, ungrouped convolution of a
// batch-first, channels-last input; nil otherwise (then the im2col path is used).
func newScatterPlan(p *convParams) *scatterPlan {
	ax := p.axes
	rank := p.input.Rank()
	dilated := false
	for i, d := range p.inDil {
		dilated = dilated || d > 1
		if p.strides[i] != 1 {
			return nil
		}
	}
	if !dilated || p.groups != 1 || ax.InputBatch != 0 || ax.InputChannels != rank-1 || !slices.IsSorted(ax.InputSpatial) {
		return nil
	}
	spatial := len(ax.InputSpatial)
	sp := &scatterPlan{batch: p.input.Dimensions[0], rowsPerBatch: 1, taps: 1}
	// Output rows in channels-last order: output axes without the channel axis.
	var rowAxes []int
	for a := range p.output.Rank() {
		if a != ax.OutputChannels {
			rowAxes = append(rowAxes, a)
		}
	}
	rowStride := make(map[int]int) // output axis -> stride in rows.
	stride := 1
	for j := len(rowAxes) - 1; j >= 0; j-- {
		rowStride[rowAxes[j]] = stride
		stride *= p.output.Dimensions[rowAxes[j]]
	}
	sp.outBatchRow = rowStride[ax.OutputBatch]
	for j := range spatial {
		in := p.input.Dimensions[ax.InputSpatial[j]]
		K := p.kernel.Dimensions[ax.KernelSpatial[j]]
		Q := p.output.Dimensions[ax.OutputSpatial[j]]
		sp.inDims = append(sp.inDims, in)
		sp.kerDims = append(sp.kerDims, K)
		sp.outRowStride = append(sp.outRowStride, rowStride[ax.OutputSpatial[j]])
		sp.rowsPerBatch *= in
		sp.taps *= K
		tab := make([]int, in*K)
		for i := range in {
			for k := range K {
				q := i*p.inDil[j] - k*p.kerDil[j] + p.paddings[j][0]
				if q < 0 || q >= Q {
					q = -1
				}
				tab[i*K+k] = q
			}
		}
		sp.qOf = append(sp.qOf, tab)
	}
	return sp
}

// convScatter emits one custom node computing the GEMM and the col2im scatter.
func (b *Builder) convScatter(x, kernelNode *simplego.Node, p *convParams, sp *scatterPlan) (backends.Op, error) {
	ax := p.axes
	C := p.input.Dimensions[ax.InputChannels]
	O := p.kernel.Dimensions[ax.KernelOutputChannels]
	kStr := p.kernel.Strides()
	bOff := make([]int, C)
	for c := range bOff {
		bOff[c] = c * kStr[ax.KernelInputChannels]
	}
	// Columns n = (tap, o): offset of kernel element (tap, o), taps in row-major kernel order.
	bNOff := make([]int, 0, sp.taps*O)
	pos := make([]int, len(sp.kerDims))
	for range sp.taps {
		base := 0
		for j, a := range ax.KernelSpatial {
			base += pos[j] * kStr[a]
		}
		for o := range O {
			bNOff = append(bNOff, base+o*kStr[ax.KernelOutputChannels])
		}
		for j := len(pos) - 1; j >= 0; j-- {
			pos[j]++
			if pos[j] < sp.kerDims[j] {
				break
			}
			pos[j] = 0
		}
	}
	oc := ax.OutputChannels
	chLast := slices.Delete(slices.Clone(p.output.Dimensions), oc, oc+1)
	chLast = append(chLast, O)
	outShape := shapes.Make(p.input.DType, chLast...)
	M, N := sp.batch*sp.rowsPerBatch, sp.taps*O
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		scratch := getScratch(M * N)
		defer putScratch(scratch)
		t := *scratch
		gemm(&gemmArgs{m: M, n: N, k: C, a: flatOf(backend, in[0]).([]float32), lda: C,
			b: flatOf(backend, in[1]).([]float32), bOff: bOff, bNOff: bNOff, c: t, ldc: N})
		out := backend.NewBuffer(outShape)
		dst := flatOf(backend, out).([]float32)
		clear(dst)
		col2im(dst, t, sp, O)
		return out, nil
	}
	res := backends.Op(customNode(b.Builder, backends.OpTypeConvGeneral, outShape, kernel, x, kernelNode))
	if oc == p.output.Rank()-1 {
		return res, nil
	}
	return b.Builder.Transpose(res, channelsBackPerm(p.output.Rank(), oc)...)
}

// col2im adds t [(b, i...), (tap, o)] into dst [output rows, o], in parallel over the batch (whose
// output rows are disjoint).
func col2im(dst, t []float32, sp *scatterPlan, O int) {
	spatial := len(sp.inDims)
	N := sp.taps * O
	parallelRange(sp.batch, func(start, end int) {
		i := make([]int, spatial)
		k := make([]int, spatial)
		for b := start; b < end; b++ {
			clear(i)
			for r := b * sp.rowsPerBatch; r < (b+1)*sp.rowsPerBatch; r++ {
				clear(k)
				for tap := range sp.taps {
					row := b * sp.outBatchRow
					for j := range spatial {
						q := sp.qOf[j][i[j]*sp.kerDims[j]+k[j]]
						if q < 0 {
							row = -1
							break
						}
						row += q * sp.outRowStride[j]
					}
					if row >= 0 {
						d := dst[row*O : (row+1)*O]
						for o, v := range t[r*N+tap*O : r*N+(tap+1)*O] {
							d[o] += v
						}
					}
					for j := spatial - 1; j >= 0; j-- {
						k[j]++
						if k[j] < sp.kerDims[j] {
							break
						}
						k[j] = 0
					}
				}
				for j := spatial - 1; j >= 0; j-- {
					i[j]++
					if i[j] < sp.inDims[j] {
						break
					}
					i[j] = 0
				}
			}
		}
	})
}
