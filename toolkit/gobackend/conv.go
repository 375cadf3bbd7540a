package gobackend

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// ConvGeneral implements backends.Builder. Nil strides, paddings and dilations are normalised (SimpleGo
// mishandles some nil cases). This covers the convolution gradients too: GoMLX expresses them as
// ConvGeneral calls with input dilations (input gradient) or with the output gradient as kernel
// (kernel gradient). Paths, fastest first:
//   - float32: convScatter (input-dilated convolutions) or convFused (im2col + GEMM in one node);
//   - float64: convIm2col (an im2col node, then SimpleGo's DotGeneral);
//   - "emulate", batch groups or non-float dtypes: SimpleGo's own ConvGeneral.
func (b *Builder) ConvGeneral(inputOp, kernelOp backends.Op, axes backends.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (backends.Op, error) {
	if dtype, ok := b.halfOps(inputOp, kernelOp); ok {
		return b.widened(dtype, func(ops ...backends.Op) (backends.Op, error) {
			return b.ConvGeneral(ops[0], ops[1], axes, strides, paddings, inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
		}, inputOp, kernelOp)
	}
	ns, err := b.nodes("ConvGeneral", inputOp, kernelOp)
	if err != nil {
		return nil, err
	}
	x, k := b.shape(inputOp), b.shape(kernelOp)
	spatial := x.Rank() - 2
	p := convParams{
		axes:     axes.Clone(),
		strides:  onesIfUnset(strides, spatial),
		inDil:    onesIfUnset(inputDilations, spatial),
		kerDil:   onesIfUnset(kernelDilations, spatial),
		paddings: slices.Clone(paddings),
		groups:   max(channelGroupCount, 1),
	}
	if len(p.paddings) == 0 {
		p.paddings = make([][2]int, spatial)
	}
	batchGroupCount = max(batchGroupCount, 1)
	out, err := shapeinference.ConvGeneralOp(x, k, p.axes, p.strides, p.paddings, p.inDil, p.kerDil, p.groups, batchGroupCount)
	if err != nil {
		return nil, err
	}
	if b.backend.emulate || batchGroupCount > 1 || !isFloat(x.DType) {
		return b.Builder.ConvGeneral(inputOp, kernelOp, p.axes, p.strides, p.paddings, p.inDil, p.kerDil, p.groups, batchGroupCount)
	}
	p.input, p.kernel, p.output = x.Clone(), k.Clone(), out.Clone()
	if x.DType == dtypes.Float32 {
		if sp := newScatterPlan(&p); sp != nil {
			return b.convScatter(ns[0], ns[1], &p, sp)
		}
		return b.convFused(ns[0], ns[1], &p)
	}
	return b.convIm2col(ns[0], kernelOp, &p)
}

func onesIfUnset(v []int, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
		if i < len(v) && v[i] > 0 {
			out[i] = v[i]
		}
	}
	return out
}

// convParams is a normalised convolution.
type convParams struct {
	axes                   backends.ConvolveAxesConfig
	strides, inDil, kerDil []int
	paddings               [][2]int
	groups                 int
	input, kernel, output  shapes.Shape
}

// convIm2col emits patches(x) · kernel. The patch matrix has one row per output position (output axes
// other than channels, in output memory order) and columns (group, kernel spatial..., input channel).
func (b *Builder) convIm2col(x *simplego.Node, kernelOp backends.Op, p *convParams) (backends.Op, error) {
	ax := p.axes
	spatial := len(ax.InputSpatial)
	G := p.groups
	C := p.input.Dimensions[ax.InputChannels]
	Cg := C / G
	O := p.kernel.Dimensions[ax.KernelOutputChannels]
	Og := O / G
	R := p.output.Size() / O
	kerSpatial := make([]int, spatial)
	for i, a := range ax.KernelSpatial {
		kerSpatial[i] = p.kernel.Dimensions[a]
	}
	patchDims := append([]int{R, G}, kerSpatial...)
	patchDims = append(patchDims, Cg)
	patchShape := shapes.Make(p.input.DType, patchDims...)
	plan := newIm2colPlan(p)
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		buf := backend.NewBuffer(patchShape)
		switch dst := flatOf(backend, buf).(type) {
		case []float32:
			im2col(dst, flatOf(backend, in[0]).([]float32), plan)
		case []float64:
			im2col(dst, flatOf(backend, in[0]).([]float64), plan)
		}
		return buf, nil
	}
	patches := backends.Op(customNode(b.Builder, backends.OpTypeConvGeneral, patchShape, kernel, x))

	// Contract patches [R, G, kerSpatial..., Cg] with the kernel.
	lhsContract := make([]int, 0, spatial+1)
	for i := range spatial + 1 {
		lhsContract = append(lhsContract, 2+i)
	}
	rhs := kernelOp
	kAx := func(a int) int { return a }
	var lhsBatch, rhsBatch []int
	if G > 1 {
		// Split the kernel's output-channel axis into (G, Og) and use G as a batch axis.
		o := ax.KernelOutputChannels
		dims := slices.Clone(p.kernel.Dimensions)
		dims = slices.Insert(dims, o+1, Og)
		dims[o] = G
		var err error
		if rhs, err = b.Builder.Reshape(rhs, dims...); err != nil {
			return nil, err
		}
		kAx = func(a int) int {
			if a > o {
				return a + 1
			}
			return a
		}
		lhsBatch, rhsBatch = []int{1}, []int{o}
	} else {
		var err error
		if patches, err = b.Builder.Reshape(patches, slices.Delete(slices.Clone(patchDims), 1, 2)...); err != nil {
			return nil, err
		}
		for i := range lhsContract {
			lhsContract[i]--
		}
	}
	rhsContract := make([]int, 0, spatial+1)
	for _, a := range ax.KernelSpatial {
		rhsContract = append(rhsContract, kAx(a))
	}
	rhsContract = append(rhsContract, kAx(ax.KernelInputChannels))
	res, err := b.Builder.DotGeneral(patches, lhsContract, lhsBatch, rhs, rhsContract, rhsBatch)
	if err != nil {
		return nil, errors.WithMessage(err, "ConvGeneral (im2col)")
	}
	if G > 1 { // [G, R, Og] -> [R, G, Og]
		if res, err = b.Builder.Transpose(res, 1, 0, 2); err != nil {
			return nil, err
		}
	}
	// res is [R, O]: R enumerates output positions in output memory order, channels last.
	oc := ax.OutputChannels
	rank := p.output.Rank()
	if oc == rank-1 {
		return b.Builder.Reshape(res, p.output.Dimensions...)
	}
	chLast := slices.Delete(slices.Clone(p.output.Dimensions), oc, oc+1)
	chLast = append(chLast, O)
	if res, err = b.Builder.Reshape(res, chLast...); err != nil {
		return nil, err
	}
	return b.Builder.Transpose(res, channelsBackPerm(rank, oc)...)
}

