package models

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/models/weights"
)

// Names of the classifier head's scope and variables. Optimizer strategies
// (l2_norm, maxnorm) find the last linear layer by these names: its
// variables are <model scope>/classifier/weights [features, n_class] and
// <model scope>/classifier/biases [n_class].
const (
	ClassifierScope   = "classifier"
	ClassifierWeights = "weights"
	ClassifierBiases  = "biases"
)

// DefaultDropout is the study's head dropout.
const DefaultDropout = 0.5

// Options are the study's load_model arguments.
type Options struct {
	NClass int `json:"n_class"`
	// Pretrained loads torchvision's ImageNet weights (from WeightsPath if
	// set, else from the cache, downloading if allowed).
	Pretrained bool `json:"pretrained"`
	// Full fine-tunes every layer; false trains only the new head (the
	// backbone's variables are not trainable and its batch norm stays in
	// inference mode).
	Full bool `json:"full"`
	// WeightsPath is a local .pth or .safetensors state dict. When set it
	// is always loaded, pretrained or not, and nothing is downloaded.
	WeightsPath string `json:"weights_path,omitempty"`
	// Dropout is the head's dropout rate: 0 means DefaultDropout, a
	// negative value disables it.
	Dropout float64 `json:"dropout,omitempty"`
	// Precision is the compute type of convolutions, matrix products and
	// activations: "float32" (or empty) or "bfloat16" (mixed precision:
	// variables, batch-norm statistics, logits, loss and optimizer state
	// stay float32; see Precision).
	Precision string `json:"precision,omitempty"`
	// HeadBias is the initial value of every bias of a new head (not one
	// loaded from WeightsPath); 0 initialises them like torch.nn.Linear,
	// U(-1/sqrt(features), 1/sqrt(features)). New sets it from the loss:
	// losses.InitialBias, Cui et al.'s -log(C-1) for the sigmoid-based
	// class-balanced losses.
	HeadBias float64 `json:"-"`
	// CosineScale > 0 makes the head's last layer a cosine classifier, Cao
	// et al.'s NormedLinear times CosineScale: the logits are s times the
	// cosine between the (ReLU, dropout) features and each class's weight
	// column, and it has no biases. New sets it to ldam_scale for loss_type
	// LDAM, as Cao et al.'s code pairs the two; 0 is the linear head.
	CosineScale float64 `json:"-"`
	// Fetch says where cached ImageNet weights live and whether Build may
	// download them.
	Fetch weights.FetchOptions `json:"-"`

	// Graph formulations of the same model, for timing them against each
	// other (toolkit/bench variants); not run-config keys. The zero values
	// build the default graph.

	// BatchNorm picks how training-mode batch norm is built: BatchNormOp
	// (the backend's fused op, graph.InternalBatchNormForTraining, with its
	// gradient BatchNormGradient), BatchNormOps (separate mean, centring
	// and variance ops), or "" (BatchNormAuto): the op where the backend
	// has it and its gradient (XLA, gofast), else separate ops (SimpleGo).
	// Measured for whole training steps: on XLA 15% faster (H200, ResNet-18
	// bfloat16, batch 128: 10.21 vs 11.75 ms), on gofast 1.4x (ResNet-18
	// at 64x64, batch 16) and 1.8x (small CNN at 28x28, batch 32). Same
	// statistics and gradients, to float32 rounding.
	BatchNorm string `json:"-"`
	// MaxPoolMasks builds max pooling from strided slices, an element-wise
	// max and first-maximum masks (see maxPoolMasks), so its gradient needs
	// no SelectAndScatter. Same values and gradients (exactly).
	MaxPoolMasks bool `json:"-"`
}

// Batch-norm formulations (Options.BatchNorm).
const (
	BatchNormAuto = ""    // the op where the backend has it (XLA, gofast), else separate ops
	BatchNormOp   = "op"  // the backend's fused batch-norm op
	BatchNormOps  = "ops" // separate mean, centring and variance ops
)

// Architecture is one entry of Known: a backbone built from its stage
// table, the width of its pooled features and how its parameters are named
// in PyTorch.
type Architecture struct {
	Name  string
	Paper string
	// Features is the width of the pooled features the head sees (512 for
	// ResNet-18, 1280 for MobileNetV2 and EfficientNet-B0).
	Features int
	// TorchHead is the prefix of torchvision's own classifier (skipped
	// when loading ImageNet weights); StudyHead that of the study's
	// replacement head's Linear (loaded when a file has it).
	TorchHead, StudyHead string
	// Weights describes the ImageNet weights; nil when there are none.
	Weights *weights.Descriptor
	// MinInput is the smallest square input the backbone accepts.
	MinInput int

	backbone func(b *builder, ctx *context.Context, x *graph.Node) *graph.Node
}

