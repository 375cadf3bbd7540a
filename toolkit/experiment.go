package toolkit

import (
	"cmp"
	gocontext "context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gomlxtrain "github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/optim"
	"github.com/debiaser/debiaser/toolkit/runlog"
	"github.com/debiaser/debiaser/toolkit/sampling"
	"github.com/debiaser/debiaser/toolkit/train"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// Experiment builds one training run. Every method sets fields of its
// config (or run options) and returns the experiment; the first error is
// kept and returned by Config, Run or MustRun.
type Experiment struct {
	cfg         config.Config
	note        string
	logDir      string
	logPath     string
	checkpoints bool
	resume      bool
	restoreBest bool
	progress    io.Writer
	train       *data.Dataset
	valid       *data.Dataset
	backend     backends.Backend
	// inputs, when set (by RunStudy), is shared with other runs on the
	// same data: validation batches and uploads are made once for all.
	inputs *runInputs
	// initial, when set (by Search), gives the run its initial variable
	// values from runs that started alike before it (see
	// train.InitialValues) instead of inputs' own.
	initial *train.InitialValues
	// skipped, set by Study and Search (which load the data themselves),
	// are the files their loader left out, for each run's log.
	skipped []*data.FileError
	// wholeModel evaluates through the whole model even with a frozen
	// backbone (tests compare it with train.Setup.Frozen's split).
	wholeModel bool
	err        error
}

// New starts from the study's baseline recipe (config.Defaults) on the
// embedded default dataset; set what differs.
func New() *Experiment { return FromConfig(config.Defaults()) }

// FromConfig starts from a complete config, e.g. a var_dict read back.
func FromConfig(c config.Config) *Experiment {
	return &Experiment{cfg: c, logDir: "runs", restoreBest: true}
}

// FromLog starts from the var_dict of a run log, to re-run it.
func FromLog(path string) (*Experiment, error) {
	l, err := runlog.Read(path)
	if err != nil {
		return nil, err
	}
	return FromConfig(l.VarDict).Note(l.Note), nil
}

func (e *Experiment) set(fn func(c *config.Config)) *Experiment {
	fn(&e.cfg)
	return e
}

func (e *Experiment) fail(err error) *Experiment {
	if e.err == nil {
		e.err = err
	}
	return e
}

// Set sets any config field by its var_dict key, with the value's JSON
// form: Set("beta", 0.99), Set("sampling_strategy", "weighted").
func (e *Experiment) Set(key string, value any) *Experiment {
	b, err := json.Marshal(map[string]any{key: value})
	if err != nil {
		return e.fail(fmt.Errorf("set %q: %w", key, err))
	}
	if _, err := config.Decode(b, &e.cfg, true); err != nil {
		return e.fail(err)
	}
	return e
}

// Dataset selects an embedded dataset by name ("mnist-lt", "fashion-mnist-lt",
// "shapes-study": generated, with the study's four classes and counts).
func (e *Experiment) Dataset(name string) *Experiment {
	return e.set(func(c *config.Config) { c.Dataset, c.TrainPath, c.ValidPath = name, "", "" })
}

// Data is the study's load_image(train_path, valid_path): image folders
// with one sub-folder per class. An empty validPath splits trainPath by
// the valid fraction (ValidFraction).
func (e *Experiment) Data(trainPath, validPath string) *Experiment {
	return e.set(func(c *config.Config) { c.Dataset, c.TrainPath, c.ValidPath = "", trainPath, validPath })
}

// Datasets trains on datasets already in memory (their images are resized
// by the transforms).
func (e *Experiment) Datasets(train, valid *data.Dataset) *Experiment {
	e.train, e.valid = train, valid
	return e
}

// ValidFraction is the share of each class held out when Data has no valid folder.
func (e *Experiment) ValidFraction(f float64) *Experiment {
	return e.set(func(c *config.Config) { c.ValidFraction = f })
}

// ImbalanceFactor is n_max / n_min of the data: it shapes an embedded
// long-tailed dataset (0: 10), and makes folder data long-tailed at load
// time (0: the folders as they are; see datasets.LongTail).
func (e *Experiment) ImbalanceFactor(f float64) *Experiment {
	return e.set(func(c *config.Config) { c.ImbalanceFactor = f })
}

// SkipBadFiles skips unreadable images (listed in the log's
// run.skipped_files and the progress output) instead of failing.
func (e *Experiment) SkipBadFiles() *Experiment {
	return e.set(func(c *config.Config) { c.SkipBadFiles = true })
}

// BatchSize sets batch_size.
func (e *Experiment) BatchSize(n int) *Experiment {
	return e.set(func(c *config.Config) { c.BatchSize = n })
}

// Sampling sets sampling_strategy: "none", "weighted", "oversampling", "undersampling".
func (e *Experiment) Sampling(strategy string) *Experiment {
	return e.set(func(c *config.Config) { c.SamplingStrategy = strategy })
}

// ImageSize sets image_size, the side of the square model input.
func (e *Experiment) ImageSize(n int) *Experiment {
	return e.set(func(c *config.Config) { c.ImageSize = n })
}

// Normalize sets normalize_mean and normalize_std: one value for every
// channel, or three (mean..., std...) as Normalize(m1, m2, m3, s1, s2, s3).
func (e *Experiment) Normalize(meanStd ...float64) *Experiment {
	switch len(meanStd) {
	case 2:
		return e.set(func(c *config.Config) {
			c.NormalizeMean, c.NormalizeStd = []float64{meanStd[0]}, []float64{meanStd[1]}
		})
	case 6:
		return e.set(func(c *config.Config) {
			c.NormalizeMean, c.NormalizeStd = meanStd[:3:3], meanStd[3:]
		})
	}
	return e.fail(&config.FieldError{Key: "normalize_mean", Reason: fmt.Sprintf("Normalize takes 2 or 6 values, got %d", len(meanStd))})
}

// Flips turns on random horizontal and vertical flips.
func (e *Experiment) Flips(horizontal, vertical bool) *Experiment {
	return e.set(func(c *config.Config) { c.HFlip, c.VFlip = horizontal, vertical })
}

// Rotate turns on random rotation in [-degrees, degrees]; 0 turns it off.
func (e *Experiment) Rotate(degrees float64) *Experiment {
	return e.set(func(c *config.Config) { c.Rotate, c.Degrees = degrees > 0, degrees })
}

// Crop turns on random resized crops for training (centre crop for validation).
func (e *Experiment) Crop(on bool) *Experiment { return e.set(func(c *config.Config) { c.Crop = on }) }

// AugmentOn sets augment_on, where training augmentation runs: "host"
// (the default: per sample in Go) or "device" (in a graph on the backend,
// on the training images uploaded once; same batches as the host: see
// toolkit/transforms/devaug).
func (e *Experiment) AugmentOn(where string) *Experiment {
	return e.set(func(c *config.Config) { c.AugmentOn = where })
}

// Model is the study's load_model(model_id, pretrained, full).
func (e *Experiment) Model(name string, pretrained, full bool) *Experiment {
	return e.set(func(c *config.Config) { c.ModelName, c.Pretrained, c.Full = name, pretrained, full })
}

// Weights loads a local .pth or .safetensors state dict into the model.
func (e *Experiment) Weights(path string) *Experiment {
	return e.set(func(c *config.Config) { c.WeightsPath = path })
}

// DropLast leaves out each epoch's last partial training batch (config
// key drop_last): one training-step shape, one XLA compile.
func (e *Experiment) DropLast(on bool) *Experiment {
	return e.set(func(c *config.Config) { c.DropLast = on })
}

// StepsPerCall runs k training steps in one call of the backend (Keras'
// steps_per_execution; 1 to 16, default 1): on a GPU the host then waits
// for the device once per k steps. Same arithmetic, same log.
func (e *Experiment) StepsPerCall(k int) *Experiment {
	return e.set(func(c *config.Config) { c.StepsPerCall = k })
}

// EvalBatchSize is the validation pass's batch (Keras'
// validation_batch_size; config key eval_batch_size): 0 (default) is the
// training batch size, otherwise a multiple of it. Larger batches mean
// fewer backend calls and better use of a GPU; the validation loss is
// still the mean of the losses of every batch_size samples, as the
// study computed it.
func (e *Experiment) EvalBatchSize(n int) *Experiment {
	return e.set(func(c *config.Config) { c.EvalBatchSize = n })
}

// Precision is the compute type: "float32" (default) or "bfloat16" (mixed
// precision: bf16 convolutions and activations, float32 variables, batch
// norm statistics, loss and optimizer state; see models.ComputeDType).
func (e *Experiment) Precision(p string) *Experiment {
	return e.set(func(c *config.Config) { c.Precision = p })
}

// Loss is the study's load_loss(loss_family, loss_type): "baseline"; "CB"
// with "CE", "BCE_sigmoid", "BCE_softmax" or "focal"; "MFE" with "MFE" or
// "MSFE"; and, beyond the study, "LA" with "CE" (logit adjustment: see Tau)
// and "CB" with "LDAM" (Cao et al.'s margin loss on a cosine head: config
// keys ldam_margin and ldam_scale; with DRWEpoch, LDAM-DRW).
func (e *Experiment) Loss(family, lossType string) *Experiment {
	return e.set(func(c *config.Config) { c.LossFamily, c.LossType = family, lossType })
}

// Weighting sets the class weights of CB losses: "INS", "ISNS", "ENS" (with beta), or "none".
func (e *Experiment) Weighting(weighting string, beta float64) *Experiment {
	return e.set(func(c *config.Config) { c.Weighting, c.Beta = weighting, beta })
}

// Gamma sets the focal loss's gamma.
func (e *Experiment) Gamma(g float64) *Experiment {
	return e.set(func(c *config.Config) { c.Gamma = g })
}

// Tau sets the logit adjustment's scale (loss_family LA; 1, the default,
// is the balanced softmax).
func (e *Experiment) Tau(t float64) *Experiment {
	return e.set(func(c *config.Config) { c.Tau = t })
}

// DRWEpoch defers the class weights of loss_family CB to the epochs
// after the first n (deferred re-weighting, Cao et al. 2019: those train
// with every class weight 1); 0 weights from the start. The validation
// loss is the weighted loss in every epoch.
func (e *Experiment) DRWEpoch(n int) *Experiment {
	return e.set(func(c *config.Config) { c.DRWEpoch = n })
}

// DRSEpoch defers re-sampling to the epochs after the first n (deferred
// re-sampling, Cao et al. 2019: those visit every training image once,
// the later ones draw with Sampling("weighted"), which it needs); 0
// re-samples from the start.
func (e *Experiment) DRSEpoch(n int) *Experiment {
	return e.set(func(c *config.Config) { c.DRSEpoch = n })
}

// BestBy picks the validation metric that chooses the best epoch (for the
// summary, early stopping and restore-best): "" or "valid_loss" (the
// default), or e.g. "valid_balanced_accuracy".
func (e *Experiment) BestBy(metric string) *Experiment {
	return e.set(func(c *config.Config) { c.BestBy = metric })
}

// Optimizer is the study's load_optimizer(optimizer_name, lr): "Adam" or "SGD".
func (e *Experiment) Optimizer(name string, lr float64) *Experiment {
	return e.set(func(c *config.Config) { c.Optimizer, c.LearningRate = name, lr })
}

// Regularize sets reg_strategy with its parameter: "wei_dec" with the
// weight decay, "maxnorm" with the threshold, "l2_norm" (value ignored),
// "none".
func (e *Experiment) Regularize(strategy string, value float64) *Experiment {
	return e.set(func(c *config.Config) {
		c.RegStrategy = strategy
		switch strategy {
		case config.RegWeightDecay:
			c.WeightDecay = value
		case config.RegMaxNorm:
			c.Thresh = value
		}
	})
}

// Epochs sets epochs.
func (e *Experiment) Epochs(n int) *Experiment { return e.set(func(c *config.Config) { c.Epochs = n }) }

// Patience stops training after n epochs without a better validation loss
// (0: never) and restores the best epoch's weights.
func (e *Experiment) Patience(n int) *Experiment {
	return e.set(func(c *config.Config) { c.Patience = n })
}

// Seed sets the seed of everything random in the run.
func (e *Experiment) Seed(s int64) *Experiment { return e.set(func(c *config.Config) { c.Seed = s }) }

// Backend names the GoMLX backend ("gofast", "go", "xla:cpu", "xla:/path/to/plugin.so");
// empty picks one (see SelectBackend).
func (e *Experiment) Backend(name string) *Experiment {
	return e.set(func(c *config.Config) { c.Backend = name })
}

// UseBackend runs on a backend already made (notebooks share one).
func (e *Experiment) UseBackend(b backends.Backend) *Experiment {
	e.backend = b
	return e
}

// Note is the log's free-text note (the study's note).
func (e *Experiment) Note(s string) *Experiment {
	e.note = s
	return e
}

// LogID names the log file (LOGDIR/LOGID.json); default: the note and date.
func (e *Experiment) LogID(id string) *Experiment {
	return e.set(func(c *config.Config) { c.LogID = id })
}

// LogDir is where the run log goes (default "runs"); "" keeps it in memory.
func (e *Experiment) LogDir(dir string) *Experiment {
	e.logDir = dir
	return e
}

// LogPath writes the run log at exactly this path.
func (e *Experiment) LogPath(path string) *Experiment {
	e.logPath = path
	return e
}

// Checkpoints keeps the model after every epoch next to the log, so the
// run can be resumed (Resume).
func (e *Experiment) Checkpoints(on bool) *Experiment {
	e.checkpoints = on
	return e
}

// Resume continues the run at LogPath from its checkpoint.
func (e *Experiment) Resume() *Experiment {
	e.resume, e.checkpoints = true, true
	return e
}

// Verbose sends progress lines to w (the study's verbose=True); nil is silent.
func (e *Experiment) Verbose(w io.Writer) *Experiment {
	e.progress = w
	return e
}

// Config returns the config as it stands, validated.
func (e *Experiment) Config() (config.Config, error) {
	if e.err != nil {
		return e.cfg, e.err
	}
	return e.cfg, validateAll(e.cfg)
}

// validateAll checks c's ranges and enumerations (config.Validate) and the
// names owned by other packages' registries (model_name, the loss keys),
// so that a bad value is reported, naming its key, before any data loads.
func validateAll(c config.Config) error {
	return errors.Join(c.Validate(), models.CheckName(c.ModelName), losses.FromConfig(c).ValidateNames(), runlog.CheckBestBy(c.BestBy))
}

// Result is a finished run.
type Result struct {
	Log     *runlog.Log
	LogPath string
	Config  config.Config
	Model   *models.Model
	// Context holds the trained variables.
	Context *context.Context
	Backend backends.Backend
	// Skipped lists the image files left out under SkipBadFiles.
	Skipped []*data.FileError
}

// Free releases the trained variables (weights, batch-norm averages,
// optimizer state) on the backend's device; Context is unusable after it.
// The run's programs are freed when it ends. A GPU's memory is not Go
// memory: without Free, the variables of runs made in a loop stay on the
// device until a garbage collection, which a small Go heap may not start
// for many runs. Study and search runs are freed after their log is
// written. Safe to call twice and on a nil Result.
func (r *Result) Free() {
	if r == nil || r.Context == nil {
		return
	}
	r.Context.Finalize()
	r.Context = nil
}

// MustRun is Run for notebooks: it panics on error.
func (e *Experiment) MustRun() *Result {
	r, err := e.Run(gocontext.Background())
	if err != nil {
		panic(err)
	}
	return r
}

// Run loads the data, builds every piece from the config, trains, and
// returns the run. The log is written after every epoch; a failed run still
// returns (and writes) its log, with the error.
func (e *Experiment) Run(ctx gocontext.Context) (*Result, error) {
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	res := &Result{Skipped: e.skipped}
	trainSet, validSet := e.train, e.valid
	if trainSet == nil {
		split, err := LoadData(cfg)
		if err != nil {
			return nil, err
		}
		trainSet, validSet, res.Skipped = split.Train, split.Valid, split.Skipped
	}
	if trainSet == nil || validSet == nil {
		return nil, errors.New("experiment: Datasets needs both a training and a validation set")
	}
	if cfg.NClass == 0 {
		cfg.NClass = len(trainSet.Classes)
	} else if cfg.NClass != len(trainSet.Classes) {
		return nil, &config.FieldError{Key: "n_class", Reason: fmt.Sprintf("%d, but the data has %d classes %v", cfg.NClass, len(trainSet.Classes), trainSet.Classes)}
	}

	pipe, err := transforms.FromConfig(cfg)
	if err != nil {
		return nil, err
	}
	sampler, err := sampling.New(cfg.SamplingStrategy, sampling.Options{Weight: cfg.SamplingWeight})
	if err != nil {
		return nil, &config.FieldError{Key: "sampling_strategy", Reason: err.Error()}
	}
	if cfg.DRSEpoch > 0 {
		// Deferred re-sampling: the data as it is first.
		sampler = sampling.Deferred{Before: sampling.None{}, After: sampler, From: cfg.DRSEpoch}
	}
	epochSize, err := sampler.Indices(trainSet.Labels, len(trainSet.Classes), 0, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("experiment: sampling: %w", err)
	}
	lossCfg := losses.FromConfig(cfg)
	lossFn, err := losses.New(lossCfg, trainSet.Counts())
	if err != nil {
		return nil, err
	}
	var earlyLoss gomlxtrain.LossFn
	if cfg.DRWEpoch > 0 {
		// Deferred re-weighting: the same loss with every class weight 1 first.
		unweighted := lossCfg
		unweighted.Weighting = losses.WeightNone
		if earlyLoss, err = losses.New(unweighted, trainSet.Counts()); err != nil {
			return nil, err
		}
	}
	steps := (len(epochSize) + cfg.BatchSize - 1) / cfg.BatchSize
	if cfg.DropLast {
		steps = len(epochSize) / cfg.BatchSize
	}
	opt, err := optim.New(cfg, max(steps, 1))
	if err != nil {
		return nil, err
	}
	model, err := models.New(cfg)
	if err != nil {
		return nil, err
	}
	backend, info, err := useOrSelect(e.backend, cfg.Backend)
	if err != nil {
		return nil, err
	}
	mctx := context.New()
	if err := model.Init(mctx, backend); err != nil {
		return nil, err
	}

	inputs := e.inputs
	if inputs == nil {
		inputs = newRunInputs()
		defer inputs.close()
	}
	var trainBatches batchMaker = &data.Batcher{Data: trainSet, Transform: pipe.InMode(transforms.Train), Seed: cfg.Seed}
	if cfg.AugmentOn == config.AugmentDevice {
		aug, err := inputs.augmenter(backend, trainSet, pipe, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("experiment: augment_on %s: %w", cfg.AugmentOn, err)
		}
		trainBatches = aug
	}

	logPath := e.logPath
	if logPath == "" && e.logDir != "" {
		logPath = filepath.Join(e.logDir, logName(cfg.LogID, e.note, time.Now())+".json")
	}
	ckpt := ""
	if e.checkpoints && logPath != "" {
		ckpt = strings.TrimSuffix(logPath, ".json") + ".ckpt"
	}
	out, runErr := train.Run(ctx, train.Setup{
		Config: cfg, Train: trainSet, Valid: validSet,
		Backend: backend, BackendInfo: info, DeviceInfo: DeviceLine(backend),
		Model: model.Fn, Loss: lossFn, Optimizer: opt, Sampler: sampler,
		EarlyLoss: earlyLoss, EarlyEpochs: cfg.DRWEpoch, PatienceFrom: cfg.DRSEpoch,
		Batcher:       &batcher{train: trainBatches, valid: inputs.validBatches(backend, validSet, pipe, cfg.Seed)},
		EpochHooks:    []train.EpochHook{opt.EndOfEpoch},
		SkippedFiles:  skippedFiles(res.Skipped),
		Context:       mctx,
		Initial:       cmp.Or(e.initial, inputs.initial),
		InitialKey:    initialKey(model),
		Note:          e.note,
		LogPath:       logPath,
		CheckpointDir: ckpt,
		Resume:        e.resume,
		PadValid:      true, // every model of toolkit/models is per-sample in inference mode
		Frozen:        frozenSplit(model, e.wholeModel),
		// Training images that are the same every epoch: the frozen
		// backbone's features of them are computed once (a linear probe).
		FrozenTrain: !pipe.Random(),
		// The backbone's values follow from the model and its options (the
		// initial values are shared under initialKey; backboneKey leaves out
		// the head's), the seed and the precision; the images from the data
		// set and the pipeline.
		Features: inputs.features,
		FeaturesKey: fmt.Sprintf("%s precision=%s seed=%d backend=%p train=%p pipeline=%+v",
			backboneKey(model), cfg.Precision, cfg.Seed, backend, trainSet, pipe),
		RestoreBest: e.restoreBest,
		Progress:    e.progress,
	})
	res.LogPath, res.Config, res.Model, res.Backend = logPath, cfg, model, backend
	if out != nil {
		res.Log, res.Context = out.Log, out.Context
	}
	return res, runErr
}

// skippedFiles is each skipped file as "path: reason", for the log.
func skippedFiles(errs []*data.FileError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// frozenSplit is the model's backbone and head for train.Setup.Frozen when
// the backbone is frozen (full=false): its features of the validation
// images are then computed once per run. Nil when the backbone trains.
func frozenSplit(m *models.Model, whole bool) *train.Split {
	if m.Options.Full || whole {
		return nil
	}
	return &train.Split{Backbone: m.BackboneFn, Head: m.HeadFn}
}

// batchMaker makes the batch of the samples at indices, starting at
// position in epoch's order: data.Batcher (host) and devaug.Augmenter
// (device).
type batchMaker interface {
	Tensors(indices []int, epoch, position int) (images, labels *tensors.Tensor, err error)
}

// batcher adapts batch makers to train.Batcher: training samples get the
// random transforms (on the host or the device), validation samples the
// deterministic ones (made on the host once, then kept).
type batcher struct {
	train batchMaker
	valid *evalCache
}

// Kept implements train.BatchKeeper: kept validation batches are not freed.
func (b *batcher) Kept(t *tensors.Tensor) bool { return b.valid.Kept(t) }

func (b *batcher) Batch(indices []int, epoch, position int, training bool) (images, labels *tensors.Tensor, err error) {
	if training {
		return b.train.Tensors(indices, epoch, position)
	}
	return b.valid.Tensors(indices, epoch, position)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// logName is the log's file name: the log id, else the note and the date.
func logName(id, note string, now time.Time) string {
	if id != "" {
		return unsafeName.ReplaceAllString(id, "_")
	}
	base := unsafeName.ReplaceAllString(strings.TrimSpace(note), "_")
	if base == "" {
		base = "run"
	}
	return base + "-" + now.Format(runlog.DateLayout)
}
