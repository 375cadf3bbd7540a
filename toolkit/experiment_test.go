package toolkit

import (
	gocontext "context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/datasets"
	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/optim"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// tiny is a quick experiment: the small CNN on the generated shapes
// dataset, on the pure-Go backend.
func tiny(t *testing.T) *Experiment {
	t.Helper()
	cfg, err := Profile(ProfileQuick, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ImageSize, cfg.Epochs, cfg.BatchSize = 16, 2, 8
	return FromConfig(cfg).Datasets(datasets.Tiny(1), datasets.Tiny(2)).Backend("gofast").LogDir(t.TempDir())
}

func TestRunWritesLog(t *testing.T) {
	res, err := tiny(t).Note("tiny baseline").Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := runlog.Read(res.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if l.Note != "tiny baseline" || l.Run.Status != runlog.StatusFinished || l.Run.EpochsDone != 2 {
		t.Errorf("note %q status %q epochs %d", l.Note, l.Run.Status, l.Run.EpochsDone)
	}
	if l.VarDict.NClass != 3 || l.VarDict.ModelName != "small_cnn" {
		t.Errorf("var_dict n_class %d model %q", l.VarDict.NClass, l.VarDict.ModelName)
	}
	if !strings.Contains(l.Run.Backend, "gofast") {
		t.Errorf("backend %q", l.Run.Backend)
	}
	if !strings.HasPrefix(l.Run.Device, `CPU "`) || !strings.Contains(l.Run.Device, "GOMAXPROCS") || !strings.Contains(l.Run.Device, "; gofast: im2col convolutions, GEMM: ") {
		t.Errorf("device %q", l.Run.Device)
	}
	// The log's var_dict re-runs the same experiment.
	again, err := FromLog(res.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := again.Datasets(datasets.Tiny(1), datasets.Tiny(2)).LogDir("").Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := res.Log.Results.ValidLoss, res2.Log.Results.ValidLoss; a[1] != b[1] {
		t.Errorf("re-run from the log's var_dict gave valid loss %v, first run %v", b, a)
	}
}

// Each optimizer strategy changes what it claims: the study's L2-norm runs
// equalled its baseline exactly, a likely no-op.
func TestStrategiesChangeTheClassifier(t *testing.T) {
	base, err := tiny(t).Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	baseNorms, err := optim.ClassifierNorms(base.Context)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline class norms %.3f", baseNorms)
	tests := []struct {
		strategy string
		value    float64
		check    func(n float64) bool
	}{
		{config.RegL2Norm, 0, func(n float64) bool { return math.Abs(n-1) < 1e-4 }},
		{config.RegMaxNorm, 0.3, func(n float64) bool { return n <= 0.3+1e-4 }},
	}
	for _, tt := range tests {
		res, err := tiny(t).Regularize(tt.strategy, tt.value).Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		norms, err := optim.ClassifierNorms(res.Context)
		if err != nil {
			t.Fatal(err)
		}
		for c, n := range norms {
			if !tt.check(n) {
				t.Errorf("%s: class %d norm %.5f", tt.strategy, c, n)
			}
		}
		if res.Log.Results.ValidLoss[1] == base.Log.Results.ValidLoss[1] {
			t.Errorf("%s: validation loss equals the baseline's exactly (%v): a no-op?", tt.strategy, res.Log.Results.ValidLoss)
		}
	}
}

func TestBadConfigNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		e    func(*Experiment) *Experiment
		key  string
	}{
		{"unknown model", func(e *Experiment) *Experiment { return e.Model("resnet19", false, true) }, "resnet19"},
		{"unknown sampler", func(e *Experiment) *Experiment { return e.Sampling("smote") }, "sampling_strategy"},
		{"bad beta", func(e *Experiment) *Experiment { return e.Weighting("ENS", 1.5) }, "beta"},
		{"unknown key", func(e *Experiment) *Experiment { return e.Set("learnign_rate", 0.1) }, "learnign_rate"},
		{"n_class mismatch", func(e *Experiment) *Experiment { return e.Set("n_class", 7) }, "n_class"},
		{"unknown backend", func(e *Experiment) *Experiment { return e.Backend("tpu") }, "backend"},
		{"missing folder", func(e *Experiment) *Experiment {
			return New().Data("/nonexistent/train", "/nonexistent/valid").LogDir("")
		}, "/nonexistent/train"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.e(tiny(t)).Run(gocontext.Background())
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("err = %v, want it to name %q", err, tt.key)
			}
		})
	}
}

// A mixed-precision run trains end to end: finished log, finite losses,
// precision recorded in the var_dict, and its losses near the float32
// run's (same seed, data and order; dropout masks differ).
func TestMixedPrecisionRun(t *testing.T) {
	f32, err := tiny(t).Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	bf16, err := tiny(t).Precision("bfloat16").Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	l := bf16.Log
	if l.Run.Status != runlog.StatusFinished || l.VarDict.Precision != "bfloat16" {
		t.Fatalf("status %q precision %q", l.Run.Status, l.VarDict.Precision)
	}
	t.Logf("train loss float32 %v, bfloat16 %v", f32.Log.Results.TrainLoss, l.Results.TrainLoss)
	if slices.Equal(f32.Log.Results.TrainLoss, l.Results.TrainLoss) {
		t.Error("bf16 run has exactly the float32 losses: not mixed precision")
	}
	for i, v := range l.Results.TrainLoss {
		a := f32.Log.Results.TrainLoss[i]
		if math.IsNaN(v) || math.Abs(v-a) > 0.1*a {
			t.Errorf("epoch %d train loss bf16 %v, float32 %v", i, v, a)
		}
	}
	if _, err := tiny(t).Precision("fp8").Run(gocontext.Background()); err == nil || !strings.Contains(err.Error(), "precision") {
		t.Errorf("precision fp8: %v", err)
	}
}

