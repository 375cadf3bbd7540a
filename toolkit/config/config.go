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
	Dataset          string  `json:"dataset,omitempty"`    // embedded dataset name, e.g. "mnist-lt"; empty when paths are used
	TrainPath        string  `json:"train_path,omitempty"` // image folder with one sub-folder per class
	ValidPath        string  `json:"valid_path,omitempty"` // empty: split TrainPath by ValidFraction
	ValidFraction    float64 `json:"valid_fraction,omitempty"`
	ImbalanceFactor  float64 `json:"imbalance_factor,omitempty"` // for long-tailed embedded datasets
	SkipBadFiles     bool    `json:"skip_bad_files,omitempty"`
	BatchSize        int     `json:"batch_size"`
	SamplingStrategy string  `json:"sampling_strategy"`
	// SamplingWeight is the per-sample weight of weighted sampling:
	// "inverse" (1/n_c, torchsampler's) or "inverse_sqrt" (1/sqrt(n_c)).
	SamplingWeight string `json:"sampling_weight,omitempty"`

	// Transforms (the study's transformer).
	ImageSize     int       `json:"image_size"`
	NormalizeMean []float64 `json:"normalize_mean"`
	NormalizeStd  []float64 `json:"normalize_std"`
	VFlip         bool      `json:"vflip"`
	HFlip         bool      `json:"hflip"`
	Rotate        bool      `json:"rotate"`
	Degrees       float64   `json:"degrees"`
	Crop          bool      `json:"crop"`

	// Model (the study's load_model).
	ModelName   string  `json:"model_name"`
	NClass      int     `json:"n_class"`
	Pretrained  bool    `json:"pretrained"`
	Full        bool    `json:"full"`
	WeightsPath string  `json:"weights_path,omitempty"`
	Dropout     float64 `json:"dropout,omitempty"`

	// Loss (the study's load_loss).
	LossFamily string  `json:"loss_family"`
	LossType   string  `json:"loss_type"`
	Weighting  string  `json:"weighting,omitempty"`
	Beta       float64 `json:"beta"`
	Gamma      float64 `json:"gamma"`

	// Optimizer (the study's load_optimizer).
	Optimizer            string  `json:"optimizer"`
	Momentum             float64 `json:"momentum,omitempty"`
	RegStrategy          string  `json:"reg_strategy"`
	WeightDecay          float64 `json:"weight_decay"`
	DecoupledWeightDecay bool    `json:"decoupled_weight_decay,omitempty"`
	Thresh               float64 `json:"thresh"`
	ThreshRelative       bool    `json:"thresh_relative,omitempty"`
	MaxNormEvery         string  `json:"maxnorm_every,omitempty"` // "step" (default) or "epoch"
	LearningRate         float64 `json:"learning_rate"`
	Scheduler            string  `json:"scheduler,omitempty"` // "none", "step", "cosine"
	StepSize             int     `json:"lr_step_size,omitempty"`
	StepGamma            float64 `json:"lr_step_gamma,omitempty"`
	WarmupEpochs         int     `json:"warmup_epochs,omitempty"`
	GradClip             float64 `json:"grad_clip,omitempty"`

	// Training (the study's train).
	Epochs   int    `json:"epochs"`
	Patience int    `json:"patience"`
	Seed     int64  `json:"seed"`
	Backend  string `json:"backend,omitempty"`
	LogID    string `json:"log_id,omitempty"`
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
		ModelName:        "resnet18",
		Pretrained:       true,
		Dropout:          0.5,
		LossFamily:       "baseline",
		LossType:         "CE",
		Weighting:        "ENS",
		Beta:             0.999,
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
