package optim

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
)

// model is a tiny MLP whose last layer lives in scope "classifier", as in
// every model of the toolkit: /hidden/dense/{weights,biases} [4,5],[5] and
// /classifier/dense/{weights,biases} [5,3],[3].
func model(ctx *context.Context, _ any, inputs []*Node) []*Node {
	h := Tanh(layers.DenseWithBias(ctx.In("hidden"), inputs[0], 5))
	return []*Node{layers.DenseWithBias(ctx.In(ClassifierScope), h, 3)}
}

// testBackend is shared: tensors cannot move between backend instances.
var testBackend = backends.MustNew()

var (
	inputs = [][]float32{
		{1, 0.5, -1, 2}, {0, 1, 1, -1}, {2, -2, 0.5, 0}, {-1, -1, 1, 1},
		{0.3, 0.7, -0.2, 0.1}, {1.5, 0, 0, -0.5}, {-2, 1, 0, 0.5}, {0.2, -0.4, 2, 1},
	}
	targets = []int32{0, 1, 2, 0, 1, 2, 0, 2}
)

// run is one training run of model from a fixed initialisation.
type run struct {
	t       *testing.T
	ctx     *context.Context
	opt     *Optimizer
	trainer *train.Trainer
}

func newRun(t *testing.T, s Settings) *run {
	t.Helper()
	opt, err := NewFromSettings(s)
	if err != nil {
		t.Fatal(err)
	}
	lossFn, err := losses.New(losses.Config{Family: losses.FamilyBaseline, Type: losses.TypeCE}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	ctx.SetParam(initializers.ParamInitialSeed, int64(42))
	r := &run{t: t, ctx: ctx, opt: opt, trainer: train.NewTrainer(testBackend, ctx, model, lossFn, opt, nil, nil)}
	// Evaluating once creates and initialises the variables without a step.
	in, lab := r.batch()
	if _, err := r.trainer.EvalStep(nil, in, lab); err != nil {
		t.Fatal(err)
	}
	// GoMLX starts biases at 0, which would hide a decay or projection of
	// the biases: give them non-zero values.
	for _, scope := range []string{hidScope, clsScope} {
		v := ctx.GetVariableByScopeAndName(scope, "biases")
		b := make([]float32, v.Shape().Size())
		for i := range b {
			b[i] = 0.3 - 0.2*float32(i)
		}
		v.MustSetValue(tensors.FromValue(b))
	}
	return r
}

func (r *run) batch() ([]*tensors.Tensor, []*tensors.Tensor) {
	return []*tensors.Tensor{tensors.FromValue(inputs)}, []*tensors.Tensor{tensors.FromValue(targets)}
}

func (r *run) steps(n int) {
	r.t.Helper()
	for i := 0; i < n; i++ {
		in, lab := r.batch()
		if _, err := r.trainer.TrainStep(nil, in, lab); err != nil {
			r.t.Fatal(err)
		}
	}
}

// flat returns a variable's value as a flat []float64.
func (r *run) flat(scope, name string) []float64 {
	r.t.Helper()
	v := r.ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		r.t.Fatalf("no variable %s/%s", scope, name)
	}
	var out []float64
	switch x := v.MustValue().Value().(type) {
	case [][]float32:
		for _, row := range x {
			for _, e := range row {
				out = append(out, float64(e))
			}
		}
	case []float32:
		for _, e := range x {
			out = append(out, float64(e))
		}
	default:
		r.t.Fatalf("%s/%s: unexpected %T", scope, name, x)
	}
	return out
}

const (
	clsScope = "/classifier/dense"
	hidScope = "/hidden/dense"
	nClass   = 3
)

// norms returns the L2 norm of each class's weight vector: the columns of
// the flattened [5, 3] kernel.
func norms(w []float64) []float64 {
	n := make([]float64, nClass)
	for i, x := range w {
		n[i%nClass] += x * x
	}
	for c := range n {
		n[c] = math.Sqrt(n[c])
	}
	return n
}