// convFused emits one custom node computing im2col + GEMM (gemm.go) into a channels-last output,
// with the patch matrix in reused scratch memory (float32).
func (b *Builder) convFused(x, kernelNode *simplego.Node, p *convParams) (backends.Op, error) {
	ax := p.axes
	G := p.groups
	Cg := p.input.Dimensions[ax.InputChannels] / G
	O := p.kernel.Dimensions[ax.KernelOutputChannels]
	Og := O / G
	plan := newIm2colPlan(p)
	K := plan.patch * Cg
	R := plan.rows
	// B offsets per group: row k = (kernel spatial position, input channel) of the group's kernel.
	kStr := p.kernel.Strides()
	bOff := make([][]int, G)
	for g := range G {
		offs := make([]int, 0, K)
		pos := make([]int, len(ax.KernelSpatial))
		for range plan.patch {
			base := g * Og * kStr[ax.KernelOutputChannels]
			for i, a := range ax.KernelSpatial {
				base += pos[i] * kStr[a]
			}
			for c := range Cg {
				offs = append(offs, base+c*kStr[ax.KernelInputChannels])
			}
			for i := len(pos) - 1; i >= 0; i-- {
				pos[i]++
				if pos[i] < plan.kerDims[i] {
					break
				}
				pos[i] = 0
			}
		}
		bOff[g] = offs
	}
	oc := ax.OutputChannels
	chLast := slices.Delete(slices.Clone(p.output.Dimensions), oc, oc+1)
	chLast = append(chLast, O)
	outShape := shapes.Make(p.input.DType, chLast...)
	kernel := func(backend *simplego.Backend, in []*simplego.Buffer) (*simplego.Buffer, error) {
		scratch := getScratch(R * G * K)
		defer putScratch(scratch)
		patches := *scratch
		out := backend.NewBuffer(outShape)
		c := flatOf(backend, out).([]float32)
		kf := flatOf(backend, in[1]).([]float32)
		if plan.transposed {
			im2colT(patches, flatOf(backend, in[0]).([]float32), plan)
			gemm(&gemmArgs{m: R, n: O, k: K, a: patches, lda: R, aTrans: true,
				b: kf, bOff: bOff[0], bNStride: kStr[ax.KernelOutputChannels], c: c, ldc: O})
			return out, nil
		}
		im2col(patches, flatOf(backend, in[0]).([]float32), plan)
		if Cg == 1 && Og == 1 && G > 1 { // Depthwise: a dot product per (row, channel), no GEMM.
			depthwise(c, patches, kf, bOff, R, G, plan.patch)
			return out, nil
		}
		for g := range G {
			gemm(&gemmArgs{m: R, n: Og, k: K, a: patches[g*K:], lda: G * K,
				b: kf, bOff: bOff[g], bNStride: kStr[ax.KernelOutputChannels], c: c[g*Og:], ldc: O})
		}
		return out, nil
	}
	res := backends.Op(customNode(b.Builder, backends.OpTypeConvGeneral, outShape, kernel, x, kernelNode))
	if oc == p.output.Rank()-1 {
		return res, nil
	}
	return b.Builder.Transpose(res, channelsBackPerm(p.output.Rank(), oc)...)
}

