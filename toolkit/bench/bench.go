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
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gomlxtrain "github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/optim"
)

// Options says what Run times. Zero values take the defaults of Defaults.
type Options struct {
	Model      string   `json:"model"`
	Batches    []int    `json:"batches"`
	Size       int      `json:"size"`
	Precisions []string `json:"precisions"` // "float32", "bfloat16"
	// Variants are graph formulations of the same model to time side by
	// side: each a '+'-joined list of knob names from Knobs ("default",
	// "bnop", "bnops", "poolmask"), e.g. "bnop+poolmask".
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

// ApplyVariant sets the knobs of variant v ('+'-joined names of Knobs) on
// o; an unknown name is an error naming it and the known ones.
func ApplyVariant(v string, o *models.Options) error {
	var unknown []string
	for _, k := range strings.Split(v, "+") {
		if set, ok := Knobs[strings.TrimSpace(k)]; ok {
			set(o)
		} else {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) > 0 {
		known := slices.Sorted(maps.Keys(Knobs))
		return fmt.Errorf("variant %q: unknown knob %s (known: %s)", v, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return nil
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
		if err := ApplyVariant(v, &models.Options{}); err != nil {
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
	Model     string  `json:"model"`
	Precision string  `json:"precision"`
	Variant   string  `json:"variant"`
	Batch     int     `json:"batch"`
	Size      int     `json:"size"`
	FirstStep float64 `json:"first_step_s"` // build + compile + one step
	MsEnd     float64 `json:"ms_per_step_sync_end"`
	IPSEnd    float64 `json:"img_per_s_sync_end"`
	MsEach    float64 `json:"ms_per_step_sync_each"`
	IPSEach   float64 `json:"img_per_s_sync_each"`
	Loss      float64 `json:"loss"`
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

// stepper is one model's training step on one fixed batch.
type stepper struct {
	trainer *gomlxtrain.Trainer
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
	if err := ApplyVariant(variant, &model.Options); err != nil {
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
	return &stepper{
		trainer: gomlxtrain.NewTrainer(backend, mctx, model.Fn, lossFn, opt, nil, nil),
		x:       tensors.FromFlatDataAndDimensions(pixels, batch, o.Size, o.Size, 3),
		y:       tensors.FromFlatDataAndDimensions(labels, batch, 1),
	}, nil
}

// step runs one training step; with sync it reads the loss back.
func (s *stepper) step(sync bool) (loss float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("training step: %v", r)
		}
	}()
	out, err := s.trainer.TrainStep(nil, []*tensors.Tensor{s.x}, []*tensors.Tensor{s.y})
	if err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, errors.New("training step returned no metrics")
	}
	if sync {
		loss = scalar(out[0])
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, fmt.Errorf("loss is %v", loss)
		}
	}
	return loss, nil
}

func scalar(t *tensors.Tensor) float64 {
	switch t.Shape().DType {
	case dtypes.Float64:
		return tensors.MustCopyFlatData[float64](t)[0]
	case dtypes.Float32:
		return float64(tensors.MustCopyFlatData[float32](t)[0])
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
	if _, err := s.step(true); err != nil {
		return r, err
	}
	r.FirstStep = time.Since(t0).Seconds()
	for range o.Warmup {
		if _, err := s.step(false); err != nil {
			return r, err
		}
	}
	if _, err := s.step(true); err != nil { // drain the warm-up
		return r, err
	}
	timed := func(syncEach bool) (float64, error) {
		t := time.Now()
		for i := range o.Steps {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			var err error
			if r.Loss, err = s.step(syncEach || i == o.Steps-1); err != nil {
				return 0, err
			}
		}
		return time.Since(t).Seconds() / float64(o.Steps), nil
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