func column(w []float64, c int) []float64 {
	var out []float64
	for i := c; i < len(w); i += nClass {
		out = append(out, w[i])
	}
	return out
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func adam(strategy string) Settings {
	return Settings{Optimizer: "Adam", LearningRate: 0.01, Scheduler: "none", Strategy: strategy, StepGamma: 0.1}
}

// untouched checks that biases and the hidden layer equal the baseline's.
func untouched(t *testing.T, got, base *run) {
	t.Helper()
	for _, v := range []struct{ scope, name string }{{clsScope, "biases"}, {hidScope, "weights"}, {hidScope, "biases"}} {
		if !equal(got.flat(v.scope, v.name), base.flat(v.scope, v.name)) {
			t.Errorf("%s/%s changed by the strategy", v.scope, v.name)
		}
	}
}

func TestL2NormEveryStep(t *testing.T) {
	base := newRun(t, adam(config.RegNone))
	l2 := newRun(t, adam(config.RegL2Norm))
	if !equal(base.flat(clsScope, "weights"), l2.flat(clsScope, "weights")) {
		t.Fatal("runs do not start from the same weights")
	}
	base.steps(1)
	l2.steps(1)
	baseNorms := norms(base.flat(clsScope, "weights"))
	notUnit := false
	for _, n := range baseNorms {
		notUnit = notUnit || math.Abs(n-1) > 1e-3
	}
	if !notUnit {
		t.Fatalf("baseline norms %v are already 1: the test could not see a no-op", baseNorms)
	}
	for c, n := range norms(l2.flat(clsScope, "weights")) {
		if math.Abs(n-1) > 1e-5 {
			t.Errorf("after one step, class %d has norm %g, want 1 (baseline %g)", c, n, baseNorms[c])
		}
	}
	untouched(t, l2, base)
	// Still unit norm after more steps.
	l2.steps(3)
	for c, n := range norms(l2.flat(clsScope, "weights")) {
		if math.Abs(n-1) > 1e-5 {
			t.Errorf("after four steps, class %d has norm %g", c, n)
		}
	}
}

// checkMaxNorm: every class over thresh in the baseline is projected to
// thresh exactly; the others are the baseline's columns, bit for bit.
func checkMaxNorm(t *testing.T, got, base []float64, thresh float64) {
	t.Helper()
	var projected, kept int
	gotNorms, baseNorms := norms(got), norms(base)
	for c := range gotNorms {
		if baseNorms[c] > thresh {
			projected++
			if math.Abs(gotNorms[c]-thresh) > 1e-5 {
				t.Errorf("class %d: norm %g, want thresh %g (baseline %g)", c, gotNorms[c], thresh, baseNorms[c])
			}
		} else {
			kept++
			if !equal(column(got, c), column(base, c)) {
				t.Errorf("class %d under thresh (%g <= %g) was changed", c, baseNorms[c], thresh)
			}
		}
	}
	if projected == 0 || kept == 0 {
		t.Errorf("thresh %g splits norms %v into %d projected and %d kept: need both", thresh, baseNorms, projected, kept)
	}
}

func TestMaxNormAbsoluteEveryStep(t *testing.T) {
	base := newRun(t, adam(config.RegNone))
	base.steps(1)
	bn := norms(base.flat(clsScope, "weights"))
	lo, hi := math.Min(bn[0], math.Min(bn[1], bn[2])), math.Max(bn[0], math.Max(bn[1], bn[2]))
	s := adam(config.RegMaxNorm)
	s.Thresh = (lo + hi) / 2
	mn := newRun(t, s)
	mn.steps(1)
	checkMaxNorm(t, mn.flat(clsScope, "weights"), base.flat(clsScope, "weights"), s.Thresh)
	untouched(t, mn, base)
	mn.steps(3)
	for c, n := range norms(mn.flat(clsScope, "weights")) {
		if n > s.Thresh+1e-5 {
			t.Errorf("after four steps class %d has norm %g > %g", c, n, s.Thresh)
		}
	}
}

func TestMaxNormRelative(t *testing.T) {
	base := newRun(t, adam(config.RegNone))
	n0 := norms(base.flat(clsScope, "weights")) // norms at start
	base.steps(1)
	s := adam(config.RegMaxNorm)
	s.Thresh, s.Relative = 0.5, true
	mn := newRun(t, s)
	if _, ok := mn.opt.Threshold(mn.ctx); ok {
		t.Error("a relative threshold is known before the first step")
	}
	mn.steps(1)
	lo, hi := math.Min(n0[0], math.Min(n0[1], n0[2])), math.Max(n0[0], math.Max(n0[1], n0[2]))
	want := lo + 0.5*(hi-lo)
	got, ok := mn.opt.Threshold(mn.ctx)
	if !ok || math.Abs(got-want) > 1e-6 {
		t.Fatalf("relative threshold %g (%v), want min + 0.5 (max - min) of the initial norms = %g", got, ok, want)
	}
	checkMaxNorm(t, mn.flat(clsScope, "weights"), base.flat(clsScope, "weights"), want)
	untouched(t, mn, base)
	mn.steps(2) // the threshold stays the one recorded at start
	if again, _ := mn.opt.Threshold(mn.ctx); again != got {
		t.Errorf("threshold moved from %g to %g", got, again)
	}
}

func TestMaxNormEveryEpoch(t *testing.T) {
	base := newRun(t, adam(config.RegNone))
	base.steps(2)
	bn := norms(base.flat(clsScope, "weights"))
	s := adam(config.RegMaxNorm)
	s.Thresh = (math.Min(bn[0], math.Min(bn[1], bn[2])) + math.Max(bn[0], math.Max(bn[1], bn[2]))) / 2
	s.EveryEpoch = true
	mn := newRun(t, s)
	mn.steps(2)
	if !equal(mn.flat(clsScope, "weights"), base.flat(clsScope, "weights")) {
		t.Error("per-epoch MaxNorm projected during the steps")
	}
	if err := mn.opt.EndOfEpoch(testBackend, mn.ctx); err != nil {
		t.Fatal(err)
	}
	checkMaxNorm(t, mn.flat(clsScope, "weights"), base.flat(clsScope, "weights"), s.Thresh)
	untouched(t, mn, base)
	// EndOfEpoch is a no-op for per-step strategies.
	l2 := newRun(t, adam(config.RegL2Norm))
	before := l2.flat(clsScope, "weights")
	if err := l2.opt.EndOfEpoch(testBackend, l2.ctx); err != nil || !equal(before, l2.flat(clsScope, "weights")) {
		t.Errorf("EndOfEpoch changed an l2_norm run (err %v)", err)
	}
}

func sgdSettings(strategy string, lambda float64, decoupled bool) Settings {
	return Settings{Optimizer: "SGD", LearningRate: 0.1, Scheduler: "none", Strategy: strategy,
		WeightDecay: lambda, Decoupled: decoupled, StepGamma: 0.1}
}

// TestWeightDecayOneSGDStep checks the exact update: the L2 penalty
// lambda ||W||^2 adds 2 lambda W0 to the kernels' gradient, decoupled decay
// subtracts lr lambda W0; biases get neither.
func TestWeightDecayOneSGDStep(t *testing.T) {
	const lr, lambda = 0.1, 0.05
	base := newRun(t, sgdSettings(config.RegNone, 0, false))
	w0 := map[string][]float64{clsScope: base.flat(clsScope, "weights"), hidScope: base.flat(hidScope, "weights")}
	base.steps(1)
	for _, tt := range []struct {
		name      string
		decoupled bool
		factor    float64 // W = W_base - factor * W0
	}{{"L2 penalty", false, lr * 2 * lambda}, {"decoupled", true, lr * lambda}} {
		wd := newRun(t, sgdSettings(config.RegWeightDecay, lambda, tt.decoupled))
		wd.steps(1)
		for scope, init := range w0 {
			got, b := wd.flat(scope, "weights"), base.flat(scope, "weights")
			for i := range got {
				if want := b[i] - tt.factor*init[i]; math.Abs(got[i]-want) > 1e-6 {
					t.Errorf("%s %s weights[%d] = %g, want %g", tt.name, scope, i, got[i], want)
				}
			}
			if !equal(wd.flat(scope, "biases"), base.flat(scope, "biases")) {
				t.Errorf("%s: %s biases decayed", tt.name, scope)
			}
		}
	}
	// reg_strategy none ignores weight_decay (the study's behaviour).
	none := newRun(t, sgdSettings(config.RegNone, lambda, false))
	none.steps(1)
	if !equal(none.flat(clsScope, "weights"), base.flat(clsScope, "weights")) {
		t.Error("weight_decay applied with reg_strategy none")
	}
}

func sumSquares(r *run) float64 {
	var s float64
	for _, scope := range []string{clsScope, hidScope} {
		for _, x := range r.flat(scope, "weights") {
			s += x * x
		}
	}
	return s
}

func TestWeightDecayShrinksWeights(t *testing.T) {
	base := newRun(t, adam(config.RegNone))
	base.steps(20)
	for _, decoupled := range []bool{false, true} {
		s := adam(config.RegWeightDecay)
		s.WeightDecay, s.Decoupled = 0.5, decoupled
		wd := newRun(t, s)
		wd.steps(20)
		if got, without := sumSquares(wd), sumSquares(base); !(got < 0.95*without) {
			t.Errorf("decoupled=%v: sum of squared kernels %g with decay, %g without", decoupled, got, without)
		}
	}
}

// stepOn runs n optimizer steps of loss = sum(c * x) on one variable x
// (gradient c) and returns x.
func stepOn(t *testing.T, s Settings, x0, c []float32, n int) []float32 {
	t.Helper()
	opt, err := NewFromSettings(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	exec, err := context.NewExec(testBackend, ctx, func(ctx *context.Context, g *Graph) *Node {
		x := ctx.VariableWithValue("x", x0)
		loss := ReduceAllSum(Mul(Const(g, c), x.ValueGraph(g)))
		opt.UpdateGraph(ctx, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := exec.Exec(); err != nil {
			t.Fatal(err)
		}
	}
	return ctx.GetVariableByScopeAndName("/", "x").MustValue().Value().([]float32)
}

func near32(got []float32, want []float64, tol float64) bool {
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > tol {
			return false
		}
	}
	return true
}

func TestSGDMomentumMatchesPyTorch(t *testing.T) {
	const lr, mu = 0.1, 0.9
	s := Settings{Optimizer: "SGD", LearningRate: lr, Momentum: mu, Scheduler: "none", Strategy: config.RegNone}
	c := []float32{1, -2}
	// PyTorch: buf1 = g, buf2 = mu g + g, buf3 = mu^2 g + mu g + g; x -= lr buf.
	steps := 1 + (1 + mu) + (1 + mu + mu*mu)
	got := stepOn(t, s, []float32{0, 0}, c, 3)
	want := []float64{-lr * steps * 1, -lr * steps * -2}
	if !near32(got, want, 1e-5) {
		t.Errorf("3 SGD momentum steps: %v, want %v", got, want)
	}
	s.Momentum = 0
	if got := stepOn(t, s, []float32{0, 0}, c, 3); !near32(got, []float64{-0.3, 0.6}, 1e-6) {
		t.Errorf("3 plain SGD steps: %v (GoMLX's SGD would decay lr by 1/sqrt(step))", got)
	}
}

func TestAdamFirstStep(t *testing.T) {
	// Adam's first step moves each coordinate by lr against the gradient's sign.
	got := stepOn(t, Settings{Optimizer: "Adam", LearningRate: 0.01, Scheduler: "none", Strategy: config.RegNone},
		[]float32{1, 1}, []float32{3, -0.001}, 1)
	if !near32(got, []float64{0.99, 1.01}, 1e-5) {
		t.Errorf("Adam first step: %v", got)
	}
}

func TestGradClipGlobalNorm(t *testing.T) {
	s := Settings{Optimizer: "SGD", LearningRate: 1, Scheduler: "none", Strategy: config.RegNone}
	c := []float32{3, 4} // gradient norm 5
	for _, tt := range []struct {
		clip float64
		want []float64
	}{{0, []float64{-3, -4}}, {1, []float64{-0.6, -0.8}}, {10, []float64{-3, -4}}} {
		s.GradClip = tt.clip
		if got := stepOn(t, s, []float32{0, 0}, c, 1); !near32(got, tt.want, 1e-6) {
			t.Errorf("clip %g: %v, want %v", tt.clip, got, tt.want)
		}
	}
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		lr   map[int64]float64 // 0-based step -> learning rate
	}{
		{"none", Settings{LearningRate: 0.1, Scheduler: "none"}, map[int64]float64{0: 0.1, 1000: 0.1}},
		{"step", Settings{LearningRate: 0.1, Scheduler: "step", StepSize: 2, StepGamma: 0.5, StepsPerEpoch: 10},
			map[int64]float64{0: 0.1, 19: 0.1, 20: 0.05, 39: 0.05, 40: 0.025}},
		{"cosine", Settings{LearningRate: 0.1, Scheduler: "cosine", Epochs: 10, StepsPerEpoch: 10},
			map[int64]float64{0: 0.1, 50: 0.05, 25: 0.05 * (1 + math.Cos(math.Pi/4)), 100: 0, 150: 0}},
		{"warmup+cosine", Settings{LearningRate: 0.1, Scheduler: "cosine", Epochs: 10, WarmupEpochs: 2, StepsPerEpoch: 10},
			map[int64]float64{0: 0.005, 9: 0.05, 19: 0.1, 20: 0.1, 60: 0.05, 100: 0}},
		{"warmup+step", Settings{LearningRate: 0.1, Scheduler: "step", StepSize: 3, StepGamma: 0.1, WarmupEpochs: 1, StepsPerEpoch: 4},
			map[int64]float64{0: 0.025, 3: 0.1, 4: 0.1, 11: 0.1, 12: 0.01}},
	}
	for _, tt := range tests {
		for step, want := range tt.lr {
			out, err := ExecOnce(testBackend, func(step *Node) *Node {
				return tt.s.learningRateGraph(step, dtypes.Float64)
			}, step)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Value().(float64); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s: lr at step %d = %g, want %g", tt.name, step, got, want)
			}
		}
	}
}

// TestScheduleInTrainer: the learning rate the optimizer uses follows the
// schedule, step by step, inside train.Trainer.
func TestScheduleInTrainer(t *testing.T) {
	s := sgdSettings(config.RegNone, 0, false)
	s.Scheduler, s.StepSize, s.StepGamma, s.StepsPerEpoch = "step", 1, 0.5, 2
	r := newRun(t, s)
	for step, want := range []float64{0.1, 0.1, 0.05, 0.05, 0.025} {
		r.steps(1)
		lr := r.ctx.GetVariableByScopeAndName("/"+optimizers.Scope, optimizers.ParamLearningRate)
		if got := float64(lr.MustValue().Value().(float32)); math.Abs(got-want) > 1e-8 {
			t.Errorf("step %d: learning rate %g, want %g", step, got, want)
		}
	}
}

func TestNewErrorsNameField(t *testing.T) {
	ok := config.Defaults()
	tests := []struct {
		name string
		edit func(*config.Config)
		spe  int
		key  string
	}{
		{"optimizer", func(c *config.Config) { c.Optimizer = "adam" }, 1, "optimizer"},
		{"lr", func(c *config.Config) { c.LearningRate = 0 }, 1, "learning_rate"},
		{"momentum", func(c *config.Config) { c.Momentum = 1 }, 1, "momentum"},
		{"scheduler", func(c *config.Config) { c.Scheduler = "exp" }, 1, "scheduler"},
		{"step size", func(c *config.Config) { c.Scheduler = "step" }, 1, "lr_step_size"},
		{"steps per epoch", func(c *config.Config) { c.Scheduler = "cosine" }, 0, "steps_per_epoch"},
		{"cosine epochs", func(c *config.Config) { c.Scheduler, c.WarmupEpochs = "cosine", 50 }, 1, "epochs"},
		{"clip", func(c *config.Config) { c.GradClip = -1 }, 1, "grad_clip"},
		{"strategy", func(c *config.Config) { c.RegStrategy = "l1" }, 1, "reg_strategy"},
		{"wei_dec lambda", func(c *config.Config) { c.RegStrategy = config.RegWeightDecay }, 1, "weight_decay"},
		{"maxnorm thresh", func(c *config.Config) { c.RegStrategy = config.RegMaxNorm }, 1, "thresh"},
		{"relative thresh", func(c *config.Config) { c.RegStrategy, c.Thresh, c.ThreshRelative = config.RegMaxNorm, 2, true }, 1, "thresh"},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		_, err := New(c, tt.spe)
		var fe *config.FieldError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), `"`+tt.key+`"`) {
			t.Errorf("%s: error %v does not name %q", tt.name, err, tt.key)
		}
	}
	opt, err := New(ok, 0)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if s := opt.Settings(); s.Optimizer != "Adam" || s.LearningRate != 1e-5 || s.Strategy != config.RegNone || s.EveryEpoch {
		t.Errorf("defaults resolved to %+v", s)
	}
}