// depthwise computes out[r, g] = sum_p patches[r, g, p] * kernel[bOff[g][p]] (one input and one
// output channel per group).
func depthwise(out, patches, kernel []float32, bOff [][]int, rows, groups, patch int) {
	w := make([]float32, groups*patch) // Kernel gathered as [g, p].
	for g := range groups {
		for p := range patch {
			w[g*patch+p] = kernel[bOff[g][p]]
		}
	}
	parallelRange(rows, func(start, end int) {
		for r := start; r < end; r++ {
			pr := patches[r*groups*patch : (r+1)*groups*patch]
			o := out[r*groups : (r+1)*groups]
			for g := range o {
				var acc float32
				for p, v := range pr[g*patch : (g+1)*patch] {
					acc += v * w[g*patch+p]
				}
				o[g] = acc
			}
		}
	})
}

// channelsBackPerm is the Transpose permutation moving the last axis to position oc.
func channelsBackPerm(rank, oc int) []int {
	perm := make([]int, rank)
	for a := range perm {
		switch {
		case a == oc:
			perm[a] = rank - 1
		case a > oc:
			perm[a] = a - 1
		default:
			perm[a] = a
		}
	}
	return perm
}

// im2colPlan holds the index tables of one convolution's patch gathering.
type im2colPlan struct {
	rows, groups, cg, patch int // patch = kernel spatial positions.
	chanStride              int
	rowDims                 []int // output non-channel dims, in output order.
	rowRole                 []int // -1: batch; i>=0: spatial axis i.
	batchStride             int
	// spatialOff[i][q*K_i+k] is the input offset of output position q, kernel position k on spatial
	// axis i, or -1 if it falls in padding or between dilated input elements.
	spatialOff [][]int
	kerDims    []int
	// transposed selects the [K, R] patch layout (im2colT), used when the batch axis is the
	// contiguous one and the channel axis is not: the kernel-gradient convolution, where GoMLX
	// passes the input with batch and channels swapped.
	transposed bool
	// runs[q], for output position q on the last spatial axis, says that the kernel's whole
	// extent on that axis reads one contiguous run of the input (channels-last, one group, no
	// padding or dilation there): im2col then copies kerDims[last]*cg values at once. Nil when the
	// layout never allows it.
	runs []bool
}

