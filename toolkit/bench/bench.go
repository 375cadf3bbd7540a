package bench

import (
	gocontext "context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gomlxtrain "github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/optim"
	"github.com/debiaser/debiaser/toolkit/train"
)

// Options says what Run times. Zero values take the defaults of Defaults.
type Options struct {
	Model      string   `json:"model"`
	Batches    []int    `json:"batches"`
	Size       int      `json:"size"`
	Precisions []string `json:"precisions"` // "float32", "bfloat16"
	// Variants are graph formulations of the same model to time side by
	// side: each a '+'-joined list of knob names from Knobs ("default",
	// "bnop", "bnops", "poolmask") and at most one "stepsN" (StepsKnob),
	// e.g. "bnop+poolmask", "steps4".
	Variants []string `json:"variants"`
	Classes  int      `json:"classes"`
	Warmup   int      `json:"warmup"`
	Steps    int      `json:"steps"`
	// MaxSeconds stops starting new configurations after this long (0: no limit).
	MaxSeconds float64 `json:"max_seconds"`
}

// Defaults are the PyTorch anchor's settings: ResNet-18 at 224x224,
// batches 64 and 128, 5 warm-up and 20 timed steps, 4 classes, the
// default graph.
func Defaults() Options {
	return Options{Model: "resnet18", Batches: []int{64, 128}, Size: 224, Precisions: []string{models.PrecisionFloat32},
		Variants: []string{VariantDefault}, Classes: 4, Warmup: 5, Steps: 20}
}

// VariantDefault is the variant of the default graph (no knob set).
const VariantDefault = "default"

// Knobs are the names a variant is made of, each setting graph-formulation
// options of models.Options (the same model, built another way).
var Knobs = map[string]func(*models.Options){
	VariantDefault: func(*models.Options) {},
	"bnop":         func(o *models.Options) { o.BatchNorm = models.BatchNormOp },
	"bnops":        func(o *models.Options) { o.BatchNorm = models.BatchNormOps },
	"poolmask":     func(o *models.Options) { o.MaxPoolMasks = true },
}

// StepsKnob is the prefix of the knob "stepsN" (N from 2 to train.MaxStepsPerCall):
// N training steps in one call of the backend, one program that runs the
// model, the loss and the optimizer update N times over N batches, each
// step reading the variables the step before it wrote. Keras calls this
// steps_per_execution: the host returns to the program once per N steps
// (on GoMLX's XLA backend, which waits for every program to finish, the
// GPU idles while the host launches the next call: once per N steps). The
// arithmetic is that of N single steps (train.MultiStep; a run's
// config.StepsPerCall).
const StepsKnob = "steps"

