package models

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// snapshot copies every model variable's value, by scope/name.
func snapshot(t *testing.T, ctx *context.Context) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if !v.HasValue() || v.Name() == "global_step" || strings.HasPrefix(v.Name(), "#") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if val.DType().IsFloat() {
			out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](val)
		}
	}
	return out
}

// trainStep runs one SGD step of model name on a fixed 2x32x32x3 batch.
func trainStep(t *testing.T, name string, full bool) (m *Model, before, after map[string][]float32) {
	t.Helper()
	m, before, after, _ = trainStepWith(t, name, Options{NClass: 3, Full: full}, 2, 32)
	return m, before, after
}

// trainStepWith is trainStep with any options; it also returns the loss.
func trainStepWith(t *testing.T, name string, opts Options, batch, size int) (m *Model, before, after map[string][]float32, loss float32) {
	t.Helper()
	m, ctx := initialised(t, name, opts)
	before = snapshot(t, ctx)
	pixels := make([]float32, batch*size*size*3)
	for i := range pixels {
		pixels[i] = float32(math.Sin(float64(i) * 0.37))
	}
	x := tensors.FromFlatDataAndDimensions(pixels, batch, size, size, 3)
	ys := make([]int32, batch)
	for i := range ys {
		ys[i] = int32(2 * (i % 2)) // 0, 2, 0, 2, ...
	}
	labels := tensors.FromFlatDataAndDimensions(ys, batch, 1)
	opt := optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(0.1).Done()
	trainer := train.NewTrainer(backend(t), ctx, m.Fn, losses.SparseCategoricalCrossEntropyLogits, opt, nil, nil)
	var metrics []*tensors.Tensor
	err := catch(func() {
		var err error
		metrics, err = trainer.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{labels})
		if err != nil {
			panic(err)
		}
	})
	if err != nil {
		t.Fatal(firstLine(err))
	}
	loss = tensors.MustCopyFlatData[float32](metrics[0])[0]
	if math.IsNaN(float64(loss)) || loss <= 0 {
		t.Fatalf("loss %v", loss)
	}
	return m, before, snapshot(t, ctx), loss
}

func isHead(key string) bool { return strings.HasPrefix(key, "/"+ClassifierScope+"/") }

// TestFreezing: with full=false one training step changes the head and
// nothing of the backbone (weights nor batch-norm statistics).
func TestFreezing(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			_, before, after := trainStep(t, name, false)
			headChanged, backbone := false, 0
			for key, b := range before {
				changed := !slices.Equal(b, after[key])
				switch {
				case isHead(key):
					headChanged = headChanged || changed
				case strings.Contains(key, "/weight") || strings.Contains(key, "/bias") || strings.Contains(key, "/running_"):
					backbone++
					if changed {
						t.Errorf("frozen backbone variable %s changed", key)
					}
				}
			}
			if !headChanged {
				t.Error("head did not change after a training step")
			}
			if backbone == 0 {
				t.Error("no backbone variables found")
			}
		})
	}
}

// TestTrainStepFull: with full=true one training step changes every layer
// and the batch-norm running statistics. SimpleGo (GoMLX v0.26.0) has no
// convolution gradient, so this skips there.
func TestTrainStepFull(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			_, before, after := trainStep(t, name, true)
			checkAllChanged(t, "a full training step", before, after)
		})
	}
}

// checkAllChanged fails for every variable but biases that a step left
// unchanged.
func checkAllChanged(t *testing.T, what string, before, after map[string][]float32) {
	t.Helper()
	var unchanged []string
	for key, b := range before {
		if slices.Equal(b, after[key]) && !strings.HasSuffix(key, "/bias") {
			unchanged = append(unchanged, key)
		}
	}
	if len(unchanged) > 0 {
		t.Errorf("%d variables unchanged after %s, e.g. %v", len(unchanged), what, unchanged[:min(5, len(unchanged))])
	}
}

// TestBatchNormTraining checks training-mode batch norm against PyTorch's
// definition on a hand-computed example: normalise with the batch mean and
// biased variance; running_mean = 0.9*0 + 0.1*mean, running_var = 0.9*1 +
// 0.1*unbiased variance.
// Both formulations: hand-written ops and the backend's op (BatchNorm: BatchNormOp).
func TestBatchNormTraining(t *testing.T) {
	for _, op := range []bool{false, true} {
		t.Run(fmt.Sprintf("op=%v", op), func(t *testing.T) { testBatchNormTraining(t, op) })
	}
}

