package train

import (
	gocontext "context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	gomlxtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/optim"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Sampler picks the training indices of one epoch (see toolkit/sampling).
type Sampler interface {
	Indices(labels []int, numClasses, epoch int, seed int64) ([]int, error)
}

// Batcher turns indices into one batch: images float32 [n, H, W, 3] and
// labels int32 [n]. With train set, indices are into Setup.Train and the
// random training transforms apply; otherwise into Setup.Valid. position
// is where the batch starts in the epoch's order: with the epoch it seeds
// each sample's randomness, so a batch depends on its arguments only.
//
// Run makes each training batch one step ahead, on a goroutine, while the
// previous step trains: Batch is called from that goroutine, one call at
// a time, concurrently with the backend running the training step.
type Batcher interface {
	Batch(indices []int, epoch, position int, train bool) (images, labels *tensors.Tensor, err error)
}

// BatchKeeper is implemented by a Batcher that keeps some of the batches
// it returns (a cache of the validation batches, say): Run frees a batch
// after its step only when Kept reports false for its tensors.
type BatchKeeper interface {
	Kept(t *tensors.Tensor) bool
}

// EpochHook runs after each epoch's training steps, on the model's
// context (for example MaxNorm's once-per-epoch projection).
type EpochHook func(backend backends.Backend, ctx *context.Context) error

// Setup is everything one run needs, already built.
type Setup struct {
	Config       config.Config
	Train, Valid *data.Dataset
	Backend      backends.Backend
	// DeviceInfo is a one-line description of the hardware, for the log
	// (run.device; see toolkit.DeviceLine).
	DeviceInfo string
	// BackendInfo is a one-line description of what runs, for the log.
	BackendInfo string
	// SkippedFiles are the image files the data loader left out (config
	// key skip_bad_files), each "path: reason", for the log
	// (run.skipped_files) and the progress output.
	SkippedFiles []string
	Model        gomlxtrain.ModelFn
	// Loss is the training loss and the validation loss of every epoch.
	Loss losses.LossFn
	// EarlyLoss, when set, is the training loss of the first EarlyEpochs
	// epochs instead of Loss (deferred re-weighting, config.DRWEpoch: the
	// unweighted loss first). The validation loss stays Loss throughout, so
	// that epochs compare for the best epoch and early stopping.
	EarlyLoss   losses.LossFn
	EarlyEpochs int
	// PatienceFrom is the first epoch that counts towards patience (early
	// stopping) besides EarlyEpochs': a deferred method's switch
	// (config.DRSEpoch, whose Sampler changes there).
	PatienceFrom int
	Optimizer    optimizers.Interface
	Sampler      Sampler // nil: every training sample once per epoch, shuffled
	Batcher      Batcher
	EpochHooks   []EpochHook
	// Context holds the model's variables; nil makes a new one. Models that
	// load pretrained weights pass the context they loaded into.
	Context *context.Context
	// Initial, when set, gives the variables their initial values before
	// training (shared with other runs: see InitialValues), keyed by
	// InitialKey, which must name everything that decides the variables'
	// initialisers (the model and its options). Nil initialises them in
	// the first training step, as GoMLX does.
	Initial    *InitialValues
	InitialKey string

	Note string
	// LogPath is where the run log is written after every epoch; empty
	// keeps it in memory only.
	LogPath string
	// CheckpointDir keeps the model's variables after every epoch so a run
	// can be resumed; empty means no checkpoints.
	CheckpointDir string
	// Resume continues the run found at LogPath and CheckpointDir.
	Resume bool
	// PadValid runs the last, partial validation batch padded to the batch
	// size (its last sample repeated; the extra rows are dropped before the
	// loss), so that evaluation compiles one forward program instead of
	// two. Only for a model whose output for a sample in inference mode does
	// not depend on the other samples of its batch (every model of
	// toolkit/models: batch norm uses its running averages then). Padding
	// applies when the validation set holds at least one full batch.
	PadValid bool
	// Frozen, when set, is the Model split where its variables stop
	// changing (a frozen backbone): the validation pass runs
	// Frozen.Backbone on each validation batch once per run, keeps its
	// output on the device, and in every epoch runs Frozen.Head on it.
	// Head(Backbone(images)) must be the Model's output in inference mode,
	// and Backbone must not depend on anything a training step changes.
	Frozen *Split
	// FrozenTrain, with Frozen, says the training images are the same in
	// every epoch (the Batcher's training transforms draw nothing at
	// random): the backbone's features of every training sample are then
	// computed once, before the first step, and kept on the host, and each
	// training step trains the head alone on them (a linear probe). The
	// Batcher is asked for each training sample once.
	FrozenTrain bool
	// Features, when set, shares the features of a frozen backbone between
	// runs: the validation batches' (with Frozen) and the training
	// samples' (with FrozenTrain). A run takes them from it under keys made
	// from FeaturesKey, which must name everything that decides them (the
	// backbone's values, the training and validation images and their
	// transforms, the compute precision, the backend), and stores them
	// there after computing them.
	Features    *FeatureStore
	FeaturesKey string
	// RestoreBest puts the best epoch's variables back at the end when
	// early stopping ran (patience > 0).
	RestoreBest bool
	// Progress receives progress lines; nil is silent (the study's verbose=false).
	Progress io.Writer
	// Now is the clock (tests set it for deterministic logs).
	Now func() time.Time

	// sequential makes each training batch just before its step instead
	// of one step ahead on a goroutine (tests compare the two).
	sequential bool
}

// Split is a model in two parts (Setup.Frozen): Backbone maps a batch of
// images to features, Head maps features to the logits.
type Split struct {
	Backbone func(ctx *context.Context, images *graph.Node) *graph.Node
	Head     func(ctx *context.Context, features *graph.Node) *graph.Node
}

// Result is a finished (or stopped) run.
type Result struct {
	Log     *runlog.Log
	Context *context.Context
}

// ErrNonFinite is returned when a training loss, the validation loss or
// a validation prediction becomes NaN or infinite.
var ErrNonFinite = errors.New("loss is not finite")

// divergeHint is what a non-finite loss error suggests.
const divergeHint = "try a lower learning_rate, grad_clip, or precision float32"

// epochName names epoch (counted from 0, as the log does) as the progress
// lines do: "epoch 2/50" for epoch 1 of 50.
func (r *runner) epochName(epoch int) string {
	return fmt.Sprintf("epoch %d/%d", epoch+1, r.Config.Epochs)
}

// nonFinite describes the first NaN or infinity among a validation pass's
// loss and class probabilities; "" when there is none.
func nonFinite(loss float64, scores [][]float64) string {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Sprintf("validation loss %v", loss)
	}
	for i, row := range scores {
		for c, p := range row {
			if math.IsNaN(p) || math.IsInf(p, 0) {
				return fmt.Sprintf("sample %d's probability of class %d is %v", i, c, p)
			}
		}
	}
	return ""
}