// ApplyVariant sets the model knobs of variant v ('+'-joined names of Knobs,
// and at most one stepsN) on o and returns the training steps per call
// (1 without stepsN); an unknown name is an error naming it and the known
// ones.
func ApplyVariant(v string, o *models.Options) (stepsPerCall int, err error) {
	var unknown []string
	stepsPerCall = 1
	for _, k := range strings.Split(v, "+") {
		k = strings.TrimSpace(k)
		if set, ok := Knobs[k]; ok {
			set(o)
			continue
		}
		if n, ok := strings.CutPrefix(k, StepsKnob); ok && stepsPerCall == 1 {
			if s, err := strconv.Atoi(n); err == nil && s >= 2 && s <= train.MaxStepsPerCall {
				stepsPerCall = s
				continue
			}
		}
		unknown = append(unknown, fmt.Sprintf("%q", k))
	}
	if len(unknown) > 0 {
		known := append(slices.Sorted(maps.Keys(Knobs)), fmt.Sprintf("%sN (N training steps per call, 2 to %d, once)", StepsKnob, train.MaxStepsPerCall))
		return 0, fmt.Errorf("variant %q: unknown knob %s (known: %s)", v, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return stepsPerCall, nil
}

func (o Options) withDefaults() Options {
	d := Defaults()
	if o.Model == "" {
		o.Model = d.Model
	}
	if len(o.Batches) == 0 {
		o.Batches = d.Batches
	}
	if o.Size == 0 {
		o.Size = d.Size
	}
	if len(o.Precisions) == 0 {
		o.Precisions = d.Precisions
	}
	if len(o.Variants) == 0 {
		o.Variants = d.Variants
	}
	if o.Classes == 0 {
		o.Classes = d.Classes
	}
	if o.Steps == 0 {
		o.Steps = d.Steps
	}
	return o
}

// Validate names the first bad option.
func (o Options) Validate() error {
	o = o.withDefaults()
	for _, b := range o.Batches {
		if b < 1 {
			return &config.FieldError{Key: "batches", Reason: fmt.Sprintf("batch size %d < 1", b)}
		}
	}
	for _, p := range o.Precisions {
		if _, err := models.ComputeDType(p); err != nil {
			return &config.FieldError{Key: "precision", Reason: err.Error()}
		}
	}
	for _, v := range o.Variants {
		if _, err := ApplyVariant(v, &models.Options{}); err != nil {
			return &config.FieldError{Key: "variants", Reason: err.Error()}
		}
	}
	switch {
	case o.Size < 8:
		return &config.FieldError{Key: "size", Reason: fmt.Sprintf("%d < 8", o.Size)}
	case o.Warmup < 0:
		return &config.FieldError{Key: "warmup", Reason: fmt.Sprintf("%d < 0", o.Warmup)}
	case o.Steps < 1:
		return &config.FieldError{Key: "steps", Reason: fmt.Sprintf("%d < 1", o.Steps)}
	case o.Classes < 2:
		return &config.FieldError{Key: "classes", Reason: fmt.Sprintf("%d < 2", o.Classes)}
	}
	if _, ok := models.Known[o.Model]; !ok {
		return &config.FieldError{Key: "model", Reason: fmt.Sprintf("unknown model %q", o.Model)}
	}
	return nil
}

// Result is one timed configuration of our step.
type Result struct {
	Model     string `json:"model"`
	Precision string `json:"precision"`
	Variant   string `json:"variant"`
	Batch     int    `json:"batch"`
	Size      int    `json:"size"`
	// StepsPerCall is the training steps in one call of the backend (the
	// stepsN knob; 1 without it): the first step, the warm-up and the
	// timings are whole calls, and the times are per training step.
	StepsPerCall int     `json:"steps_per_call"`
	FirstStep    float64 `json:"first_step_s"` // build + compile (none when an identical program was compiled before: package progcache) + one call
	MsEnd        float64 `json:"ms_per_step_sync_end"`
	IPSEnd       float64 `json:"img_per_s_sync_end"`
	MsEach       float64 `json:"ms_per_step_sync_each"`
	IPSEach      float64 `json:"img_per_s_sync_each"`
	Loss         float64 `json:"loss"`
}

// Run times our training step on backend for every precision, batch size
// and variant (the variants of one batch size one after the other),
// writing a line per result to progress (nil: silent).
func Run(ctx gocontext.Context, backend backends.Backend, o Options, progress io.Writer) ([]Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	var out []Result
	for _, precision := range o.Precisions {
		for _, batch := range o.Batches {
			for _, variant := range o.Variants {
				if err := ctx.Err(); err != nil {
					return out, err
				}
				if o.MaxSeconds > 0 && time.Since(start).Seconds() > o.MaxSeconds {
					fmt.Fprintf(progress, "skipping %s %s b%d: max seconds reached\n", precision, variant, batch)
					continue
				}
				r, err := runOne(ctx, backend, o, precision, variant, batch)
				if err != nil {
					return out, fmt.Errorf("bench: %s %s %s batch %d: %w", o.Model, precision, variant, batch, err)
				}
				out = append(out, r)
				fmt.Fprintf(progress, "RESULT go %-8s %-13s b%-4d first step %6.2fs | %7.2f ms/step -> %8.1f img/s (sync at end) | %7.2f ms/step -> %8.1f img/s (sync per step) | loss %.4f\n",
					precision, variant, batch, r.FirstStep, r.MsEnd, r.IPSEnd, r.MsEach, r.IPSEach, r.Loss)
			}
		}
	}
	return out, nil
}

// stepper is one model's training step on one fixed batch: GoMLX's
// Trainer (what a run uses), or with k > 1 one program of k steps.
type stepper struct {
	trainer *gomlxtrain.Trainer
	multi   *context.Exec
	k       int
	x, y    *tensors.Tensor
}

func newStepper(backend backends.Backend, o Options, precision, variant string, batch int) (*stepper, error) {
	cfg := config.Defaults()
	cfg.ModelName, cfg.NClass, cfg.Pretrained, cfg.Full, cfg.Precision = o.Model, o.Classes, false, true, precision
	cfg.BatchSize = batch
	model, err := models.New(cfg)
	if err != nil {
		return nil, err
	}
	k, err := ApplyVariant(variant, &model.Options)
	if err != nil {
		return nil, err
	}
	counts := make([]int, o.Classes)
	for i := range counts {
		counts[i] = 1
	}
	lossFn, err := losses.New(losses.FromConfig(cfg), counts)
	if err != nil {
		return nil, err
	}
	opt, err := optim.New(cfg, 1)
	if err != nil {
		return nil, err
	}
	mctx := context.New()
	mctx.SetParam(context.ParamInitialSeed, int64(1)) // same initial weights for every precision
	if err := model.Init(mctx, backend); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(batch), 1))
	pixels := make([]float32, batch*o.Size*o.Size*3)
	for i := range pixels {
		pixels[i] = float32(rng.NormFloat64())
	}
	labels := make([]int32, batch)
	for i := range labels {
		labels[i] = int32(rng.IntN(o.Classes))
	}
	s := &stepper{
		k: k,
		x: tensors.FromFlatDataAndDimensions(pixels, batch, o.Size, o.Size, 3),
		y: tensors.FromFlatDataAndDimensions(labels, batch, 1),
	}
	if k == 1 {
		s.trainer = gomlxtrain.NewTrainer(backend, mctx, model.Fn, lossFn, opt, nil, nil)
		return s, nil
	}
	lossOnly := func(_ *context.Context, loss *graph.Node, _ []*graph.Node) *graph.Node { return loss }
	if s.multi, err = context.NewExec(backend, mctx.Checked(false), train.MultiStep(model.Fn, lossFn, opt, k, lossOnly)); err != nil {
		return nil, err
	}
	s.multi = s.multi.WithName(fmt.Sprintf("debiaser/steps%d", k))
	return s, nil
}