// Known lists every architecture by name.
var Known = map[string]*Architecture{
	"small_cnn":       smallCNN,
	"resnet18":        resNet18,
	"resnet32":        resNet32,
	"mobilenet_v2":    mobileNetV2,
	"efficientnet_b0": efficientNetB0,
}

// Names returns the names in Known, sorted.
func Names() []string { return slices.Sorted(maps.Keys(Known)) }

// Model is a built architecture with its options (and weights, if any).
// Its Fn is the model graph function for GoMLX's trainer.
type Model struct {
	Name    string
	Options Options
	arch    *Architecture
	state   *weights.StateDict
	used    map[string]bool // PyTorch keys consumed, recorded during Init
	compute dtypes.DType    // Float32, or BFloat16 for mixed precision
}

// Build is the study's load_model(model_id, n_class, pretrained, full).
// It reads the weights file when one is needed (an error names the file);
// Init then checks every parameter against the architecture.
func Build(name string, opts Options) (*Model, error) {
	arch, ok := Known[name]
	if !ok {
		return nil, fmt.Errorf("models: unknown model %q, valid names are %s", name, strings.Join(Names(), ", "))
	}
	return newModel(arch, opts)
}

// CheckName is nil when name (config key model_name) is in Known, else a
// *config.FieldError listing the names.
func CheckName(name string) error {
	if _, ok := Known[name]; !ok {
		return &config.FieldError{Key: "model_name", Reason: fmt.Sprintf("unknown %q (valid: %s)", name, strings.Join(Names(), ", "))}
	}
	return nil
}

// New builds the model a run config asks for. An unknown model_name is a
// *config.FieldError. The head's biases start at the loss's
// losses.InitialBias.
func New(c config.Config) (*Model, error) {
	if err := CheckName(c.ModelName); err != nil {
		return nil, err
	}
	return Build(c.ModelName, Options{
		NClass: c.NClass, Pretrained: c.Pretrained, Full: c.Full,
		WeightsPath: c.WeightsPath, Dropout: c.Dropout, Precision: c.Precision,
		HeadBias:    losses.InitialBias(losses.FromConfig(c), c.NClass),
		CosineScale: cosineScale(c),
	})
}

// cosineScale is Options.CosineScale for a run config: ldam_scale with
// loss_type LDAM, else 0 (the linear head).
func cosineScale(c config.Config) float64 {
	if c.LossFamily == losses.FamilyCB && c.LossType == losses.TypeLDAM {
		return c.LDAMScale
	}
	return 0
}

func newModel(arch *Architecture, opts Options) (*Model, error) {
	if opts.NClass < 1 {
		return nil, fmt.Errorf("models: %s: n_class must be >= 1, got %d", arch.Name, opts.NClass)
	}
	switch opts.BatchNorm {
	case BatchNormAuto, BatchNormOp, BatchNormOps:
	default:
		return nil, fmt.Errorf("models: %s: batch-norm formulation %q: want %q, %q or %q (auto)", arch.Name, opts.BatchNorm, BatchNormOp, BatchNormOps, BatchNormAuto)
	}
	if !(opts.CosineScale >= 0) || math.IsInf(opts.CosineScale, 0) {
		return nil, fmt.Errorf("models: %s: cosine classifier scale must be a finite value >= 0, got %g", arch.Name, opts.CosineScale)
	}
	if opts.Dropout >= 1 {
		return nil, fmt.Errorf("models: %s: dropout must be < 1, got %g", arch.Name, opts.Dropout)
	}
	compute, err := ComputeDType(opts.Precision)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", arch.Name, err)
	}
	m := &Model{Name: arch.Name, Options: opts, arch: arch, compute: compute}
	path := opts.WeightsPath
	if path == "" && opts.Pretrained {
		if arch.Weights == nil {
			return nil, fmt.Errorf("models: %s has no ImageNet weights; set weights_path or pretrained=false", arch.Name)
		}
		var err error
		if path, err = weights.Fetch(*arch.Weights, opts.Fetch); err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
	}
	if path != "" {
		sd, err := weights.Read(path)
		if err != nil {
			return nil, fmt.Errorf("models: %s: %w", arch.Name, err)
		}
		m.state = sd
	}
	return m, nil
}

// Architecture returns the model's architecture entry.
func (m *Model) Architecture() *Architecture { return m.arch }

func (m *Model) dropout() float64 {
	switch {
	case m.Options.Dropout == 0:
		return DefaultDropout
	case m.Options.Dropout < 0:
		return 0
	}
	return m.Options.Dropout
}