func newIm2colPlan(p *convParams) *im2colPlan {
	ax := p.axes
	spatial := len(ax.InputSpatial)
	inStrides := p.input.Strides()
	pl := &im2colPlan{
		groups:      p.groups,
		cg:          p.input.Dimensions[ax.InputChannels] / p.groups,
		chanStride:  inStrides[ax.InputChannels],
		batchStride: inStrides[ax.InputBatch],
		patch:       1,
	}
	O := p.kernel.Dimensions[ax.KernelOutputChannels]
	pl.rows = p.output.Size() / O
	for a, d := range p.output.Dimensions {
		switch {
		case a == ax.OutputChannels:
			continue
		case a == ax.OutputBatch:
			pl.rowRole = append(pl.rowRole, -1)
		default:
			pl.rowRole = append(pl.rowRole, slices.Index(ax.OutputSpatial, a))
		}
		pl.rowDims = append(pl.rowDims, d)
	}
	pl.spatialOff = make([][]int, spatial)
	pl.kerDims = make([]int, spatial)
	for i := range spatial {
		K := p.kernel.Dimensions[ax.KernelSpatial[i]]
		Q := p.output.Dimensions[ax.OutputSpatial[i]]
		in := p.input.Dimensions[ax.InputSpatial[i]]
		pl.kerDims[i] = K
		pl.patch *= K
		tab := make([]int, Q*K)
		for q := range Q {
			for k := range K {
				pos := q*p.strides[i] + k*p.kerDil[i] - p.paddings[i][0]
				off := -1
				if pos >= 0 && pos%p.inDil[i] == 0 && pos/p.inDil[i] < in {
					off = pos / p.inDil[i] * inStrides[ax.InputSpatial[i]]
				}
				tab[q*K+k] = off
			}
		}
		pl.spatialOff[i] = tab
	}
	last := len(pl.rowRole) - 1
	pl.transposed = pl.groups == 1 && pl.chanStride != 1 && pl.batchStride == 1 && pl.rowRole[last] < 0
	if sp := spatial - 1; sp >= 0 && pl.groups == 1 && pl.chanStride == 1 && inStrides[ax.InputSpatial[sp]] == pl.cg {
		K, tab := pl.kerDims[sp], pl.spatialOff[sp]
		pl.runs = make([]bool, len(tab)/K)
		for q := range pl.runs {
			ok := true
			for k := range K {
				if tab[q*K+k] < 0 || tab[q*K+k] != tab[q*K]+k*pl.cg {
					ok = false
					break
				}
			}
			pl.runs[q] = ok
		}
	}
	return pl
}

// im2colT fills dst [K, rows] (K = patch x cg) from src: for each patch column and each group of rows
// sharing all but the (last, contiguous) batch index, one contiguous run of the input is copied.
func im2colT[T float32 | float64](dst, src []T, pl *im2colPlan) {
	spatial := len(pl.kerDims)
	last := len(pl.rowDims) - 1
	batch := pl.rowDims[last]
	groups := pl.rows / batch
	K := pl.patch * pl.cg
	parallelRange(K, func(start, end int) {
		kIdx := make([]int, spatial)
		q := make([]int, spatial)
		grpIdx := make([]int, last)
		for k := start; k < end; k++ {
			kp, c := k/pl.cg, k%pl.cg
			for i := spatial - 1; i >= 0; i-- {
				kIdx[i] = kp % pl.kerDims[i]
				kp /= pl.kerDims[i]
			}
			clear(grpIdx)
			row := dst[k*pl.rows : (k+1)*pl.rows]
			for grp := range groups {
				for j, role := range pl.rowRole[:last] {
					q[role] = grpIdx[j]
				}
				off := c * pl.chanStride
				for i := range spatial {
					o := pl.spatialOff[i][q[i]*pl.kerDims[i]+kIdx[i]]
					if o < 0 {
						off = -1
						break
					}
					off += o
				}
				d := row[grp*batch : (grp+1)*batch]
				if off < 0 {
					clear(d)
				} else {
					copy(d, src[off:off+batch])
				}
				for j := last - 1; j >= 0; j-- {
					grpIdx[j]++
					if grpIdx[j] < pl.rowDims[j] {
						break
					}
					grpIdx[j] = 0
				}
			}
		}
	})
}