func testBatchNormTraining(t *testing.T, op bool) {
	// One channel, values 1, 2, 3, 6: mean 3, biased var 3.5, unbiased 14/3.
	xs := []float32{1, 2, 3, 6}
	m := &Model{Name: "bn", Options: Options{NClass: 1, Full: true, BatchNorm: bnKind(op)}, arch: &Architecture{}}
	ctx := context.New()
	var out []*tensors.Tensor
	err := catch(func() {
		exec, err := context.NewExecAny(backend(t), ctx, func(ctx *context.Context, x *Node) *Node {
			ctx.SetTraining(x.Graph(), true)
			b := &builder{m: m, g: x.Graph(), base: ctx.Scope(), trainBackbone: true}
			return b.batchNorm(ctx.In("bn"), x)
		})
		if err != nil {
			panic(err)
		}
		out, err = exec.Exec(tensors.FromFlatDataAndDimensions(xs, 4, 1, 1, 1))
		if err != nil {
			panic(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out[0])
	for i, x := range xs {
		want := (float64(x) - 3) / math.Sqrt(3.5+BNEpsilon)
		if math.Abs(float64(got[i])-want) > 1e-6 {
			t.Errorf("normalised[%d] = %v, want %v", i, got[i], want)
		}
	}
	stat := func(name string) float64 {
		return float64(tensors.MustCopyFlatData[float32](ctx.GetVariableByScopeAndName("/bn", name).MustValue())[0])
	}
	if got, want := stat("running_mean"), 0.1*3; math.Abs(got-want) > 1e-6 {
		t.Errorf("running_mean %v, want %v", got, want)
	}
	if got, want := stat("running_var"), 0.9+0.1*14.0/3; math.Abs(got-want) > 1e-6 {
		t.Errorf("running_var %v, want %v", got, want)
	}
}

// TestStochasticDepth: in training, whole samples are dropped with
// probability p and the others scaled by 1/(1-p); identity in inference.
func TestStochasticDepth(t *testing.T) {
	const batch, p = 2000, 0.25
	for _, training := range []bool{true, false} {
		m := &Model{Name: "sd", Options: Options{NClass: 1, Full: true}, arch: &Architecture{}}
		ctx := context.New()
		ctx.SetParam(context.ParamInitialSeed, int64(3))
		var out []*tensors.Tensor
		err := catch(func() {
			exec, err := context.NewExecAny(backend(t), ctx, func(ctx *context.Context, x *Node) *Node {
				ctx.SetTraining(x.Graph(), training)
				b := &builder{m: m, g: x.Graph(), base: ctx.Scope(), trainBackbone: m.Options.Full && ctx.IsTraining(x.Graph())}
				return b.stochasticDepth(ctx, x, p)
			})
			if err != nil {
				panic(err)
			}
			ones := make([]float32, batch*2)
			for i := range ones {
				ones[i] = 1
			}
			out, err = exec.Exec(tensors.FromFlatDataAndDimensions(ones, batch, 1, 1, 2))
			if err != nil {
				panic(err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		dropped := 0
		for i := 0; i < batch; i++ {
			a, b := got[2*i], got[2*i+1]
			switch {
			case !training && (a != 1 || b != 1):
				t.Fatalf("inference changed sample %d: %v %v", i, a, b)
			case training && a != b:
				t.Fatalf("sample %d partly dropped: %v %v (row mode drops whole samples)", i, a, b)
			case training && a == 0:
				dropped++
			case training && math.Abs(float64(a)-1/(1-p)) > 1e-6:
				t.Fatalf("kept sample %d scaled to %v, want %v", i, a, 1/(1-p))
			}
		}
		if frac := float64(dropped) / batch; training && math.Abs(frac-p) > 0.05 {
			t.Errorf("dropped %.3f of the samples, want about %g", frac, p)
		}
	}
}

// TestBatchNormGradient: in training mode the gradient flows through the
// batch mean and variance, as in PyTorch. Checked against central finite
// differences of loss = sum(BN(x) * r); with the statistics treated as
// constants (GoMLX's non-fused batch norm) it would not match.
// Both formulations (BatchNorm: BatchNormOp, the op's own BatchNormGradient).
func TestBatchNormGradient(t *testing.T) {
	for _, op := range []bool{false, true} {
		t.Run(fmt.Sprintf("op=%v", op), func(t *testing.T) { testBatchNormGradient(t, op) })
	}
}

func testBatchNormGradient(t *testing.T, op bool) {
	xs := []float32{0.3, -1.2, 2.0, 0.7, -0.4, 1.1, 0.9, -2.2}
	rs := []float32{1.0, -0.5, 0.25, 2.0, -1.5, 0.75, 0.1, 1.3}
	m := &Model{Name: "bn", Options: Options{NClass: 1, Full: true, BatchNorm: bnKind(op)}, arch: &Architecture{}}
	ctx := context.New()
	loss := func(ctx *context.Context, x, r *Node) *Node {
		ctx.SetTraining(x.Graph(), true)
		b := &builder{m: m, g: x.Graph(), base: ctx.Scope(), trainBackbone: true}
		return ReduceAllSum(Mul(b.batchNorm(ctx.In("bn"), x), r))
	}
	run := func(fn any, x []float32) []float32 {
		var out []*tensors.Tensor
		err := catch(func() {
			exec, err := context.NewExecAny(backend(t), ctx, fn)
			if err != nil {
				panic(err)
			}
			defer exec.Finalize()
			out, err = exec.Exec(tensors.FromFlatDataAndDimensions(x, 4, 1, 1, 2),
				tensors.FromFlatDataAndDimensions(rs, 4, 1, 1, 2))
			if err != nil {
				panic(err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](out[0])
	}
	grad := run(func(ctx *context.Context, x, r *Node) *Node {
		return Gradient(loss(ctx, x, r), x)[0]
	}, xs)
	const h = 1e-2
	for i := range xs {
		plus, minus := slices.Clone(xs), slices.Clone(xs)
		plus[i] += h
		minus[i] -= h
		numeric := (float64(run(loss, plus)[0]) - float64(run(loss, minus)[0])) / (2 * h)
		if math.Abs(float64(grad[i])-numeric) > 2e-2*math.Max(1, math.Abs(numeric)) {
			t.Errorf("d loss / d x[%d] = %v, finite difference %v", i, grad[i], numeric)
		}
	}
}

// bnKind is the batch-norm formulation of a test's on/off switch.
func bnKind(op bool) string {
	if op {
		return BatchNormOp
	}
	return BatchNormOps
}
