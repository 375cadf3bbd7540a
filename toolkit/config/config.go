// Package config holds the one typed configuration of a debiaser run.
//
// Its JSON form is exactly the study's "var_dict": the keys are the
// study's names (batch_size, sampling_strategy, image_size, ...), so the
// var_dict of any run log can be decoded back into a Config and re-run.
// Builders (the root toolkit package, the CLI) only set these fields.
package config

// Sampling strategies (the study's sampling_strategy).
const (
	SamplingNone          = "none"
	SamplingWeighted      = "weighted"
	SamplingOversampling  = "oversampling"
	SamplingUndersampling = "undersampling"
)

// Where training augmentation runs (augment_on).
const (
	AugmentHost   = "host"
	AugmentDevice = "device"
)

// MaxStepsPerCall bounds steps_per_call (the program grows with it).
const MaxStepsPerCall = 16

// Regularisation strategies of the optimizer (the study's reg_strategy).
const (
	RegNone        = "none"
	RegWeightDecay = "wei_dec"
	RegL2Norm      = "l2_norm"
	RegMaxNorm     = "maxnorm"
)

// Config is every parameter of one training run. JSON keys are the
// study's var_dict keys; a zero value means "not set" and Defaults fills
// the study's baseline recipe.
type Config struct {
	// Data (the study's load_image).
	Dataset         string  `json:"dataset"`    // embedded dataset name, e.g. "mnist-lt"; empty when paths are used
	TrainPath       string  `json:"train_path"` // image folder with one sub-folder per class
	ValidPath       string  `json:"valid_path"` // empty: split TrainPath by ValidFraction
	ValidFraction   float64 `json:"valid_fraction"`
	ImbalanceFactor float64 `json:"imbalance_factor"` // n_max/n_min: embedded datasets (0: 10), folders (0: as they are; datasets.LongTail)
	SkipBadFiles    bool    `json:"skip_bad_files"`
	BatchSize       int     `json:"batch_size"`
	// DropLast leaves out each epoch's last partial training batch (as
	// PyTorch's DataLoader(drop_last=True)): every step then has one input
	// shape, so XLA compiles the training step once instead of twice. The
	// study kept the partial batch (false).
	DropLast bool `json:"drop_last"`
	// StepsPerCall runs this many training steps in one call of the
	// backend (Keras' steps_per_execution; train.MultiStep): the host
	// returns to the backend once per StepsPerCall full batches instead of
	// once per batch, which matters on a GPU where each call waits for the
	// device. The arithmetic is that of single steps; the batches left over
	// at an epoch's end run one at a time. 0 or 1: one step per call.
	StepsPerCall int `json:"steps_per_call"`
	// EvalBatchSize is the batch of the validation pass (Keras'
	// validation_batch_size): 0 is batch_size; otherwise a multiple of it.
	// Larger batches mean fewer calls of the backend and better use of a
	// GPU. The validation loss stays the study's: the mean of the loss of
	// every batch_size samples, weighted by their count, as if evaluated
	// batch_size at a time (the losses that depend on a batch's
	// composition, MFE and MSFE, would otherwise change).
	EvalBatchSize    int    `json:"eval_batch_size"`
	SamplingStrategy string `json:"sampling_strategy"`
	// SamplingWeight is the per-sample weight of weighted sampling:
	// "inverse" (1/n_c, torchsampler's) or "inverse_sqrt" (1/sqrt(n_c)).
	SamplingWeight string `json:"sampling_weight"`

	// Transforms (the study's transformer).
	ImageSize     int       `json:"image_size"`
	NormalizeMean []float64 `json:"normalize_mean"`
	NormalizeStd  []float64 `json:"normalize_std"`
	VFlip         bool      `json:"vflip"`
	HFlip         bool      `json:"hflip"`
	Rotate        bool      `json:"rotate"`
	Degrees       float64   `json:"degrees"`
	Crop          bool      `json:"crop"`
	// AugmentOn is where training augmentation runs: "host" (Go, per
	// sample, on the CPU) or "device" (inside a graph on the backend, on
	// images uploaded once; see toolkit/transforms/devaug). Empty is host.
	AugmentOn string `json:"augment_on"`

	// Model (the study's load_model).
	ModelName   string  `json:"model_name"`
	NClass      int     `json:"n_class"`
	Pretrained  bool    `json:"pretrained"`
	Full        bool    `json:"full"`
	WeightsPath string  `json:"weights_path"`
	Dropout     float64 `json:"dropout"`
	// Precision is the compute type: "float32" or "bfloat16" (mixed
	// precision: bf16 convolutions and activations, float32 variables,
	// batch-norm statistics, loss and optimizer state).
	Precision string `json:"precision"`

	// Loss (the study's load_loss).
	LossFamily string  `json:"loss_family"`
	LossType   string  `json:"loss_type"`
	Weighting  string  `json:"weighting"`
	Beta       float64 `json:"beta"`
	Gamma      float64 `json:"gamma"`
	// Tau scales the logit adjustment of loss_family LA (Menon et al.
	// 2021): the logits get tau*log(prior) added before softmax
	// cross-entropy; 1 is the balanced softmax of Ren et al. 2020.
	Tau float64 `json:"tau"`
	// DRWEpoch defers the class weights of loss_family CB (deferred
	// re-weighting, Cao et al. 2019): the first drw_epoch epochs train
	// with every class weight 1, the later ones with the weighting's
	// weights. The validation loss is the weighted loss in every epoch,
	// so that epochs compare; patience (early stopping) counts from the
	// first weighted epoch, and the best epoch is one of the weighted ones
	// (the log's run.best_from). 0 (the default) weights from the start.
	DRWEpoch int `json:"drw_epoch"`
	// DRSEpoch defers re-sampling (deferred re-sampling, Cao et al. 2019):
	// the first drs_epoch epochs visit every training image once, the
	// later ones draw with sampling_strategy "weighted" (the only strategy
	// it takes: its epochs keep the data's size, so learning-rate
	// schedules stay in step). Patience counts from the first re-sampled
	// epoch, and the best epoch is one of the re-sampled ones (the log's
	// run.best_from). 0 (the default) re-samples from the start.
	DRSEpoch int `json:"drs_epoch"`
	// LDAMMargin and LDAMScale set loss_type LDAM of loss_family CB (Cao et
	// al. 2019): class c's logit margin is ldam_margin*(n_min/n_c)^(1/4)
	// (the rarest class gets ldam_margin), and the head is a cosine
	// classifier whose logits are ldam_scale times cosines. Their defaults
	// are Cao et al.'s, 0.5 and 30.
	LDAMMargin float64 `json:"ldam_margin"`
	LDAMScale  float64 `json:"ldam_scale"`

	// Optimizer (the study's load_optimizer).
	Optimizer            string  `json:"optimizer"`
	Momentum             float64 `json:"momentum"`
	RegStrategy          string  `json:"reg_strategy"`
	WeightDecay          float64 `json:"weight_decay"`
	DecoupledWeightDecay bool    `json:"decoupled_weight_decay"`
	Thresh               float64 `json:"thresh"`
	ThreshRelative       bool    `json:"thresh_relative"`
	MaxNormEvery         string  `json:"maxnorm_every"` // "step" (default) or "epoch"
	LearningRate         float64 `json:"learning_rate"`
	Scheduler            string  `json:"scheduler"` // "none", "step", "cosine"
	StepSize             int     `json:"lr_step_size"`
	StepGamma            float64 `json:"lr_step_gamma"`
	WarmupEpochs         int     `json:"warmup_epochs"`
	GradClip             float64 `json:"grad_clip"`

	// Training (the study's train).
	Epochs   int `json:"epochs"`
	Patience int `json:"patience"`
	// BestBy names the validation metric that picks a run's best epoch
	// (the one its summary reports, whose probabilities the log keeps,
	// that early stopping waits on and that restore-best puts back):
	// "valid_loss" (empty, the default: the study's choice), or another
	// metric of the run log such as "valid_balanced_accuracy" or
	// "valid_recall:minority", highest best. Losses of different
	// families do not compare; balanced accuracy does.
	BestBy  string `json:"best_by"`
	Seed    int64  `json:"seed"`
	Backend string `json:"backend"`
	LogID   string `json:"log_id"`
}

// Defaults returns the study's baseline recipe: ResNet-18 pretrained,
// Adam 1e-5, 50 epochs, batch 32, 224x224, normalise 0.5/0.5, rotation 30.
func Defaults() Config {
	return Config{
		BatchSize:        32,
		SamplingStrategy: SamplingNone,
		SamplingWeight:   "inverse",
		ImageSize:        224,
		NormalizeMean:    []float64{0.5, 0.5, 0.5},
		NormalizeStd:     []float64{0.5, 0.5, 0.5},
		Rotate:           true,
		Degrees:          30,
		AugmentOn:        AugmentHost,
		StepsPerCall:     1,
		ModelName:        "resnet18",
		Pretrained:       true,
		Dropout:          0.5,
		Precision:        "float32",
		LossFamily:       "baseline",
		LossType:         "CE",
		Weighting:        "ENS",
		Beta:             0.999,
		Tau:              1,
		LDAMMargin:       0.5,
		LDAMScale:        30,
		Optimizer:        "Adam",
		RegStrategy:      RegNone,
		MaxNormEvery:     "step",
		LearningRate:     1e-5,
		Scheduler:        "none",
		Epochs:           50,
		Patience:         0,
		Seed:             1,
		ValidFraction:    0.25,
	}
}
