package models

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
)

// gradStep builds model name with opts (seed 7), runs one training-mode
// forward and backward pass on a fixed batch, and returns the logits, the
// loss and the gradient of every trainable variable by scope/name, plus
// the updated batch-norm running statistics.
func gradStep(t *testing.T, name string, opts Options, batch, size int) (logits []float32, loss float32, grads, stats map[string][]float32) {
	t.Helper()
	m, ctx := initialised(t, name, opts)
	var names []string
	for v := range ctx.IterVariables() {
		if v.Trainable {
			names = append(names, v.ScopeAndName())
		}
	}
	slices.Sort(names)
	pixels := make([]float32, batch*size*size*3)
	for i := range pixels {
		pixels[i] = float32(math.Sin(float64(i) * 0.37))
	}
	ys := make([]int32, batch)
	for i := range ys {
		ys[i] = int32(i % opts.NClass)
	}
	var out []*tensors.Tensor
	err := catch(func() {
		exec, err := context.NewExecAny(backend(t), ctx, func(ctx *context.Context, x, y *Node) []*Node {
			g := x.Graph()
			ctx.SetTraining(g, true)
			lg := m.Fn(ctx, nil, []*Node{x})[0]
			l := ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits([]*Node{y}, []*Node{lg}))
			var vs []*Node
			for _, n := range names {
				vs = append(vs, ctx.GetVariableByScopeAndName(scopeOf(n), nameOf(n)).ValueGraph(g))
			}
			return append([]*Node{lg, l}, Gradient(l, vs...)...)
		})
		if err != nil {
			panic(err)
		}
		defer exec.Finalize()
		out, err = exec.Exec(tensors.FromFlatDataAndDimensions(pixels, batch, size, size, 3),
			tensors.FromFlatDataAndDimensions(ys, batch, 1))
		if err != nil {
			panic(err)
		}
	})
	if err != nil {
		t.Fatal(firstLine(err))
	}
	grads = map[string][]float32{}
	for i, n := range names {
		grads[n] = tensors.MustCopyFlatData[float32](out[2+i])
	}
	stats = map[string][]float32{}
	for k, v := range snapshot(t, ctx) {
		if nm := nameOf(k); nm == "running_mean" || nm == "running_var" {
			stats[k] = v
		}
	}
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])[0], grads, stats
}

func scopeOf(scopeAndName string) string {
	i := lastSlash(scopeAndName)
	if i == 0 {
		return "/"
	}
	return scopeAndName[:i]
}

func nameOf(scopeAndName string) string { return scopeAndName[lastSlash(scopeAndName)+1:] }

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// maxRelDiff is max|a-b| / max|b| (0 when both are zero).
func maxRelDiff(a, b []float32) float64 {
	var d, m float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// TestGraphVariantsParity: ResNet-18 (64x64, batch 4, full fine-tuning,
// no dropout) with BatchNorm op and/or MaxPoolMasks gives the logits,
// loss, gradients of every trainable variable and updated running
// statistics of the graph with separate batch-norm ops and
// SelectAndScatter, to float32 rounding (worst relative difference per
// tensor, max|a-b|/max|b|, is logged). Measured on gofast: 2.5e-5 with
// the batch-norm op (another summation order), exactly 0 with MaxPoolMasks.
func TestGraphVariantsParity(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet-18 gradients: -short")
	}
	const batch, size = 4, 64
	base := Options{NClass: 3, Full: true, Dropout: -1, BatchNorm: BatchNormOps}
	wantLogits, wantLoss, wantGrads, wantStats := gradStep(t, "resnet18", base, batch, size)
	for _, v := range []struct {
		name      string
		bn, masks bool
		tol       float64
	}{
		{"bnop", true, false, 1e-4},
		{"poolmask", false, true, 1e-6},
		{"bnop+poolmask", true, true, 1e-4},
	} {
		t.Run(v.name, func(t *testing.T) {
			o := base
			o.BatchNorm, o.MaxPoolMasks = bnKind(v.bn), v.masks
			logits, loss, grads, stats := gradStep(t, "resnet18", o, batch, size)
			worst, worstName := 0.0, ""
			check := func(what string, got, want []float32) {
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
				}
				if d := maxRelDiff(got, want); d > worst || worstName == "" {
					worst, worstName = d, what
				}
			}
			check("logits", logits, wantLogits)
			check("loss", []float32{loss}, []float32{wantLoss})
			if len(grads) != len(wantGrads) || len(grads) < 60 {
				t.Fatalf("%d gradients, want %d", len(grads), len(wantGrads))
			}
			for k, g := range wantGrads {
				check("gradient "+k, grads[k], g)
			}
			if len(stats) != len(wantStats) || len(stats) < 40 {
				t.Fatalf("%d running statistics, want %d", len(stats), len(wantStats))
			}
			for k, s := range wantStats {
				check(k, stats[k], s)
			}
			t.Logf("%s: loss %.6f vs %.6f; worst relative difference %.3g (%s)", v.name, loss, wantLoss, worst, worstName)
			if worst > v.tol {
				t.Errorf("worst relative difference %.3g (%s) > %g", worst, worstName, v.tol)
			}
		})
	}
}