// step runs one call: one training step, or k of them; with sync it
// reads the (last step's) loss back.
func (s *stepper) step(sync bool) (loss float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("training step: %v", r)
		}
	}()
	var out []*tensors.Tensor
	if s.multi != nil {
		args := make([]any, 0, 2*s.k)
		for range s.k {
			args = append(args, s.x)
		}
		for range s.k {
			args = append(args, s.y)
		}
		out, err = s.multi.Exec(args...)
	} else {
		out, err = s.trainer.TrainStep(nil, []*tensors.Tensor{s.x}, []*tensors.Tensor{s.y})
	}
	if err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, errors.New("training step returned no metrics")
	}
	if sync {
		loss = last(out[0])
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, fmt.Errorf("loss is %v", loss)
		}
	}
	return loss, nil
}

// last is the last value of a float tensor (a loss, or the losses of k steps).
func last(t *tensors.Tensor) float64 {
	switch t.Shape().DType {
	case dtypes.Float64:
		v := tensors.MustCopyFlatData[float64](t)
		return v[len(v)-1]
	case dtypes.Float32:
		v := tensors.MustCopyFlatData[float32](t)
		return float64(v[len(v)-1])
	}
	return math.NaN()
}

func runOne(ctx gocontext.Context, backend backends.Backend, o Options, precision, variant string, batch int) (Result, error) {
	r := Result{Model: o.Model, Precision: precision, Variant: variant, Batch: batch, Size: o.Size}
	t0 := time.Now()
	s, err := newStepper(backend, o, precision, variant, batch)
	if err != nil {
		return r, err
	}
	r.StepsPerCall = s.k
	if _, err := s.step(true); err != nil {
		return r, err
	}
	r.FirstStep = time.Since(t0).Seconds()
	// Calls of k steps: the warm-up and each timing round up to whole calls.
	calls := func(steps int) int { return (steps + s.k - 1) / s.k }
	for range calls(o.Warmup) {
		if _, err := s.step(false); err != nil {
			return r, err
		}
	}
	if _, err := s.step(true); err != nil { // drain the warm-up
		return r, err
	}
	timed := func(syncEach bool) (float64, error) {
		t := time.Now()
		n := calls(o.Steps)
		for i := range n {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			var err error
			if r.Loss, err = s.step(syncEach || i == n-1); err != nil {
				return 0, err
			}
		}
		return time.Since(t).Seconds() / float64(n*s.k), nil
	}
	dt, err := timed(false)
	if err != nil {
		return r, err
	}
	r.MsEnd, r.IPSEnd = dt*1e3, float64(batch)/dt
	if dt, err = timed(true); err != nil {
		return r, err
	}
	r.MsEach, r.IPSEach = dt*1e3, float64(batch)/dt
	return r, nil
}