// Run trains and evaluates for cfg.Epochs epochs (fewer with early
// stopping), writing the log after every epoch. Cancelling goctx stops the
// run after the current batch with status "interrupted"; the log keeps
// every finished epoch. Errors from graph building are returned, never
// panicked.
func Run(goctx gocontext.Context, s Setup) (res *Result, err error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r := &runner{Setup: s, numClasses: len(s.Train.Classes)}
	if r.Now == nil {
		r.Now = time.Now
	}
	err = catch(func() error { return r.run(goctx) })
	r.freePrograms()
	var lw *logWriteError
	if err != nil && r.log != nil && r.log.Run.Status == runlog.StatusRunning && !errors.As(err, &lw) {
		reason := r.log.Run.StopReason
		if reason == "" {
			reason = runlog.StopError
		}
		r.log.Finish(reason, err)
		if werr := r.writeLog(); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	if r.log == nil {
		return nil, err
	}
	return &Result{Log: r.log, Context: r.ctx}, err
}

func (s *Setup) check() error {
	switch {
	case s.Train == nil || s.Train.Len() == 0:
		return errors.New("train: no training data")
	case s.Valid == nil || s.Valid.Len() == 0:
		return errors.New("train: no validation data")
	case !slices.Equal(s.Train.Classes, s.Valid.Classes):
		return fmt.Errorf("train: train classes %v differ from valid classes %v", s.Train.Classes, s.Valid.Classes)
	case s.Backend == nil:
		return errors.New("train: no backend")
	case s.Model == nil || s.Loss == nil || s.Optimizer == nil || s.Batcher == nil:
		return errors.New("train: model, loss, optimizer and batcher are all required")
	case s.Resume && s.LogPath == "":
		return errors.New("train: resume needs a log path")
	case s.EarlyLoss != nil && (s.EarlyEpochs <= 0 || s.EarlyEpochs >= s.Config.Epochs):
		return fmt.Errorf("train: EarlyLoss for %d epochs of %d: want 1 to %d", s.EarlyEpochs, s.Config.Epochs, s.Config.Epochs-1)
	}
	return s.Config.Validate()
}

type runner struct {
	Setup
	numClasses int
	ctx        *context.Context
	trainer    *gomlxtrain.Trainer
	// multi runs multiK training steps per call (config.StepsPerCall).
	multi  *context.Exec
	multiK int
	// evalForward is the model in inference mode (the logits of a
	// batch), evalLoss the loss of those logits and the class
	// probabilities: two programs, so that runs with the same model and
	// other losses (a study's methods) share the large one.
	evalForward *context.Exec
	evalLoss    *graph.Exec
	// With Setup.Frozen, evalBackbone and evalHead replace evalForward, and
	// features keeps evalBackbone's output by validation batch (its first
	// sample) for the rest of the run.
	evalBackbone, evalHead *context.Exec
	features               map[int]*tensors.Tensor
	// trainFeatures are the backbone's features of every training sample
	// with Setup.FrozenTrain (float32, featureDim a sample), made before
	// the first step.
	trainFeatures []float32
	featureDim    int
	// evalLossPad is evalLoss of the first rows of a padded batch
	// (Setup.PadValid), for evalLossPadN rows.
	evalLossPad  *graph.Exec
	evalLossPadN int
	log          *runlog.Log
	ckpt         *checkpoints.Handler
	lastProgress time.Time
	// trainTime and evalTime split the last epoch's wall time for the
	// progress line (training steps with their batches; validation).
	trainTime, evalTime time.Duration
	// best holds the variables of the best epoch when RestoreBest is set.
	best map[string]*tensors.Tensor
	// prepared: every variable of the training step exists and has a
	// value (prepare ran).
	prepared bool
	// trainLoss is the loss the training programs are built with: EarlyLoss
	// while early is set (the first EarlyEpochs epochs), else Loss.
	trainLoss losses.LossFn
	early     bool
}

// Names of the per-batch outputs this package adds to GoMLX's metrics.
const (
	// trainMetric: float32 [1+B], the batch loss then the B predicted
	// labels (one tensor, so a step costs one read from the device, not
	// two). An evaluation step's output (evalLoss) is likewise float32
	// [1+B*C], the loss then the B rows of class probabilities.
	trainMetric = "debiaser/train_step"
)

func (r *runner) run(goctx gocontext.Context) error {
	start := r.Now()
	r.ctx = r.Context
	if r.ctx == nil {
		r.ctx = context.New()
	}
	if err := r.ctx.SetRNGStateFromSeed(r.Config.Seed); err != nil {
		return fmt.Errorf("train: seed: %w", err)
	}
	perBatch := func(name string, fn metrics.BaseMetricGraph) metrics.Interface {
		return batchOutput{name: name, fn: fn}
	}
	// The batch loss without regularisation, then per-sample values.
	noReg := func(ctx *context.Context, predictions []*graph.Node) *graph.Node {
		return gomlxtrain.GetLossNoRegularization(ctx, predictions[0].Graph())
	}
	trainOut := func(ctx *context.Context, _, predictions []*graph.Node) *graph.Node {
		return LossAnd(noReg(ctx, predictions), graph.ArgMax(predictions[0], -1))
	}
	// The variables exist before the trainer's first step (prepare, a
	// checkpoint, pretrained weights): the model and the optimizer reuse
	// them instead of creating them.
	trainCtx := r.ctx.Checked(false)
	r.trainLoss = r.Loss
	if r.EarlyLoss != nil {
		r.early = true
		// Read when a training program is built: switchLoss drops the
		// programs built before, and they are built again with Loss.
		r.trainLoss = func(labels, predictions []*graph.Node) *graph.Node {
			if r.early {
				return r.EarlyLoss(labels, predictions)
			}
			return r.Loss(labels, predictions)
		}
	}
	r.trainer = gomlxtrain.NewTrainer(r.Backend, trainCtx, r.stepModel(), r.trainLoss, r.Optimizer,
		[]metrics.Interface{perBatch(trainMetric, trainOut)}, nil)

	if r.CheckpointDir != "" {
		if !r.Resume {
			if entries, err := os.ReadDir(r.CheckpointDir); err == nil && len(entries) > 0 {
				return fmt.Errorf("train: checkpoint folder %s is not empty: resume the run or remove the folder", r.CheckpointDir)
			}
		}
		// Building the handler loads the latest checkpoint, if any.
		var err error
		r.ckpt, err = checkpoints.Build(r.ctx).Dir(r.CheckpointDir).Keep(2).Done()
		if err != nil {
			return fmt.Errorf("train: checkpoints in %s: %w", r.CheckpointDir, err)
		}
	}
	firstEpoch := 0
	if r.Resume {
		var err error
		if firstEpoch, err = r.resume(); err != nil {
			return err
		}
	} else {
		var err error
		r.log, err = runlog.New(r.Note, r.Config, r.Train.Classes, r.Train.Counts(), r.Valid.Counts(), start)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		r.log.Run.Backend = r.BackendInfo
		r.log.Run.Device = r.DeviceInfo
		r.log.Run.SkippedFiles = slices.Clone(r.SkippedFiles)
		r.log.Run.Checkpoint = r.CheckpointDir
		if n := len(r.SkippedFiles); n > 0 && r.Progress != nil {
			fmt.Fprintf(r.Progress, "skip_bad_files: left out %d unreadable file(s), listed in the log's run.skipped_files:\n", n)
			for i, f := range r.SkippedFiles {
				if i == 5 && n > 6 {
					fmt.Fprintf(r.Progress, "  ... and %d more\n", n-5)
					break
				}
				fmt.Fprintf(r.Progress, "  %s\n", f)
			}
		}
		r.log.Run.BestEpoch = -1
	}
	if err := r.writeLog(); err != nil {
		return err
	}
	stop := runlog.StopEpochs
	for epoch := firstEpoch; epoch < r.Config.Epochs; epoch++ {
		epochStart := r.Now()
		r.switchLoss(epoch)
		rec, err := r.epoch(goctx, epoch)
		if err != nil {
			if errors.Is(err, gocontext.Canceled) || errors.Is(err, gocontext.DeadlineExceeded) {
				r.log.Run.Status, r.log.Run.StopReason = runlog.StatusInterrupted, runlog.StopInterrupted
				return errors.Join(err, r.writeLog())
			}
			if errors.Is(err, ErrNonFinite) {
				r.log.Run.StopReason = runlog.StopNaNLoss
			}
			return err
		}
		rec.Seconds = r.Now().Sub(epochStart).Seconds()
		if err := r.log.AddEpoch(rec); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		r.log.Run.GlobalStep = r.trainer.GlobalStep()
		if r.log.Run.BestEpoch == epoch && r.RestoreBest && r.Config.Patience > 0 {
			if err := r.snapshot(); err != nil {
				return err
			}
		}
		if r.ckpt != nil {
			if err := r.ckpt.Save(); err != nil {
				return fmt.Errorf("train: save checkpoint: %w", err)
			}
		}
		r.progressEpoch(epoch, rec)
		if err := r.writeLog(); err != nil {
			return err
		}
		if earlyStop(epoch, r.log.Run.BestEpoch, r.Config.Patience, max(r.EarlyEpochs, r.PatienceFrom)) {
			stop = runlog.StopEarlyStopping
			break
		}
	}
	if stop == runlog.StopEarlyStopping && r.best != nil {
		if err := r.restore(); err != nil {
			return err
		}
		r.log.Run.RestoredBest = true
	}
	r.log.Finish(stop, nil)
	return r.writeLog()
}

func (r *runner) writeLog() error {
	if r.LogPath == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(r.LogPath), 0o755); err != nil {
		return &logWriteError{fmt.Errorf("train: run log %s: %w", r.LogPath, err)}
	}
	if err := runlog.Write(r.LogPath, r.log); err != nil {
		return &logWriteError{err}
	}
	return nil
}