// im2col fills dst [rows, groups, patch, cg] from src, in parallel over rows.
func im2col[T float32 | float64](dst, src []T, pl *im2colPlan) {
	parallelRange(pl.rows, func(start, end int) {
		spatial := len(pl.kerDims)
		q := make([]int, spatial)
		k := make([]int, spatial)
		rowIdx := make([]int, len(pl.rowDims))
		// Decompose start into the row multi-index.
		r := start
		for j := len(pl.rowDims) - 1; j >= 0; j-- {
			rowIdx[j] = r % pl.rowDims[j]
			r /= pl.rowDims[j]
		}
		rowLen := pl.groups * pl.patch * pl.cg
		for row := start; row < end; row++ {
			base := 0
			for j, role := range pl.rowRole {
				if role < 0 {
					base += rowIdx[j] * pl.batchStride
				} else {
					q[role] = rowIdx[j]
				}
			}
			out := dst[row*rowLen : (row+1)*rowLen]
			if pl.runs != nil && pl.runs[q[spatial-1]] {
				im2colRuns(out, src, pl, base, q, k)
			} else {
				im2colRow(out, src, pl, base, q, k)
			}
			for j := len(rowIdx) - 1; j >= 0; j-- { // Next row.
				rowIdx[j]++
				if rowIdx[j] < pl.rowDims[j] {
					break
				}
				rowIdx[j] = 0
			}
		}
	})
}

// im2colRuns fills one row of patches (one group) where the kernel's last spatial axis reads a
// contiguous run of the input (plan.runs): one copy per position of the other spatial axes.
func im2colRuns[T float32 | float64](out, src []T, pl *im2colPlan, base int, q, k []int) {
	spatial := len(pl.kerDims)
	sp := spatial - 1
	K := pl.kerDims[sp]
	run := K * pl.cg
	first := pl.spatialOff[sp][q[sp]*K]
	clear(k)
	for p := 0; p < pl.patch/K; p++ {
		off := base + first
		for i := range sp {
			o := pl.spatialOff[i][q[i]*pl.kerDims[i]+k[i]]
			if o < 0 {
				off = -1
				break
			}
			off += o
		}
		d := out[p*run : (p+1)*run]
		if off < 0 {
			clear(d)
		} else {
			copy(d, src[off:off+run])
		}
		for i := sp - 1; i >= 0; i-- { // Next position of the other axes.
			k[i]++
			if k[i] < pl.kerDims[i] {
				break
			}
			k[i] = 0
		}
	}
}

// im2colRow fills one row of patches, one kernel position at a time.
func im2colRow[T float32 | float64](out, src []T, pl *im2colPlan, base int, q, k []int) {
	spatial := len(pl.kerDims)
	clear(k)
	for kp := range pl.patch {
		off := base
		for i := range spatial {
			o := pl.spatialOff[i][q[i]*pl.kerDims[i]+k[i]]
			if o < 0 {
				off = -1
				break
			}
			off += o
		}
		for g := range pl.groups {
			d := out[(g*pl.patch+kp)*pl.cg : (g*pl.patch+kp+1)*pl.cg]
			switch {
			case off < 0:
				clear(d)
			case pl.chanStride == 1 && pl.cg >= 16:
				copy(d, src[off+g*pl.cg:])
			case pl.chanStride == 1: // Few channels (e.g. RGB): a loop beats memmove's call.
				s := src[off+g*pl.cg : off+g*pl.cg+len(d)]
				for c, v := range s {
					d[c] = v
				}
			default:
				s := off + g*pl.cg*pl.chanStride
				for c := range d {
					d[c] = src[s+c*pl.chanStride]
				}
			}
		}
		for i := spatial - 1; i >= 0; i-- { // Next kernel position.
			k[i]++
			if k[i] < pl.kerDims[i] {
				break
			}
			k[i] = 0
		}
	}
}

// parallelRange runs fn over [0, n) split in chunks that one goroutine per core takes in turn.
// Chunks are taken dynamically (several per core) rather than assigned one per core, so that when
// another process holds a core the other workers carry on instead of waiting for it.
func parallelRange(n int, fn func(start, end int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		fn(0, n)
		return
	}
	chunk := (n + 8*workers - 1) / (8 * workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(int64(chunk))) - chunk
				if start >= n {
					return
				}
				fn(start, min(start+chunk, n))
			}
		})
	}
	wg.Wait()
}
