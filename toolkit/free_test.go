package toolkit

import (
	gocontext "context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/internal/livecount"
	"github.com/debiaser/debiaser/toolkit/runlog"
	"github.com/debiaser/debiaser/toolkit/sweep"
	"github.com/debiaser/debiaser/toolkit/train"
)

// A study keeps only its logs: when RunStudy returns, nothing it made is
// left on the backend (variables, optimizer state, batches, the
// augmenter's images, compiled programs), with host and device
// augmentation, one step per call and several. And the methods whose
// models start alike share their initial values, the optimizer's state
// included: baseline and MaxNorm compile one initialisation program, focal
// (its head's biases start at -log(C-1)) another.
func TestRunStudyLeavesNothing(t *testing.T) {
	for _, tt := range []struct {
		augment string
		steps   int
	}{{config.AugmentHost, 1}, {config.AugmentDevice, 1}, {config.AugmentDevice, 2}} {
		cfg := config.Defaults()
		cfg.Dataset, cfg.ModelName, cfg.Pretrained, cfg.ImageSize, cfg.Epochs = "shapes-study", "small_cnn", false, 16, 1
		cfg.AugmentOn, cfg.StepsPerCall = tt.augment, tt.steps
		g, err := gobackend.NewBackend("")
		if err != nil {
			t.Fatal(err)
		}
		counted := livecount.Wrap(g)
		res, err := RunStudy(gocontext.Background(), cfg, StudyOptions{
			LogDir: t.TempDir(), Methods: []string{"baseline", "focal", "MaxNorm"}, Backend: counted, Parallel: 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		if counted.Programs() != 0 || counted.Buffers() != 0 {
			t.Errorf("augment_on %s, steps_per_call %d: after the study %s; want nothing", tt.augment, tt.steps, counted.Report())
		}
		for _, e := range res.CompilesByName {
			if e.Name == "VariableInitialization" && e.Count != 2 {
				t.Errorf("augment_on %s, steps_per_call %d: %d initialisation programs for %d methods, want 2", tt.augment, tt.steps, e.Count, len(res.Rows))
			}
		}
		t.Logf("augment_on %s, steps_per_call %d: compiles %+v", tt.augment, tt.steps, res.CompilesByName)
		g.Finalize()
	}
}

// Result.Free releases a run's variables; a run's programs are freed when
// it ends.
func TestResultFree(t *testing.T) {
	g, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Finalize()
	counted := livecount.Wrap(g)
	res, err := tiny(t).UseBackend(counted).Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counted.Programs() != 0 || counted.Buffers() == 0 {
		t.Errorf("after the run %s; want its variables only", counted.Report())
	}
	res.Free()
	res.Free()
	if counted.Buffers() != 0 || res.Context != nil {
		t.Errorf("after Free %s, context %v", counted.Report(), res.Context)
	}
	var none *Result
	none.Free()
}

// The same spec gives the same backend in a process, until it is
// finalized; another spec another backend.
func TestSelectBackendShares(t *testing.T) {
	cleanBackendEnv(t)
	a, _, err := SelectBackend("gofast")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := SelectBackend("gofast")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("two backends for one spec")
	}
	c, _, err := SelectBackend("gofast:emulate")
	if err != nil {
		t.Fatal(err)
	}
	if c == a {
		t.Error("gofast:emulate gave gofast's backend")
	}
	a.Finalize()
	d, _, err := SelectBackend("gofast")
	if err != nil {
		t.Fatal(err)
	}
	if d == a || d.IsFinalized() {
		t.Error("a finalized backend was given again")
	}
}

// A search's folds of one configuration share their initial values (the
// second fold copies the first's); configurations do not.
func TestSearchSharesInitialValues(t *testing.T) {
	base := config.Defaults()
	base.Dataset, base.ModelName, base.Pretrained, base.ImageSize, base.Epochs = "shapes-study", "small_cnn", false, 16, 1
	spec := sweep.Spec{Base: base, K: 2, Seed: 1, BestBy: "valid_accuracy",
		Grid: map[string][]json.RawMessage{"learning_rate": {json.RawMessage("0.001"), json.RawMessage("0.01")}}}
	var iv *train.InitialValues
	defer func(f func() *train.InitialValues) { newSearchInitial = f }(newSearchInitial)
	newSearchInitial = func() *train.InitialValues {
		iv = train.NewInitialValues().KeepAtMost(2)
		return iv
	}
	table, _, err := SearchOn(gocontext.Background(), spec, t.TempDir(), sweep.Share{Index: 0, Count: 1}, "gofast", nil)
	if err != nil {
		t.Fatal(err)
	}
	if table == nil || iv == nil {
		t.Fatalf("table %v, store %v", table, iv)
	}
	if iv.Hits() != 2 {
		t.Errorf("2 configurations x 2 folds: %d runs copied initial values, want 2", iv.Hits())
	}
}

// With a frozen backbone (full=false) the validation pass computes the
// backbone's features of each validation batch once per run and only the
// head in every epoch (train.Setup.Frozen), and logs what the whole model
// logs epoch after epoch: small CNN and ResNet-18 (bfloat16) on gofast,
// MFE, 42 validation images 16 a call (3 calls, the last padded), 3
// epochs; the small CNN also with each regulariser (none may touch the
// frozen backbone).
func TestFrozenBackboneFeaturesOnce(t *testing.T) {
	for _, tc := range []struct {
		model, precision, reg string
		value                 float64
	}{
		{"small_cnn", "float32", config.RegNone, 0},
		{"small_cnn", "float32", config.RegWeightDecay, 0.1},
		{"small_cnn", "float32", config.RegL2Norm, 0},
		{"small_cnn", "float32", config.RegMaxNorm, 0.5},
		{"resnet18", "bfloat16", config.RegNone, 0},
	} {
		t.Run(tc.model+" "+tc.reg, func(t *testing.T) {
			run := func(whole bool) (*runlog.Log, map[string]int) {
				return runCounting(t, whole, func() *Experiment {
					return tiny(t).Model(tc.model, false, false).Set("precision", tc.precision).Epochs(3).
						Loss("MFE", "MSFE").Regularize(tc.reg, tc.value).EvalBatchSize(16)
				})
			}
			got, calls := run(false)
			want, wholeCalls := run(true)
			if calls["debiaser/eval_backbone"] != 3 || calls["debiaser/eval_head"] != 9 || calls["debiaser/eval"] != 0 {
				t.Errorf("split: calls %v; want debiaser/eval_backbone x3 (once a validation batch), debiaser/eval_head x9", calls)
			}
			if wholeCalls["debiaser/eval"] != 9 || wholeCalls["debiaser/eval_backbone"] != 0 {
				t.Errorf("whole model: calls %v; want debiaser/eval x9", wholeCalls)
			}
			if !reflect.DeepEqual(got.Results.ValidLoss, want.Results.ValidLoss) || !reflect.DeepEqual(got.Y, want.Y) ||
				!reflect.DeepEqual(got.Run.ValidScores, want.Run.ValidScores) {
				t.Errorf("split: valid loss %v; whole model %v", got.Results.ValidLoss, want.Results.ValidLoss)
			}
		})
	}
}

// With a frozen backbone and training images that are the same in every
// epoch (no flip, rotation or crop), the backbone's features of each
// training sample are computed once and the steps train the head alone
// (train.Setup.FrozenTrain): the log is the whole model's, bit for bit
// on gofast, for the small CNN and a bf16 ResNet-18, with oversampling,
// CB focal loss, 2 steps a call, 3 epochs.
func TestFrozenTrainFeaturesOnce(t *testing.T) {
	for _, tc := range []struct{ model, precision string }{{"small_cnn", "float32"}, {"resnet18", "bfloat16"}} {
		t.Run(tc.model, func(t *testing.T) {
			run := func(whole bool) (*runlog.Log, map[string]int) {
				return runCounting(t, whole, func() *Experiment {
					return tiny(t).Model(tc.model, false, false).Set("precision", tc.precision).Set("rotate", false).
						Epochs(3).Sampling("oversampling").Loss("CB", "focal").StepsPerCall(2)
				})
			}
			got, calls := run(false)
			want, wholeCalls := run(true)
			got.Results.EpochSeconds, want.Results.EpochSeconds = nil, nil // times differ
			// 42 training images in batches of 8: 6 calls, once a run.
			if calls["debiaser/train_features"] != 6 || wholeCalls["debiaser/train_features"] != 0 {
				t.Errorf("training-feature calls %d (whole model %d); want 6 (0)", calls["debiaser/train_features"], wholeCalls["debiaser/train_features"])
			}
			if !reflect.DeepEqual(got.Results, want.Results) || !reflect.DeepEqual(got.Y, want.Y) ||
				!reflect.DeepEqual(got.Run.ValidScores, want.Run.ValidScores) || got.Run.GlobalStep != want.Run.GlobalStep {
				t.Errorf("head on kept features: train loss %v, valid loss %v; whole model %v, %v",
					got.Results.TrainLoss, got.Results.ValidLoss, want.Results.TrainLoss, want.Results.ValidLoss)
			}
		})
	}
}

// A linear-probe run (frozen backbone, kept training features) that is
// interrupted after its first epoch and resumed from its checkpoint logs
// what it logs uninterrupted: the resumed run computes the features again
// from the restored backbone.
func TestFrozenTrainResume(t *testing.T) {
	probe := func() *Experiment {
		return tiny(t).Model("small_cnn", false, false).Set("rotate", false).Epochs(3).Loss("CB", "focal")
	}
	full, err := probe().Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	full.Free()
	path := filepath.Join(t.TempDir(), "probe.json")
	ctx, cancel := gocontext.WithCancel(gocontext.Background())
	defer cancel()
	stopAfterFirst := writerFunc(func(p []byte) (int, error) {
		if strings.Contains(string(p), "epoch 1/3") {
			cancel()
		}
		return len(p), nil
	})
	if _, err := probe().LogPath(path).Checkpoints(true).Verbose(stopAfterFirst).Run(ctx); !errors.Is(err, gocontext.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	resumed, err := probe().LogPath(path).Resume().Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	resumed.Free()
	if got, want := resumed.Log.Results.ValidLoss, full.Log.Results.ValidLoss; !reflect.DeepEqual(got, want) || len(resumed.Log.Run.Resumes) != 1 || resumed.Log.Run.Resumes[0].Epoch != 1 {
		t.Errorf("resumed valid loss %v (resumes %v); uninterrupted %v", got, resumed.Log.Run.Resumes, want)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// runCounting runs mk's experiment on a new counting gofast backend, with
// the whole model (no frozen split) when whole is set, frees the result,
// checks that the backend then holds nothing, and returns the log and the
// program calls by graph name ("#N" suffixes left out).
func runCounting(t *testing.T, whole bool, mk func() *Experiment) (*runlog.Log, map[string]int) {
	t.Helper()
	g, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	counted := livecount.Wrap(g)
	defer counted.Finalize()
	e := mk().UseBackend(counted)
	e.wholeModel = whole
	res, err := e.Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	res.Free()
	if counted.Programs() != 0 || counted.Buffers() != 0 {
		t.Errorf("whole model %v: after the run %s; want nothing left", whole, counted.Report())
	}
	calls := map[string]int{}
	for name, n := range counted.Executed() {
		name, _, _ = strings.Cut(name, "#")
		calls[name] += n
	}
	return res.Log, calls
}