// logWriteError is a failure to write the run log: Run does not try
// again to record it in the log it could not write.
type logWriteError struct{ err error }

func (e *logWriteError) Error() string { return e.err.Error() }
func (e *logWriteError) Unwrap() error { return e.err }

// earlyStop says whether early stopping ends a run after epoch (0-based):
// patience epochs have passed without a better one than best. With a
// switch after the first earlyEpochs epochs (deferred re-weighting's
// loss, deferred re-sampling's sampler) patience counts from the switch,
// so the later setting always trains for patience epochs at least.
func earlyStop(epoch, best, patience, earlyEpochs int) bool {
	if patience <= 0 {
		return false
	}
	return epoch-max(best, earlyEpochs-1) >= patience
}

// switchLoss leaves EarlyLoss for Loss when epoch is the first after
// EarlyEpochs (or later: a resumed run): the training programs built with
// EarlyLoss are freed and built again on their next use.
func (r *runner) switchLoss(epoch int) {
	if !r.early || epoch < r.EarlyEpochs {
		return
	}
	r.early = false
	r.trainer.ResetComputationGraphs()
	if r.multi != nil {
		r.multi.Finalize()
		r.multi = nil
	}
	if r.Progress != nil && epoch == r.EarlyEpochs {
		fmt.Fprintf(r.Progress, "drw_epoch %d: training with the class weights from %s on\n", r.EarlyEpochs, r.epochName(epoch))
	}
}

