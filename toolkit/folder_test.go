package toolkit

import (
	"bytes"
	gocontext "context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/datasets"
	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/metrics"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// A file the loader cannot decode stops the run with an error naming it,
// or, under skip_bad_files, is left out and named in the run's log and
// progress output: of one run and of each of a study's.
func TestSkippedFilesInLog(t *testing.T) {
	root := filepath.Join(t.TempDir(), "shapes")
	ds := datasets.Tiny(1)
	if err := datasets.WriteImageFolder(ds, root); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(root, ds.Classes[1], "broken.png")
	if err := os.WriteFile(bad, []byte("not a PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.TrainPath, cfg.ValidFraction = root, 0.25
	cfg.ModelName, cfg.Pretrained, cfg.Full, cfg.ImageSize, cfg.Epochs, cfg.BatchSize = "small_cnn", false, true, 16, 1, 8
	cfg.Backend = "gofast"

	if _, err := FromConfig(cfg).Run(gocontext.Background()); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("without skip_bad_files: err = %v, want one naming %s", err, bad)
	}

	cfg.SkipBadFiles = true
	var progress bytes.Buffer
	res, err := FromConfig(cfg).LogDir(t.TempDir()).Verbose(&progress).Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := runlog.Read(res.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	checkSkipped(t, "run", l, bad)
	if !strings.Contains(progress.String(), "left out 1 unreadable file(s)") || !strings.Contains(progress.String(), bad) {
		t.Errorf("progress does not name the skipped file:\n%s", progress.String())
	}
	if got, want := l.Run.TrainCounts[1]+l.Run.ValidCounts[1], datasets.TinyCounts[1]; got != want {
		t.Errorf("class %s: %d images loaded, want the %d good ones", ds.Classes[1], got, want)
	}

	progress.Reset()
	st, err := RunStudy(gocontext.Background(), cfg, StudyOptions{LogDir: t.TempDir(), Methods: []string{"baseline"}, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	checkSkipped(t, "study", st.Rows[0].Log, bad)
	if !strings.Contains(progress.String(), "left out 1 unreadable file(s)") {
		t.Errorf("study progress does not say a file was left out:\n%s", progress.String())
	}
}

func checkSkipped(t *testing.T, what string, l *runlog.Log, bad string) {
	t.Helper()
	if len(l.Run.SkippedFiles) != 1 || !strings.HasPrefix(l.Run.SkippedFiles[0], bad+": ") {
		t.Errorf("%s: log's run.skipped_files = %q, want [%s: reason]", what, l.Run.SkippedFiles, bad)
	}
}

// imbalance_factor makes folder data long-tailed, as it does the embedded
// datasets: n_max/n_min of each split is the factor (up to rounding).
func TestImbalanceFactorOnFolder(t *testing.T) {
	root := filepath.Join(t.TempDir(), "shapes")
	ds := datasets.Tiny(3)
	if err := datasets.WriteImageFolder(ds, root); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.TrainPath, cfg.ValidFraction, cfg.ImageSize = root, 0.25, 16
	plain, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ImbalanceFactor = 4
	lt, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The folder's splits, drawn by datasets.LongTail with the run's seed.
	wantTrain, wantValid, err := datasets.LongTail(plain.Train, plain.Valid, 4, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lt.Train.Sources, wantTrain.Sources) || !slices.Equal(lt.Valid.Sources, wantValid.Sources) {
		t.Errorf("LoadData's long-tailed splits (%v, %v) differ from datasets.LongTail's (%v, %v)",
			lt.Train.Counts(), lt.Valid.Counts(), wantTrain.Counts(), wantValid.Counts())
	}
	before, after := plain.Train.Counts(), lt.Train.Counts()
	if ratio := float64(slices.Max(after)) / float64(slices.Min(after)); ratio < 3.5 || ratio > 4.5 || slices.Equal(before, after) {
		t.Errorf("train counts %v (from %v): n_max/n_min %.2f, want about 4", after, before, ratio)
	}
	cfg.ImbalanceFactor = 0.5
	var fe *config.FieldError
	if _, err := FromConfig(cfg).Run(gocontext.Background()); !errors.As(err, &fe) || fe.Key != "imbalance_factor" {
		t.Errorf("imbalance_factor 0.5: err = %v, want a field error", err)
	}
}

// Names owned by the model and loss registries are checked with the rest
// of the config, naming their keys, before any data is read.
func TestNamesCheckedBeforeData(t *testing.T) {
	cfg := config.Defaults()
	cfg.TrainPath = filepath.Join(t.TempDir(), "absent")
	cfg.ModelName, cfg.LossFamily, cfg.LossType, cfg.Beta = "vgg16", "CB", "hinge", 2
	_, err := FromConfig(cfg).Run(gocontext.Background())
	var keys []string
	for _, fe := range fieldErrors(err) {
		keys = append(keys, fe.Key)
	}
	if want := []string{"beta", "model_name", "loss_type"}; !slices.Equal(keys, want) || strings.Contains(err.Error(), "absent") {
		t.Errorf("err = %v: field keys %v, want %v and no data read", err, keys, want)
	}
}

// The logit-adjusted loss (loss_family LA) trains through the whole run;
// with tau 0 it is plain cross-entropy, so its log is the baseline's.
func TestLogitAdjustedRun(t *testing.T) {
	run := func(e *Experiment) *runlog.Log { t.Helper(); return runLog(t, e) }
	base := run(tiny(t))
	la0 := run(tiny(t).Loss("LA", "CE").Tau(0))
	la1 := run(tiny(t).Loss("LA", "CE").Tau(1))
	if !slices.Equal(base.Results.ValidLoss, la0.Results.ValidLoss) || !slices.Equal(base.Results.TrainLoss, la0.Results.TrainLoss) {
		t.Errorf("LA tau 0: losses %v / %v, baseline %v / %v", la0.Results.TrainLoss, la0.Results.ValidLoss, base.Results.TrainLoss, base.Results.ValidLoss)
	}
	if slices.Equal(base.Results.TrainLoss, la1.Results.TrainLoss) {
		t.Error("LA tau 1 trained exactly as the baseline")
	}
	if la1.VarDict.LossFamily != "LA" || la1.VarDict.Tau != 1 || la1.Run.Status != runlog.StatusFinished {
		t.Errorf("LA log: family %q tau %g status %q", la1.VarDict.LossFamily, la1.VarDict.Tau, la1.Run.Status)
	}
}

// fieldErrors lists the *config.FieldError values in err's tree.
func fieldErrors(err error) []*config.FieldError {
	var out []*config.FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*config.FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// Deferred re-weighting (drw_epoch): the first epochs train exactly as the
// unweighted loss does, the later ones with the class weights, and the
// validation loss is the weighted loss in every epoch (checked against
// losses.Evaluate on the best epoch's class probabilities). Interrupted
// after its first epoch and resumed, a run logs what it logs uninterrupted.
func TestDeferredReweighting(t *testing.T) {
	mk := func() *Experiment { return tiny(t).Epochs(3).Loss("CB", "CE").Weighting("ENS", 0.9) }
	run := func(e *Experiment) *runlog.Log { t.Helper(); return runLog(t, e) }
	unweighted := run(mk().Weighting("none", 0))
	weighted := run(mk())
	drw := run(mk().DRWEpoch(2))
	// Two training steps per call (MultiStep programs, rebuilt at the
	// switch) log the same.
	if steps2 := run(mk().DRWEpoch(2).StepsPerCall(2)); !reflect.DeepEqual(steps2.Results.TrainLoss, drw.Results.TrainLoss) || !reflect.DeepEqual(steps2.Results.ValidLoss, drw.Results.ValidLoss) {
		t.Errorf("steps_per_call 2: train loss %v valid loss %v; 1 step per call %v %v", steps2.Results.TrainLoss, steps2.Results.ValidLoss, drw.Results.TrainLoss, drw.Results.ValidLoss)
	}
	tl, ul := drw.Results.TrainLoss, unweighted.Results.TrainLoss
	if !slices.Equal(tl[:2], ul[:2]) || tl[2] == ul[2] {
		t.Errorf("train loss: drw_epoch 2 %v, unweighted %v: want the first 2 epochs equal, the third not", tl, ul)
	}
	if slices.Equal(tl, weighted.Results.TrainLoss) {
		t.Errorf("train loss: drw_epoch 2 equals the weighted loss's %v", tl)
	}
	weights := losses.FromConfig(drw.VarDict)
	for _, tt := range []struct {
		name string
		log  *runlog.Log
		want bool // the weighted loss of the best epoch's probabilities is its valid loss
	}{{"drw", drw, true}, {"weighted", weighted, true}, {"unweighted", unweighted, false}} {
		best := tt.log.Run.BestEpoch
		logits := make([][]float64, len(tt.log.Run.ValidScores))
		for i, p := range tt.log.Run.ValidScores {
			for _, x := range p {
				logits[i] = append(logits[i], math.Log(x)) // softmax(log p) = p
			}
		}
		want, err := losses.Evaluate(weights, tt.log.Run.TrainCounts, logits, tt.log.Y.Valid.True[strconv.Itoa(best)])
		if err != nil {
			t.Fatal(err)
		}
		got := tt.log.Results.ValidLoss[best]
		if same := math.Abs(got-want) < 1e-4*math.Abs(want); same != tt.want {
			t.Errorf("%s: valid loss %.6f at best epoch %d, weighted loss of its probabilities %.6f", tt.name, got, best, want)
		}
	}

	path := filepath.Join(t.TempDir(), "drw.json")
	ctx, cancel := gocontext.WithCancel(gocontext.Background())
	defer cancel()
	var progress strings.Builder
	stopAfterFirst := writerFunc(func(p []byte) (int, error) {
		progress.Write(p)
		if strings.Contains(string(p), "epoch 1/3") {
			cancel()
		}
		return len(p), nil
	})
	if _, err := mk().DRWEpoch(1).LogPath(path).Checkpoints(true).Verbose(stopAfterFirst).Run(ctx); !errors.Is(err, gocontext.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	resumed := run(mk().DRWEpoch(1).LogPath(path).Resume().Verbose(&progress))
	full := run(mk().DRWEpoch(1))
	if !reflect.DeepEqual(resumed.Results.TrainLoss, full.Results.TrainLoss) || !reflect.DeepEqual(resumed.Results.ValidLoss, full.Results.ValidLoss) {
		t.Errorf("resumed: train loss %v valid loss %v; uninterrupted %v %v", resumed.Results.TrainLoss, resumed.Results.ValidLoss, full.Results.TrainLoss, full.Results.ValidLoss)
	}
	if !strings.Contains(progress.String(), "drw_epoch 1: training with the class weights from epoch 2/3 on") {
		t.Errorf("progress does not say when the weights start:\n%s", progress.String())
	}
}

// Deferred re-sampling (drs_epoch): the first epochs draw the data as it
// is and train exactly as sampling "none" does, the later ones draw what
// weighted sampling draws in those epochs; each epoch keeps the data's
// size. The best epoch is one after the switch.
func TestDeferredResampling(t *testing.T) {
	mk := func() *Experiment { return tiny(t).Epochs(3) }
	run := func(e *Experiment) *runlog.Log { t.Helper(); return runLog(t, e) }
	none := run(mk())
	weighted := run(mk().Sampling(config.SamplingWeighted))
	drs := run(mk().Sampling(config.SamplingWeighted).DRSEpoch(2))
	counts := drs.Run.TrainCounts
	sc := drs.Results.SampledClassCounts
	if len(sc) != 3 || !slices.Equal(sc[0], counts) || !slices.Equal(sc[1], counts) || !slices.Equal(sc[2], weighted.Results.SampledClassCounts[2]) || slices.Equal(sc[2], counts) {
		t.Errorf("sampled class counts %v (training counts %v, weighted epoch 2 %v)", sc, counts, weighted.Results.SampledClassCounts[2])
	}
	tl, nl := drs.Results.TrainLoss, none.Results.TrainLoss
	if !slices.Equal(tl[:2], nl[:2]) || tl[2] == nl[2] {
		t.Errorf("train loss: drs_epoch 2 %v, sampling none %v: want the first 2 epochs equal, the third not", tl, nl)
	}
	if drs.VarDict.DRSEpoch != 2 || drs.Run.BestFrom != 2 || drs.Run.BestEpoch < 2 {
		t.Errorf("var_dict drs_epoch %d, best_from %d, best epoch %d: want 2, 2, >= 2", drs.VarDict.DRSEpoch, drs.Run.BestFrom, drs.Run.BestEpoch)
	}
	var fe *config.FieldError
	if _, err := mk().DRSEpoch(1).Run(gocontext.Background()); !errors.As(err, &fe) || fe.Key != "drs_epoch" {
		t.Errorf("drs_epoch without weighted sampling: err = %v, want a drs_epoch field error", err)
	}
}

// LDAM (loss_type LDAM of family CB) trains a cosine head, alone and with
// deferred re-weighting (LDAM-DRW), and its log records the margin and
// scale.
func TestLDAMRun(t *testing.T) {
	for _, e := range []*Experiment{
		tiny(t).Loss("CB", "LDAM").Weighting("none", 0),
		tiny(t).Loss("CB", "LDAM").Weighting("ENS", 0.9999).DRWEpoch(1),
		// A frozen backbone: the head alone trains on kept features.
		tiny(t).Model("small_cnn", false, false).Set("rotate", false).Loss("CB", "LDAM").Weighting("ENS", 0.9999).DRWEpoch(1),
	} {
		res, err := e.Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		res.Free()
		l := res.Log
		if l.Run.Status != runlog.StatusFinished || l.VarDict.LDAMMargin != 0.5 || l.VarDict.LDAMScale != 30 || res.Model.Options.CosineScale != 30 {
			t.Errorf("status %s, ldam_margin %g, ldam_scale %g, cosine scale %g", l.Run.Status, l.VarDict.LDAMMargin, l.VarDict.LDAMScale, res.Model.Options.CosineScale)
		}
		for _, v := range append(slices.Clone(l.Results.TrainLoss), l.Results.ValidLoss...) {
			if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
				t.Errorf("losses %v / %v", l.Results.TrainLoss, l.Results.ValidLoss)
				break
			}
		}
	}
}

// best_by picks the best epoch by another metric: the log's best epoch is
// the highest balanced accuracy, its kept probabilities are that epoch's,
// and a metric that cannot pick it is a field error before any data loads.
func TestBestBy(t *testing.T) {
	res, err := tiny(t).Epochs(3).Loss("CB", "CE").BestBy("valid_balanced_accuracy").Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	res.Free()
	l := res.Log
	s, err := l.Series("valid_balanced_accuracy")
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for e, v := range s {
		if v > s[want] {
			want = e
		}
	}
	if l.Run.BestEpoch != want || l.Run.BestBy != "valid_balanced_accuracy" || l.VarDict.BestBy != "valid_balanced_accuracy" {
		t.Errorf("best epoch %d by %q, want %d (balanced accuracy %v)", l.Run.BestEpoch, l.Run.BestBy, want, s)
	}
	yTrue, scores, err := l.BestValidScores()
	if err != nil {
		t.Fatal(err)
	}
	r, err := metrics.Compute(yTrue, metrics.ArgMax(scores), 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.BalancedAccuracy-s[want]) > 1e-9 {
		t.Errorf("the kept probabilities give balanced accuracy %g, the best epoch's is %g", r.BalancedAccuracy, s[want])
	}
	for _, bad := range []string{"valid_ece", "train_accuracy", "valid_bogus"} {
		_, err := tiny(t).BestBy(bad).Run(gocontext.Background())
		if fes := fieldErrors(err); len(fes) != 1 || fes[0].Key != "best_by" {
			t.Errorf("best_by %q: %v", bad, err)
		}
	}
}

// runLog runs e to the end and returns its log, its device memory freed.
func runLog(t *testing.T, e *Experiment) *runlog.Log {
	t.Helper()
	res, err := e.Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	res.Free()
	return res.Log
}