// Augmenting on the device trains on the same batches as on the host: the
// two runs write the same log, bit for bit, but for the clock.
func TestAugmentOnDeviceMatchesHost(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*Experiment) *Experiment
	}{
		{"flips rotate", func(e *Experiment) *Experiment { return e.Flips(true, true).Rotate(30) }},
		{"crop flips", func(e *Experiment) *Experiment { return e.Crop(true).Flips(true, false) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs := map[string]*runlog.Log{}
			for _, where := range []string{config.AugmentHost, config.AugmentDevice} {
				res, err := tt.set(tiny(t)).AugmentOn(where).Run(gocontext.Background())
				if err != nil {
					t.Fatalf("augment_on %s: %v", where, err)
				}
				l, err := runlog.Read(res.LogPath)
				if err != nil {
					t.Fatal(err)
				}
				if l.Run.Status != runlog.StatusFinished || l.Run.EpochsDone != 2 || l.VarDict.AugmentOn != where {
					t.Errorf("augment_on %s: status %q, %d epochs, var_dict augment_on %q", where, l.Run.Status, l.Run.EpochsDone, l.VarDict.AugmentOn)
				}
				logs[where] = l
			}
			host, dev := logs[config.AugmentHost], logs[config.AugmentDevice]
			for _, l := range []*runlog.Log{host, dev} {
				l.Run.WallSeconds, l.Results.EpochSeconds, l.Date = 0, nil, ""
				l.VarDict.AugmentOn = ""
			}
			hj, _ := json.Marshal(host)
			dj, _ := json.Marshal(dev)
			if string(hj) != string(dj) {
				t.Errorf("device augmentation changed the run: train loss %v (host %v), valid loss %v (host %v)",
					dev.Results.TrainLoss, host.Results.TrainLoss, dev.Results.ValidLoss, host.Results.ValidLoss)
			}
		})
	}
}

func TestAugmentOnUnknown(t *testing.T) {
	_, err := tiny(t).AugmentOn("gpu").Run(gocontext.Background())
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Key != "augment_on" {
		t.Errorf("err = %v, want a field error on augment_on", err)
	}
}

// TestStepsPerCallSameLogs: the small CNN (its head's dropout draws from
// the random state every step), with augmentation on the host and on the
// device, and ResNet-18 in bfloat16, write the same results with 3 steps
// per call as with one (each epoch's 42 samples in batches of 8: one call
// of 3 batches, then 2 full batches and the partial one a step at a time).
func TestStepsPerCallSameLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Experiment) *Experiment
	}{
		{"small_cnn host", func(e *Experiment) *Experiment { return e }},
		{"small_cnn device", func(e *Experiment) *Experiment { return e.AugmentOn("device") }},
		{"small_cnn SGD, weight decay, MaxNorm, oversampling", func(e *Experiment) *Experiment {
			return e.Optimizer("SGD", 0.01).Regularize("wei_dec", 1e-3).Sampling("oversampling").
				Set("reg_strategy", "maxnorm").Set("thresh", 0.5).Set("scheduler", "step").Set("lr_step_size", 1)
		}},
		{"resnet18 bf16", func(e *Experiment) *Experiment {
			return e.Model("resnet18", false, true).Precision("bfloat16")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := map[int]string{}
			for _, k := range []int{1, 3} {
				res, err := tc.set(tiny(t)).StepsPerCall(k).Run(gocontext.Background())
				if err != nil {
					t.Fatalf("steps_per_call %d: %v", k, err)
				}
				res.Log.Results.EpochSeconds = nil
				j, err := json.Marshal([]any{res.Log.Results, res.Log.Y, res.Log.Run.ValidScores, res.Log.Run.GlobalStep})
				if err != nil {
					t.Fatal(err)
				}
				results[k] = string(j)
			}
			if results[1] != results[3] {
				t.Error("3 steps per call wrote other results than one step per call")
			}
		})
	}
}

// A larger validation batch (eval_batch_size) logs what batch_size at a
// time logs, on gofast with the small CNN, device augmentation and MFE
// (a loss that depends on the batch's composition): 42 validation samples
// 24 or 40 a call (the last call padded) against 8.
func TestEvalBatchSizeSameLog(t *testing.T) {
	run := func(eval int) *runlog.Log {
		res, err := tiny(t).Loss("MFE", "MSFE").AugmentOn("device").EvalBatchSize(eval).Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer res.Free()
		return res.Log
	}
	want := run(0)
	for _, eval := range []int{24, 40} {
		got := run(eval)
		if got.VarDict.EvalBatchSize != eval {
			t.Errorf("var_dict eval_batch_size %d, want %d", got.VarDict.EvalBatchSize, eval)
		}
		if !reflect.DeepEqual(got.Results.ValidLoss, want.Results.ValidLoss) || !reflect.DeepEqual(got.Y, want.Y) ||
			!reflect.DeepEqual(got.Run.ValidScores, want.Run.ValidScores) {
			t.Errorf("eval_batch_size %d: valid loss %v; with batch_size 8 %v", eval, got.Results.ValidLoss, want.Results.ValidLoss)
		}
	}
}