// epoch trains over the sampler's draw, then evaluates the validation set.
func (r *runner) epoch(goctx gocontext.Context, epoch int) (runlog.EpochRecord, error) {
	var rec runlog.EpochRecord
	indices, err := r.trainIndices(epoch)
	if err != nil {
		return rec, fmt.Errorf("train: %s sampling: %w", r.epochName(epoch), err)
	}
	bs := r.Config.BatchSize
	if r.Config.DropLast {
		full := len(indices) / bs * bs
		if full == 0 {
			return rec, fmt.Errorf("train: %s: drop_last with %d samples drawn and batch_size %d leaves no batch", r.epochName(epoch), len(indices), bs)
		}
		indices = indices[:full]
	}
	rec.SampledCounts = make([]int, r.numClasses)
	for _, i := range indices {
		rec.SampledCounts[r.Train.Labels[i]]++
	}
	var lossSum float64
	trainStart := time.Now()
	numBatches := (len(indices) + bs - 1) / bs
	batchAt := func(b int) []int { return indices[b*bs : min((b+1)*bs, len(indices))] }
	makeBatch := func(b int) (images, labels *tensors.Tensor, err error) {
		if r.probe() {
			images, labels = r.featureBatch(batchAt(b))
			return images, labels, nil
		}
		return r.Batcher.Batch(batchAt(b), epoch, b*bs, true)
	}
	if r.probe() && r.trainFeatures == nil {
		if err := r.makeTrainFeatures(goctx); err != nil {
			return rec, err
		}
	}
	// With steps_per_call k > 1, each run of k full batches is one call of
	// the backend (MultiStep); the batches left over run one at a time.
	k := max(r.Config.StepsPerCall, 1)
	fullBatches := len(indices) / bs
	var pre *prefetcher
	if !r.sequential {
		pre = startPrefetch(numBatches, k, makeBatch)
		defer pre.stop()
	}
	nextBatch := func(b int) (images, labels *tensors.Tensor, err error) {
		if pre != nil {
			item := pre.next()
			return item.images, item.labels, item.err
		}
		return makeBatch(b)
	}
	// A call's outputs (each step's loss and predictions) are read after
	// the next call is dispatched (see lagged). Its batches and outputs
	// are freed once read.
	pending := lagged[stepOut]{read: func(p stepOut) error {
		defer r.freeStep(p)
		vals := tensors.MustCopyFlatData[float32](p.out[len(p.out)-1])
		for i := range p.images {
			b := p.b + i
			batch := batchAt(b)
			if len(vals) < 1+len(batch) {
				return fmt.Errorf("train: %s batch %d: the step returned %d values, want %d", r.epochName(epoch), b+1, len(vals), 1+len(batch))
			}
			loss := float64(vals[0])
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fmt.Errorf("train: %s batch %d: %w (%v; %s)", r.epochName(epoch), b+1, ErrNonFinite, loss, divergeHint)
			}
			lossSum += loss * float64(len(batch))
			for j, idx := range batch {
				rec.TrainTrue = append(rec.TrainTrue, r.Train.Labels[idx])
				rec.TrainPred = append(rec.TrainPred, int(vals[1+j]))
			}
			vals = vals[1+len(batch):]
			r.progressBatch(epoch, b, numBatches, lossSum/float64(len(rec.TrainTrue)))
		}
		return nil
	}, drop: r.freeStep}
	defer pending.discard() // an error left a call unread
	for b := 0; b < numBatches; {
		if err := goctx.Err(); err != nil {
			return rec, err
		}
		n := 1
		if k > 1 && b+k <= fullBatches {
			n = k
		}
		call := stepOut{b: b}
		for i := range n {
			images, labels, err := nextBatch(b + i)
			if err != nil {
				r.freeStep(call)
				return rec, fmt.Errorf("train: %s: %w", r.epochName(epoch), err)
			}
			call.images, call.labels = append(call.images, images), append(call.labels, labels)
		}
		if !r.prepared {
			if err := r.prepare(call.images[0], call.labels[0]); err != nil {
				r.freeStep(call)
				return rec, err
			}
		}
		var err error
		if n == 1 {
			call.out, err = r.trainer.TrainStep(nil, call.images, call.labels)
		} else {
			call.out, err = r.multiStep(call.images, call.labels)
		}
		if err != nil {
			r.freeStep(call)
			return rec, fmt.Errorf("train: %s batch %d: %w", r.epochName(epoch), b+1, err)
		}
		if err := pending.push(call); err != nil {
			return rec, err
		}
		b += n
	}
	if err := pending.flush(); err != nil {
		return rec, err
	}
	rec.TrainLoss = lossSum / float64(len(indices))
	for _, hook := range r.EpochHooks {
		if err := hook(r.Backend, r.ctx); err != nil {
			return rec, fmt.Errorf("train: %s hook: %w", r.epochName(epoch), err)
		}
	}
	evalStart := time.Now()
	r.trainTime = evalStart.Sub(trainStart)
	if rec.ValidLoss, rec.ValidTrue, rec.ValidPred, rec.ValidScores, err = r.evaluate(goctx, r.Valid, epoch); err != nil {
		return rec, err
	}
	// A step's loss can stay finite while the weights diverge (a large
	// learning rate): the validation pass then sees it first.
	if bad := nonFinite(rec.ValidLoss, rec.ValidScores); bad != "" {
		return rec, fmt.Errorf("train: %s validation: %w (%s; the weights diverged: %s)", r.epochName(epoch), ErrNonFinite, bad, divergeHint)
	}
	r.evalTime = time.Since(evalStart)
	rec.LR = r.learningRate()
	if norms, err := optim.ClassifierNorms(r.ctx); err == nil {
		rec.ClassifierNorms = norms
	}
	return rec, nil
}

func (r *runner) trainIndices(epoch int) ([]int, error) {
	if r.Sampler != nil {
		return r.Sampler.Indices(r.Train.Labels, r.numClasses, epoch, r.Config.Seed)
	}
	idx := make([]int, r.Train.Len())
	for i := range idx {
		idx[i] = i
	}
	shuffle(idx, r.Config.Seed, epoch)
	return idx, nil
}