// Fn is the model graph function (GoMLX train.ModelFn): inputs[0] is an
// NHWC batch [batch, H, W, 3] (any float dtype; it is cast to the compute
// dtype); the one output is the float32 logits [batch, n_class]. Variables live below ctx's scope with PyTorch's module
// names ("/layer1/0/conv1/weight", ...). It may panic (graph building);
// call Init first to get loading problems as errors. Fn is
// HeadFn(BackboneFn(images)).
func (m *Model) Fn(ctx *context.Context, spec any, inputs []*graph.Node) []*graph.Node {
	_ = spec
	return []*graph.Node{m.HeadFn(ctx, m.BackboneFn(ctx, inputs[0]))}
}

// BackboneFn is the first part of Fn: the backbone's pooled features
// [batch, Architecture.Features] of an NHWC batch, in the compute dtype.
// With a frozen backbone (Options.Full false) they are Fn's features in
// training and inference graphs alike (batch norm uses its running
// averages, stochastic depth is off) and carry no gradient: no training
// step changes them, so the features of an image that is not augmented
// can be computed once and kept.
func (m *Model) BackboneFn(ctx *context.Context, images *graph.Node) *graph.Node {
	// Variables may already exist (Init, a checkpoint): reuse them.
	ctx = ctx.Checked(false)
	b := m.newBuilder(ctx, images.Graph())
	features := m.arch.backbone(b, ctx, b.toCompute(images))
	if !m.Options.Full {
		// Frozen backbone: no gradient is computed through it at all.
		features = graph.StopGradient(features)
	}
	return features
}

// HeadFn is the second part of Fn: the study's head on pooled features
// (BackboneFn's, or the same values in another float dtype: they are cast
// to the compute dtype), the float32 logits [batch, n_class].
func (m *Model) HeadFn(ctx *context.Context, features *graph.Node) *graph.Node {
	ctx = ctx.Checked(false)
	b := m.newBuilder(ctx, features.Graph())
	return b.head(ctx, b.toCompute(features))
}

func (m *Model) newBuilder(ctx *context.Context, g *graph.Graph) *builder {
	return &builder{m: m, g: g, base: ctx.Scope(), trainBackbone: m.Options.Full && ctx.IsTraining(g)}
}

// Init creates the model's variables in ctx by building its graph once (not
// running it) on backend. With a weights file it loads every backbone
// parameter, converting PyTorch layouts, and returns an error naming the
// first missing or misshapen parameter, or parameters the architecture does
// not have (a file of another architecture). Variables without a value
// (the new head, or everything without weights) are initialised as usual
// when the context is first used.
func (m *Model) Init(ctx *context.Context, backend backends.Backend) (err error) {
	g := graph.NewGraph(backend, "models_init_"+m.Name)
	defer g.Finalize()
	m.used = map[string]bool{}
	defer func() { m.used = nil }()
	err = catch(func() {
		s := m.arch.MinInput
		x := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, s, s, 3))
		m.Fn(ctx, nil, []*graph.Node{x})
	})
	if err != nil {
		return fmt.Errorf("models: %s: %w", m.Name, err)
	}
	if m.state == nil {
		return nil
	}
	var extra []string
	for _, key := range m.state.Keys() {
		if key == m.arch.StudyHead+".bias" && m.Options.CosineScale > 0 {
			return fmt.Errorf("models: load %s weights from %s: the file's head is linear (it has %s), the model's a cosine head without biases (loss_type LDAM): load a file without the head, or train with another loss",
				m.Name, m.state.Path, key)
		}
		if !m.used[key] && !strings.HasPrefix(key, m.arch.TorchHead+".") {
			extra = append(extra, key)
		}
	}
	if len(extra) > 0 {
		more := ""
		if len(extra) > 5 {
			more = fmt.Sprintf(" and %d more", len(extra)-5)
			extra = extra[:5]
		}
		return fmt.Errorf("models: load %s weights from %s: %s has no parameter %s%s: file is not a %s state dict",
			m.Name, m.state.Path, m.Name, strings.Join(extra, ", "), more, m.Name)
	}
	return nil
}

// catch runs fn and returns a panic as an error.
func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	fn()
	return nil
}

// CountParams is the number of parameters (weights and biases, not batch
// norm's running statistics) of model name with an nClass-way head, as
// PyTorch's sum(p.numel() for p in model.parameters()) counts them. With
// nClass=1000 it matches torchvision's published num_params.
func CountParams(backend backends.Backend, name string, nClass int) (int, error) {
	m, err := Build(name, Options{NClass: nClass})
	if err != nil {
		return 0, err
	}
	ctx := context.New()
	if err := m.Init(ctx, backend); err != nil {
		return 0, err
	}
	return ParamsIn(ctx), nil
}

// ParamsIn counts the parameters of the model variables in ctx (below its
// scope), leaving out batch norm's running statistics.
func ParamsIn(ctx *context.Context) int {
	trainable, frozen := TrainableParams(ctx)
	return trainable + frozen
}