func TestMissingClassifier(t *testing.T) {
	ctx := context.New()
	ctx.In("head").VariableWithShape("weights", shapes.Make(dtypes.Float32, 4, 2))
	if _, err := ClassifierWeights(ctx, ClassifierScope); err == nil || !strings.Contains(err.Error(), `"classifier"`) {
		t.Errorf("missing classifier: %v", err)
	}
	ctx.In("classifier").VariableWithShape("weights", shapes.Make(dtypes.Float32, 4, 2))
	if v, err := ClassifierWeights(ctx, ClassifierScope); err != nil || v.Scope() != "/classifier" {
		t.Errorf("classifier directly in scope: %v %v", v, err)
	}
	ctx.In("classifier").In("dense").VariableWithShape("weights", shapes.Make(dtypes.Float32, 4, 2))
	if _, err := ClassifierWeights(ctx, ClassifierScope); err == nil || !strings.Contains(err.Error(), "several") {
		t.Errorf("two classifiers: %v", err)
	}
	s := adam(config.RegMaxNorm)
	s.Thresh, s.EveryEpoch = 1, true
	opt, _ := NewFromSettings(s)
	if err := opt.EndOfEpoch(testBackend, context.New()); err == nil {
		t.Error("EndOfEpoch without a classifier: no error")
	}
}
