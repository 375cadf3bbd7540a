package config

import (
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var regen = flag.Bool("regen", false, "rewrite the golden files in testdata")

// The defaults' JSON is the var_dict layout: a golden file fixes the keys,
// and decoding it gives back the same config.
func TestDefaultsRoundTripGolden(t *testing.T) {
	got, err := json.MarshalIndent(Defaults(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "defaults.golden.json")
	if *regen {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(want)) != string(got) {
		t.Errorf("Defaults() JSON changed (go test -regen if intended):\n%s", got)
	}
	var back Config
	if _, err := Decode(got, &back, true); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, Defaults()) {
		t.Errorf("Config -> JSON -> Config changed it:\n%+v\n%+v", back, Defaults())
	}
}

// Every field survives a round trip, whatever its value.
func TestRoundTripEveryField(t *testing.T) {
	c := Defaults()
	c.Dataset, c.TrainPath, c.ValidPath, c.ValidFraction = "x", "/t", "/v", 0.2
	c.ImbalanceFactor, c.SkipBadFiles, c.SamplingWeight = 50, true, "inverse_sqrt"
	c.VFlip, c.HFlip, c.Crop, c.NormalizeMean = true, true, true, []float64{0.485, 0.456, 0.406}
	c.NClass, c.Full, c.WeightsPath, c.Dropout = 4, true, "/w.pth", 0.2
	c.Gamma, c.Momentum, c.WeightDecay, c.DecoupledWeightDecay = 2, 0.9, 1e-4, true
	c.Thresh, c.ThreshRelative, c.MaxNormEvery = 0.5, true, "epoch"
	c.Scheduler, c.StepSize, c.StepGamma, c.WarmupEpochs, c.GradClip = "step", 10, 0.1, 2, 5
	c.Patience, c.Seed, c.Backend, c.LogID = 3, 42, "gofast", "id"
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if _, err := Decode(b, &back, true); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip changed the config:\n%+v\n%+v", back, c)
	}
	if len(Keys()) != reflect.TypeOf(c).NumField() {
		t.Errorf("Keys() has %d keys for %d fields", len(Keys()), reflect.TypeOf(c).NumField())
	}
}