// TestGraphVariantsBFloat16: the knobs build and train under mixed
// precision; the loss matches the default bfloat16 graph's.
func TestGraphVariantsBFloat16(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet-18 gradients: -short")
	}
	base := Options{NClass: 3, Full: true, Dropout: -1, Precision: PrecisionBFloat16, BatchNorm: BatchNormOps}
	_, want, _, _ := gradStep(t, "resnet18", base, 4, 32)
	o := base
	o.BatchNorm, o.MaxPoolMasks = BatchNormOp, true
	_, got, grads, _ := gradStep(t, "resnet18", o, 4, 32)
	t.Logf("bfloat16 loss: separate batch-norm ops %.6f, bnop+poolmask %.6f", want, got)
	if rel := math.Abs(float64(got-want)) / float64(want); rel > 1e-2 || math.IsNaN(rel) {
		t.Errorf("bfloat16 loss %v, with separate batch-norm ops %v", got, want)
	}
	for k, g := range grads {
		for _, x := range g {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("gradient %s is not finite", k)
			}
		}
	}
}

// bnCounter counts the batch-norm training ops a backend's builders get.
type bnCounter struct {
	backends.Backend
	n *int
}

func (b bnCounter) Builder(name string) backends.Builder {
	return bnCountingBuilder{Builder: b.Backend.Builder(name), n: b.n}
}

type bnCountingBuilder struct {
	backends.Builder
	n *int
}

func (b bnCountingBuilder) BatchNormForTraining(operand, scale, offset backends.Op, epsilon float32, axis int) (normalized, batchMean, batchVariance backends.Op, err error) {
	*b.n++
	return b.Builder.BatchNormForTraining(operand, scale, offset, epsilon, axis)
}

// Auto batch norm uses the backend's op where it has one (gofast: the
// small CNN's three blocks), separate ops where not (SimpleGo).
func TestBatchNormAutoChoice(t *testing.T) {
	for _, tt := range []struct {
		backend string
		want    int
	}{{"gofast", 3}, {"go", 0}} {
		inner, err := backends.NewWithConfig(tt.backend)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		b := bnCounter{Backend: inner, n: &n}
		m, err := Build("small_cnn", Options{NClass: 3, Full: true})
		if err != nil {
			t.Fatal(err)
		}
		g := NewGraph(b, "auto_bn")
		err = catch(func() {
			ctx := context.New()
			ctx.SetTraining(g, true)
			x := Parameter(g, "x", shapes.Make(dtypes.Float32, 2, 16, 16, 3))
			m.Fn(ctx, nil, []*Node{x})
		})
		g.Finalize()
		inner.Finalize()
		if err != nil {
			t.Fatal(err)
		}
		if n != tt.want || hasBatchNormOps(inner) != (tt.want > 0) {
			t.Errorf("%s: %d batch-norm ops, want %d", tt.backend, n, tt.want)
		}
	}
}