// evaluate runs every sample of ds once in inference mode. Like training
// steps, an evaluation step's outputs are read after the next one is
// dispatched (lagged).
func (r *runner) evaluate(goctx gocontext.Context, ds *data.Dataset, epoch int) (loss float64, yTrue, yPred []int, scores [][]float64, err error) {
	// Batches of eb samples (config.EvalBatchSize), each loss of bs of
	// them (EvalLoss's chunks).
	bs, eb := r.Config.BatchSize, r.evalBatch()
	c := r.numClasses
	pending := lagged[stepOut]{read: func(p stepOut) error {
		defer r.freeStep(p)
		vals := tensors.MustCopyFlatData[float32](p.out[len(p.out)-1])
		n := min(eb, ds.Len()-p.b)
		chunks := (n + bs - 1) / bs
		for i := range chunks {
			loss += float64(vals[i]) * float64(min(bs, n-i*bs))
		}
		probs := vals[chunks:]
		for k := range n {
			row := make([]float64, c)
			best := 0
			for j := range row {
				row[j] = float64(probs[k*c+j])
				if row[j] > row[best] {
					best = j
				}
			}
			scores = append(scores, row)
			yTrue = append(yTrue, ds.Labels[p.b+k])
			yPred = append(yPred, best)
		}
		return nil
	}, drop: r.freeStep}
	defer pending.discard()
	for start := 0; start < ds.Len(); start += eb {
		if err := goctx.Err(); err != nil {
			return 0, nil, nil, nil, err
		}
		batch := make([]int, 0, eb)
		for i := start; i < min(start+eb, ds.Len()); i++ {
			batch = append(batch, i)
		}
		n := len(batch) // the batch's samples; more rows when padded
		if r.PadValid && n < eb && ds.Len() >= eb {
			for len(batch) < eb {
				batch = append(batch, batch[n-1])
			}
		}
		images, labels, err := r.Batcher.Batch(batch, epoch, start, false)
		if err != nil {
			return 0, nil, nil, nil, fmt.Errorf("train: evaluate: %w", err)
		}
		out, err := r.evalStep(images, labels, n, start)
		if err != nil {
			r.release(images, labels)
			return 0, nil, nil, nil, fmt.Errorf("train: evaluate: %w", err)
		}
		// b is the batch's first sample here.
		if err := pending.push(stepOut{b: start, images: []*tensors.Tensor{images}, labels: []*tensors.Tensor{labels}, out: out}); err != nil {
			return 0, nil, nil, nil, err
		}
	}
	if err := pending.flush(); err != nil {
		return 0, nil, nil, nil, err
	}
	return loss / float64(ds.Len()), yTrue, yPred, scores, nil
}

// evalBatch is the validation pass's batch size (config.EvalBatchSize;
// 0: the training batch size).
func (r *runner) evalBatch() int {
	if r.Config.EvalBatchSize > 0 {
		return r.Config.EvalBatchSize
	}
	return r.Config.BatchSize
}

// evalStep runs the model in inference mode on a batch, then the loss
// and the class probabilities of the logits of its first n samples (all
// of them unless the batch is padded; the programs are built on first
// use); the outputs are the logits (left on the device) and the float32
// vector of the losses of every batch_size of the n rows (one unless
// eval_batch_size is larger) and the n*C probabilities.
func (r *runner) evalStep(images, labels *tensors.Tensor, n, start int) ([]*tensors.Tensor, error) {
	if r.Frozen == nil && r.evalForward == nil {
		forward := func(ctx *context.Context, images *graph.Node) *graph.Node {
			return r.Model(ctx, nil, []*graph.Node{images})[0]
		}
		var err error
		if r.evalForward, err = r.inferenceExec("debiaser/eval", forward); err != nil {
			return nil, err
		}
	}
	padded := n < images.Shape().Dimensions[0]
	if padded && (r.evalLossPad == nil || r.evalLossPadN != n) {
		if r.evalLossPad != nil {
			r.evalLossPad.Finalize()
		}
		exec, err := graph.NewExec(r.Backend, EvalLoss(r.Loss, n, r.Config.BatchSize))
		if err != nil {
			return nil, err
		}
		r.evalLossPad, r.evalLossPadN = exec.WithName("debiaser/eval_loss_padded"), n
	}
	if !padded && r.evalLoss == nil {
		exec, err := graph.NewExec(r.Backend, EvalLoss(r.Loss, 0, r.Config.BatchSize))
		if err != nil {
			return nil, err
		}
		r.evalLoss = exec.WithName("debiaser/eval_loss")
	}
	var logits *tensors.Tensor
	var err error
	if r.Frozen != nil {
		logits, err = r.frozenForward(images, start)
	} else {
		logits, err = r.evalForward.Exec1(images)
	}
	if err != nil {
		return nil, err
	}
	lossExec := r.evalLoss
	if padded {
		lossExec = r.evalLossPad
	}
	out, err := lossExec.Exec1(logits, labels)
	if err != nil {
		freeAll(logits)
		return nil, err
	}
	return []*tensors.Tensor{logits, out}, nil
}

// frozenForward is the logits of a validation batch through Setup.Frozen:
// the backbone's features of the batch starting at sample start, computed
// the first time and kept, then the head.
func (r *runner) frozenForward(images *tensors.Tensor, start int) (*tensors.Tensor, error) {
	var err error
	if r.evalHead == nil {
		if r.evalHead, err = r.inferenceExec("debiaser/eval_head", r.Frozen.Head); err != nil {
			return nil, err
		}
	}
	features, ok := r.features[start]
	if !ok && r.Features != nil {
		// Another run with the same backbone and validation batches (a
		// study's method) may have computed them.
		var values []float32
		var dim int
		if values, dim, ok = r.Features.load(r.validFeaturesKey(start)); ok {
			features = tensors.FromFlatDataAndDimensions(values, len(values)/dim, dim)
		}
	}
	if !ok {
		if r.evalBackbone == nil {
			if r.evalBackbone, err = r.inferenceExec("debiaser/eval_backbone", r.features32); err != nil {
				return nil, err
			}
		}
		if features, err = r.evalBackbone.Exec1(images); err != nil {
			return nil, err
		}
		if r.Features != nil {
			dims := features.Shape().Dimensions
			r.Features.store(r.validFeaturesKey(start), tensors.MustCopyFlatData[float32](features), dims[1])
		}
	}
	if r.features == nil {
		r.features = map[int]*tensors.Tensor{}
	}
	r.features[start] = features
	return r.evalHead.Exec1(features)
}

// inferenceExec is a program named name that runs fn on the run's
// variables in inference mode (batch norm on its running averages, no
// dropout).
func (r *runner) inferenceExec(name string, fn func(*context.Context, *graph.Node) *graph.Node) (*context.Exec, error) {
	exec, err := context.NewExec(r.Backend, r.ctx.Checked(false), func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), false)
		return fn(ctx, x)
	})
	if err != nil {
		return nil, err
	}
	return exec.WithName(name), nil
}