// The study's own var_dict (from its slides): Python's None as null, an
// integer written as 224.0, one normalisation value for every channel.
func TestDecodeStudyVarDict(t *testing.T) {
	study := `{"batch_size": 32, "sampling_strategy": null, "image_size": 224.0,
		"normalize_mean": 0.5, "normalize_std": 0.5, "vflip": false, "hflip": false,
		"rotate": true, "degrees": 30.0, "model_name": "resnet18", "n_class": 4,
		"loss_family": "CB", "loss_type": "focal", "beta": 0.999, "gamma": 0.5,
		"optimizer": "Adam", "reg_strategy": null, "learning_rate": 1e-05, "epochs": 40,
		"patience": 5, "some_python_only_key": [1, 2]}`
	c := Defaults()
	unknown, err := Decode([]byte(study), &c, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.ImageSize != 224 || c.SamplingStrategy != "" || c.RegStrategy != "" || c.Epochs != 40 || c.Gamma != 0.5 {
		t.Errorf("decoded %+v", c)
	}
	if !reflect.DeepEqual(c.NormalizeMean, []float64{0.5}) {
		t.Errorf("normalize_mean %v", c.NormalizeMean)
	}
	if !reflect.DeepEqual(unknown, []string{"some_python_only_key"}) {
		t.Errorf("unknown keys %v", unknown)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the study's var_dict does not validate: %v", err)
	}
	if _, err := Decode([]byte(study), &c, true); err == nil || !strings.Contains(err.Error(), "some_python_only_key") {
		t.Errorf("strict decoding: err = %v", err)
	}
}

func TestDecodeErrorsNameTheKey(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"batch_size": 32.5}`, `"batch_size": want an integer`},
		{`{"epochs": "ten"}`, `"epochs": want a number`},
		{`{"hflip": "yes"}`, `"hflip": want true or false`},
		{`{"model_name": 18}`, `"model_name": want a string`},
		{`{"normalize_std": "a"}`, `"normalize_std": want a number or a list`},
		{`{"optimiser": "Adam"}`, `unknown key "optimiser"`},
		{`[1, 2]`, "config:"},
	} {
		c := Defaults()
		if _, err := Decode([]byte(tt.in), &c, true); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		key    string
		change func(*Config)
	}{
		{"batch_size", func(c *Config) { c.BatchSize = 0 }},
		{"imbalance_factor", func(c *Config) { c.ImbalanceFactor = 0.5 }},
		{"imbalance_factor", func(c *Config) { c.ImbalanceFactor = math.Inf(1) }},
		{"sampling_strategy", func(c *Config) { c.SamplingStrategy = "smote" }},
		{"sampling_weight", func(c *Config) { c.SamplingWeight = "log" }},
		{"image_size", func(c *Config) { c.ImageSize = -1 }},
		{"normalize_mean", func(c *Config) { c.NormalizeMean = []float64{1, 2} }},
		{"normalize_std", func(c *Config) { c.NormalizeStd = []float64{0} }},
		{"degrees", func(c *Config) { c.Degrees = 200 }},
		{"augment_on", func(c *Config) { c.AugmentOn = "gpu" }},
		{"steps_per_call", func(c *Config) { c.StepsPerCall = 17 }},
		{"steps_per_call", func(c *Config) { c.StepsPerCall = -1 }},
		{"eval_batch_size", func(c *Config) { c.EvalBatchSize = 48 }}, // batch_size 32
		{"eval_batch_size", func(c *Config) { c.EvalBatchSize = -32 }},
		{"dropout", func(c *Config) { c.Dropout = 1 }},
		{"beta", func(c *Config) { c.Beta = 1 }},
		{"gamma", func(c *Config) { c.Gamma = -1 }},
		{"ldam_margin", func(c *Config) { c.LDAMMargin = -0.1 }},
		{"ldam_margin", func(c *Config) { c.LDAMMargin = math.NaN() }},
		{"ldam_scale", func(c *Config) { c.LDAMScale = 0 }},
		{"ldam_scale", func(c *Config) { c.LDAMScale = math.Inf(1) }},
		{"drw_epoch", func(c *Config) { c.DRWEpoch = -1 }},
		{"drw_epoch", func(c *Config) { c.DRWEpoch = 10 }}, // loss_family baseline
		{"drw_epoch", func(c *Config) { c.LossFamily, c.Weighting, c.DRWEpoch = "CB", "none", 10 }},
		{"drw_epoch", func(c *Config) { c.LossFamily, c.DRWEpoch = "CB", 50 }}, // epochs 50
		{"drs_epoch", func(c *Config) { c.SamplingStrategy, c.DRSEpoch = "weighted", -1 }},
		{"drs_epoch", func(c *Config) { c.DRSEpoch = 10 }}, // sampling_strategy none
		{"drs_epoch", func(c *Config) { c.SamplingStrategy, c.DRSEpoch = "oversampling", 10 }},
		{"drs_epoch", func(c *Config) { c.SamplingStrategy, c.DRSEpoch = "weighted", 50 }}, // epochs 50
		{"optimizer", func(c *Config) { c.Optimizer = "adam" }},
		{"momentum", func(c *Config) { c.Momentum = 1 }},
		{"reg_strategy", func(c *Config) { c.RegStrategy = "l1" }},
		{"weight_decay", func(c *Config) { c.RegStrategy = RegWeightDecay }},
		{"thresh", func(c *Config) { c.RegStrategy = RegMaxNorm }},
		{"maxnorm_every", func(c *Config) { c.MaxNormEvery = "batch" }},
		{"learning_rate", func(c *Config) { c.LearningRate = 0 }},
		{"scheduler", func(c *Config) { c.Scheduler = "exp" }},
		{"lr_step_size", func(c *Config) { c.Scheduler = "step" }},
		{"grad_clip", func(c *Config) { c.GradClip = -1 }},
		{"epochs", func(c *Config) { c.Epochs = 0 }},
		{"patience", func(c *Config) { c.Patience = -1 }},
		{"valid_fraction", func(c *Config) { c.ValidFraction = 1 }},
		{"n_class", func(c *Config) { c.NClass = -2 }},
	}
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := Defaults()
	c.EvalBatchSize = 4 * c.BatchSize
	if err := c.Validate(); err != nil {
		t.Errorf("eval_batch_size %d, batch_size %d: %v", c.EvalBatchSize, c.BatchSize, err)
	}
	for _, ok := range []func(*Config){
		func(c *Config) { c.LossFamily, c.DRWEpoch = "CB", 49 },
		func(c *Config) { c.LossFamily, c.Weighting, c.DRWEpoch = "CB", "", 1 }, // ENS
		func(c *Config) { c.SamplingStrategy, c.DRSEpoch = SamplingWeighted, 49 },
	} {
		c := Defaults()
		ok(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("loss_family %s weighting %q drw_epoch %d sampling_strategy %s drs_epoch %d: %v", c.LossFamily, c.Weighting, c.DRWEpoch, c.SamplingStrategy, c.DRSEpoch, err)
		}
	}
	for _, tt := range tests {
		c := Defaults()
		tt.change(&c)
		err := c.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Key != tt.key {
			t.Errorf("%s: err = %v", tt.key, err)
		}
	}
}