// features32 is Setup.Frozen's backbone with float32 features: the same
// values (bfloat16 ones convert exactly), whether kept on the device or
// stored on the host.
func (r *runner) features32(ctx *context.Context, images *graph.Node) *graph.Node {
	return graph.ConvertDType(r.Frozen.Backbone(ctx, images), dtypes.Float32)
}

// validFeaturesKey is the FeatureStore key of the validation batch that
// starts at sample start: FeaturesKey's backbone and the validation
// batches (their size; the Batcher's validation images are the same in
// every run that shares Setup.Features).
func (r *runner) validFeaturesKey(start int) string {
	return fmt.Sprintf("%s\nvalidation %p batch %d start %d", r.FeaturesKey, r.Valid, r.evalBatch(), start)
}

// probe reports whether training steps train the head alone on kept
// features (Setup.FrozenTrain).
func (r *runner) probe() bool { return r.Frozen != nil && r.FrozenTrain }

// stepModel is the model the training steps run: Setup.Model, or with
// Setup.FrozenTrain the head alone, on a batch of features.
func (r *runner) stepModel() gomlxtrain.ModelFn {
	if !r.probe() {
		return r.Model
	}
	return func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		return []*graph.Node{r.Frozen.Head(ctx, inputs[0])}
	}
}

// makeTrainFeatures computes the backbone's features of every training
// sample (Setup.FrozenTrain) in batches of batch_size, the last one
// padded when the set holds a full batch, and keeps them on the host.
// The variables get their values first (prepare, on a batch of images:
// the whole model's training step, as without FrozenTrain).
func (r *runner) makeTrainFeatures(goctx gocontext.Context) error {
	bs, n := r.Config.BatchSize, r.Train.Len()
	batchOf := func(start int) []int {
		batch := make([]int, 0, bs)
		for i := start; i < min(start+bs, n); i++ {
			batch = append(batch, i)
		}
		if k := len(batch); k < bs && n >= bs {
			for len(batch) < bs {
				batch = append(batch, batch[k-1])
			}
		}
		return batch
	}
	if !r.prepared {
		images, labels, err := r.Batcher.Batch(batchOf(0), 0, 0, true)
		if err != nil {
			return fmt.Errorf("train: training features: %w", err)
		}
		err = r.prepare(images, labels)
		r.release(images, labels)
		if err != nil {
			return err
		}
	}
	if r.Features != nil {
		if values, dim, ok := r.Features.load(r.FeaturesKey); ok {
			r.trainFeatures, r.featureDim = values, dim
			return nil
		}
	}
	exec, err := r.inferenceExec("debiaser/train_features", r.features32)
	if err != nil {
		return fmt.Errorf("train: training features: %w", err)
	}
	defer exec.Finalize()
	var all []float32
	for start := 0; start < n; start += bs {
		if err := goctx.Err(); err != nil {
			return err
		}
		images, labels, err := r.Batcher.Batch(batchOf(start), 0, start, true)
		if err != nil {
			return fmt.Errorf("train: training features: %w", err)
		}
		out, err := exec.Exec1(images)
		r.release(images, labels)
		if err != nil {
			return fmt.Errorf("train: training features: %w", err)
		}
		dims := out.Shape().Dimensions
		r.featureDim = dims[1]
		vals := tensors.MustCopyFlatData[float32](out)
		freeAll(out)
		all = append(all, vals[:min(bs, n-start)*r.featureDim]...)
	}
	r.trainFeatures = all
	if r.Features != nil {
		r.Features.store(r.FeaturesKey, all, r.featureDim)
	}
	return nil
}

// featureBatch is a training batch of kept features (Setup.FrozenTrain):
// float32 [n, featureDim] and the labels int32 [n].
func (r *runner) featureBatch(indices []int) (features, labels *tensors.Tensor) {
	d := r.featureDim
	x := make([]float32, 0, len(indices)*d)
	y := make([]int32, len(indices))
	for k, i := range indices {
		x = append(x, r.trainFeatures[i*d:(i+1)*d]...)
		y[k] = int32(r.Train.Labels[i])
	}
	return tensors.FromFlatDataAndDimensions(x, len(indices), d), tensors.FromFlatDataAndDimensions(y, len(indices))
}

// stepOut is a dispatched call: its first batch (b: the batch's number
// in a training epoch, its first sample in an evaluation), the tensors of
// its batches (one per step) and the call's outputs.
type stepOut struct {
	b              int
	images, labels []*tensors.Tensor
	out            []*tensors.Tensor
}

// freeStep frees a call's outputs and the batch tensors the Batcher does
// not keep.
func (r *runner) freeStep(p stepOut) {
	r.release(p.images...)
	r.release(p.labels...)
	freeAll(p.out...)
}

// multiStep runs len(images) training steps in one call (MultiStep; the
// program is built on first use): the outputs are, per step, the loss
// and the predicted labels, as the single step's trainMetric.
func (r *runner) multiStep(images, labels []*tensors.Tensor) ([]*tensors.Tensor, error) {
	k := len(images)
	if r.multi == nil || r.multiK != k {
		out := func(_ *context.Context, loss *graph.Node, predictions []*graph.Node) *graph.Node {
			return LossAnd(loss, graph.ArgMax(predictions[0], -1))
		}
		exec, err := context.NewExec(r.Backend, r.ctx.Checked(false), MultiStep(r.stepModel(), r.trainLoss, r.Optimizer, k, out))
		if err != nil {
			return nil, err
		}
		r.multi, r.multiK = exec.WithName(fmt.Sprintf("debiaser/steps%d", k)), k
	}
	args := make([]any, 0, 2*k)
	for _, t := range images {
		args = append(args, t)
	}
	for _, t := range labels {
		args = append(args, t)
	}
	return r.multi.Exec(args...)
}

// prepare makes every variable of the training step (the model's and the
// optimizer's state) before the first step, by building one step's graph
// for the first batch's shapes without compiling it, and gives those
// without a value their initial values: copied from an earlier run when
// Initial has them, else computed by one program that is freed at once.
// Left to GoMLX, the optimizer's state would be made in the first step and
// initialised by a program of its own, compiled in every run and kept
// until a garbage collection.
func (r *runner) prepare(images, labels *tensors.Tensor) error {
	err := catch(func() error {
		g := graph.NewGraph(r.Backend, "debiaser/prepare")
		defer g.Finalize()
		x := graph.Parameter(g, "images", images.Shape())
		y := graph.Parameter(g, "labels", labels.Shape())
		out := func(_ *context.Context, loss *graph.Node, _ []*graph.Node) *graph.Node { return loss }
		MultiStep(r.Model, r.trainLoss, r.Optimizer, 1, out)(r.ctx.Checked(false), []*graph.Node{x, y})
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w (building the training step)", err)
	}
	if r.Initial != nil && !r.Resume {
		err = r.Initial.apply(r.ctx, r.Backend, r.InitialKey)
	} else {
		err = InitializeVariables(r.ctx, r.Backend)
	}
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	r.prepared = true
	return nil
}

// InitializeVariables runs ctx's initialisers for its variables without a
// value, as GoMLX's Context.InitializeVariables, and frees the program that
// did it at once instead of at a later garbage collection.
func InitializeVariables(ctx *context.Context, backend backends.Backend) error {
	var exec *context.Exec
	err := ctx.InitializeVariables(backend, func(e *context.Exec) error {
		exec = e
		return nil
	})
	if exec != nil {
		exec.Finalize()
	}
	if err != nil {
		return fmt.Errorf("initial values: %w", err)
	}
	return nil
}

// freePrograms frees the run's compiled programs (the trainer's steps and
// MultiStep's) when it ends: on a GPU they hold device memory that a Go
// garbage collection would free only some time later. The variables stay:
// they are the trained model the run returns.
func (r *runner) freePrograms() {
	if r.trainer != nil {
		r.trainer.ResetComputationGraphs()
	}
	if r.multi != nil {
		r.multi.Finalize()
		r.multi = nil
	}
	if r.evalForward != nil {
		r.evalForward.Finalize()
		r.evalForward = nil
	}
	if r.evalLoss != nil {
		r.evalLoss.Finalize()
		r.evalLoss = nil
	}
	if r.evalLossPad != nil {
		r.evalLossPad.Finalize()
		r.evalLossPad = nil
	}
	for _, e := range []**context.Exec{&r.evalBackbone, &r.evalHead} {
		if *e != nil {
			(*e).Finalize()
			*e = nil
		}
	}
	for _, f := range r.features {
		freeAll(f)
	}
	r.features = nil
}

// EvalLoss is an evaluation step's second program: the loss of a batch's
// logits as the trainer computes it (loss's value, averaged when it is not
// a scalar; no regularisation) and the class probabilities, as LossAnd
// puts them. rows > 0 takes the first rows of a padded batch
// (Setup.PadValid) and drops the others. chunk > 0 smaller than the
// batch computes one loss per chunk rows (the last chunk may be shorter),
// as if the batch had been evaluated chunk rows at a time
// (config.EvalBatchSize): the output starts with those losses, in order.
func EvalLoss(loss losses.LossFn, rows, chunk int) func(logits, labels *graph.Node) *graph.Node {
	return func(logits, labels *graph.Node) *graph.Node {
		if rows > 0 {
			logits = graph.Slice(logits, graph.AxisRange(0, rows))
			labels = graph.Slice(labels, graph.AxisRange(0, rows))
		}
		lossOf := func(logits, labels *graph.Node) *graph.Node {
			l := loss([]*graph.Node{labels}, []*graph.Node{logits})
			if !l.Shape().IsScalar() {
				l = graph.ReduceAllMean(l)
			}
			return l
		}
		n := logits.Shape().Dimensions[0]
		if chunk <= 0 || chunk >= n {
			return LossAnd(lossOf(logits, labels), graph.Softmax(logits, -1))
		}
		parts := make([]*graph.Node, 0, (n+chunk-1)/chunk+1)
		for start := 0; start < n; start += chunk {
			r := graph.AxisRange(start, min(start+chunk, n))
			parts = append(parts, graph.Reshape(graph.ConvertDType(lossOf(graph.Slice(logits, r), graph.Slice(labels, r)), dtypes.Float32), 1))
		}
		parts = append(parts, graph.Reshape(graph.ConvertDType(graph.Softmax(logits, -1), dtypes.Float32), -1))
		return graph.Concatenate(parts, 0)
	}
}

// LossAnd puts a batch's loss in front of its per-sample values
// (predicted labels, class probabilities), as one float32 vector.
func LossAnd(loss, perSample *graph.Node) *graph.Node {
	return graph.Concatenate([]*graph.Node{
		graph.Reshape(graph.ConvertDType(loss, dtypes.Float32), 1),
		graph.Reshape(graph.ConvertDType(perSample, dtypes.Float32), -1),
	}, 0)
}

// lagged reads each step's outputs after the next step is dispatched:
// reading waits for a step to finish, and a backend that runs steps
// asynchronously can queue the next one first, so the device never waits
// for the host's read. push hands it a dispatched step and reads the one
// before; flush reads the last; discard drops an unread step (after an
// error).
type lagged[T any] struct {
	read    func(T) error
	drop    func(T)
	pending *T
}

func (l *lagged[T]) push(v T) error {
	prev := l.pending
	l.pending = &v
	if prev == nil {
		return nil
	}
	return l.read(*prev)
}

func (l *lagged[T]) flush() error {
	if l.pending == nil {
		return nil
	}
	p := *l.pending
	l.pending = nil
	return l.read(p)
}

func (l *lagged[T]) discard() {
	if l.pending != nil {
		l.drop(*l.pending)
		l.pending = nil
	}
}

func (r *runner) learningRate() float64 {
	v := r.ctx.InspectVariable(r.ctx.In(optimizers.Scope).Scope(), optimizers.ParamLearningRate)
	if v == nil || !v.HasValue() {
		return r.Config.LearningRate
	}
	return scalar(v.MustValue())
}

func (r *runner) snapshot() error {
	vars, err := localClones(r.ctx)
	if err != nil {
		return fmt.Errorf("train: keep best epoch: %w", err)
	}
	r.best = vars
	return nil
}

// localClones copies the value of every variable of ctx that has one to
// the host, by scope and name.
func localClones(ctx *context.Context) (map[string]*tensors.Tensor, error) {
	vars := map[string]*tensors.Tensor{}
	for v := range ctx.IterVariables() {
		if !v.HasValue() {
			continue
		}
		c, err := v.MustValue().LocalClone()
		if err != nil {
			for _, t := range vars {
				t.FinalizeAll()
			}
			return nil, fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
		vars[v.ScopeAndName()] = c
	}
	return vars, nil
}

func (r *runner) restore() error {
	var err error
	r.ctx.EnumerateVariables(func(v *context.Variable) {
		if t, ok := r.best[v.ScopeAndName()]; ok && err == nil {
			err = v.SetValue(t)
		}
	})
	if err != nil {
		return fmt.Errorf("train: restore best epoch: %w", err)
	}
	return nil
}

// resume reads the log and the latest checkpoint, and returns the first
// epoch still to run.
func (r *runner) resume() (int, error) {
	l, err := runlog.Read(r.LogPath)
	if err != nil {
		return 0, fmt.Errorf("train: resume: %w", err)
	}
	if l.Run == nil {
		return 0, fmt.Errorf("train: resume %s: the log has no run section (not written by this toolkit)", r.LogPath)
	}
	if r.CheckpointDir == "" {
		return 0, fmt.Errorf("train: resume %s: no checkpoint folder", r.LogPath)
	}
	if l.Run.Status == runlog.StatusFinished {
		return 0, fmt.Errorf("train: resume %s: the run already finished", r.LogPath)
	}
	// The checkpoint (loaded when its handler was built) restores the
	// variables, the optimizer state, the RNG state and the global step;
	// sampling and augmentation derive from the seed and the epoch, so the
	// run continues as if it had never stopped.
	has, err := r.ckpt.HasCheckpoints()
	if err != nil {
		return 0, fmt.Errorf("train: resume: checkpoints in %s: %w", r.CheckpointDir, err)
	}
	if !has {
		if l.Run.EpochsDone > 0 || l.Run.GlobalStep > 0 {
			return 0, fmt.Errorf("train: resume %s: no checkpoint in %s for its %d finished epochs", r.LogPath, r.CheckpointDir, l.Run.EpochsDone)
		}
		// Interrupted in its first epoch, before the first checkpoint: the
		// run starts again from its initial values, in the same log.
		r.Resume = false
	}
	// The checkpoint is saved just before the log each epoch: a run killed
	// between the two leaves a checkpoint one epoch ahead of its log.
	if step := r.trainer.GlobalStep(); step != l.Run.GlobalStep {
		return 0, fmt.Errorf("train: resume %s: the checkpoint in %s is at optimizer step %d, the log's %d finished epochs end at step %d: they disagree (killed between saving the two?); rerun from scratch",
			r.LogPath, r.CheckpointDir, step, l.Run.EpochsDone, l.Run.GlobalStep)
	}
	l.Run.Status, l.Run.StopReason, l.Run.Error = runlog.StatusRunning, "", ""
	l.Run.Resumes = append(l.Run.Resumes, runlog.Resume{
		Epoch: l.Run.EpochsDone, Time: r.Now().Format(runlog.DateLayout),
		Backend: r.BackendInfo, Device: r.DeviceInfo,
	})
	r.log = l
	return l.Run.EpochsDone, nil
}

// progressBatch rewrites one line with the running loss, at most every
// half second, and only on a terminal (logs and notebooks get epoch lines).
func (r *runner) progressBatch(epoch, b, n int, loss float64) {
	if r.Progress == nil || n < 2 || !isTerminal(r.Progress) || time.Since(r.lastProgress) < 500*time.Millisecond && b+1 < n {
		return
	}
	r.lastProgress = time.Now()
	fmt.Fprintf(r.Progress, "\repoch %d/%d  batch %d/%d  loss %.4f ", epoch+1, r.Config.Epochs, b+1, n, loss)
}

func (r *runner) progressEpoch(epoch int, rec runlog.EpochRecord) {
	if r.Progress == nil {
		return
	}
	done := r.log.Run.EpochsDone
	eta := time.Duration(r.log.Run.WallSeconds / float64(done) * float64(r.Config.Epochs-done) * float64(time.Second))
	res := r.log.Results
	fmt.Fprintf(r.Progress, "\repoch %d/%d  train loss %.4f acc %.4f  valid loss %.4f acc %.4f balanced %.4f  (%.1fs: train %.2fs, valid %.2fs; ETA %s)\n",
		epoch+1, r.Config.Epochs, rec.TrainLoss, res.TrainAccuracy[epoch], rec.ValidLoss, res.ValidAccuracy[epoch],
		res.ValidBalancedAccuracy[epoch], rec.Seconds, r.trainTime.Seconds(), r.evalTime.Seconds(), eta.Round(time.Second))
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	}
	f, _ := strconv.ParseFloat(fmt.Sprint(t.Value()), 64)
	return f
}

// release frees the batch tensors that the Batcher does not keep.
func (r *runner) release(ts ...*tensors.Tensor) {
	keeper, _ := r.Batcher.(BatchKeeper)
	for _, t := range ts {
		if t != nil && (keeper == nil || !keeper.Kept(t)) {
			_ = t.FinalizeAll()
		}
	}
}

func freeAll(ts ...*tensors.Tensor) {
	for _, t := range ts {
		if t != nil {
			_ = t.FinalizeAll()
		}
	}
}

// catch turns a panic from graph building (GoMLX's error policy inside
// graph code) into an error at this package's edge.
func catch(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok {
				err = fmt.Errorf("train: %w", e)
			} else {
				err = fmt.Errorf("train: %v", p)
			}
		}
	}()
	return fn()
}

// batchOutput is a GoMLX "metric" that returns a per-batch tensor as it is
// (predicted labels, probabilities): GoMLX's own metrics must be scalars.
type batchOutput struct {
	name string
	fn   metrics.BaseMetricGraph
}

func (m batchOutput) Name() string                         { return m.name }
func (m batchOutput) ShortName() string                    { return m.name }
func (m batchOutput) ScopeName() string                    { return m.name }
func (m batchOutput) MetricType() string                   { return m.name }
func (m batchOutput) Reset(*context.Context)               {}
func (m batchOutput) PrettyPrint(t *tensors.Tensor) string { return t.String() }
func (m batchOutput) UpdateGraph(ctx *context.Context, labels, predictions []*graph.Node) *graph.Node {
	return m.fn(ctx, labels, predictions)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
