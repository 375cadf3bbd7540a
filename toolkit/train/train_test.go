package train

import (
	gocontext "context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/gomlx/gomlx/backends/simplego"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// toyData makes an imbalanced two-class set of 4x4 images: class 0 dark,
// class 1 bright, with a little noise so the task is learnable but not trivial.
func toyData(n0, n1 int, seed int) *data.Dataset {
	ds := &data.Dataset{Classes: []string{"dark", "bright"}}
	k := seed
	for c, n := range []int{n0, n1} {
		for i := 0; i < n; i++ {
			img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
			for p := 0; p < 16; p++ {
				k = (k*1103515245 + 12345) & 0x7fffffff
				v := uint8(40 + 120*c + k%80)
				img.Set(p%4, p/4, color.NRGBA{v, v, v, 255})
			}
			ds.Images = append(ds.Images, img)
			ds.Labels = append(ds.Labels, c)
			ds.Sources = append(ds.Sources, "toy")
		}
	}
	return ds
}

type flatBatcher struct{ train, valid *data.Dataset }

func (f flatBatcher) Batch(idx []int, _, _ int, train bool) (*tensors.Tensor, *tensors.Tensor, error) {
	ds := f.valid
	if train {
		ds = f.train
	}
	h, w := 4, 4
	x := make([]float32, 0, len(idx)*h*w*3)
	y := make([]int32, len(idx))
	for k, i := range idx {
		img := ds.Images[i]
		for p := 0; p < h*w; p++ {
			c := img.NRGBAAt(p%w, p/w)
			x = append(x, float32(c.R)/255, float32(c.G)/255, float32(c.B)/255)
		}
		y[k] = int32(ds.Labels[i])
	}
	return tensors.FromFlatDataAndDimensions(x, len(idx), h, w, 3), tensors.FromFlatDataAndDimensions(y, len(idx)), nil
}

func denseModel(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
	x := graph.Reshape(inputs[0], inputs[0].Shape().Dimensions[0], -1)
	return []*graph.Node{layers.DenseWithBias(ctx.In("classifier"), x, 2)}
}

// ceLoss is GoMLX's cross-entropy on labels [batch] (it wants [batch, 1]).
func ceLoss(labels, predictions []*graph.Node) *graph.Node {
	return losses.SparseCategoricalCrossEntropyLogits([]*graph.Node{graph.ExpandAxes(labels[0], -1)}, predictions)
}

func testSetup(t *testing.T, dir string) Setup {
	t.Helper()
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.BatchSize, cfg.Epochs, cfg.LearningRate, cfg.ImageSize = 8, 3, 0.05, 4
	cfg.NClass, cfg.ModelName = 2, "toy"
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := Setup{
		Config: cfg, Train: toyData(30, 10, 1), Valid: toyData(10, 5, 2),
		Backend: backend, BackendInfo: "go",
		Model: denseModel, Loss: ceLoss,
		Optimizer: optimizers.Adam().LearningRate(cfg.LearningRate).Done(),
		Now:       func() time.Time { return fixed },
	}
	s.Batcher = flatBatcher{s.Train, s.Valid}
	if dir != "" {
		s.LogPath = filepath.Join(dir, "run.json")
	}
	return s
}

func TestRunWritesCompleteLog(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(gocontext.Background(), testSetup(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	l, err := runlog.Read(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(l.Results.ValidLoss); got != 3 {
		t.Fatalf("valid_loss has %d epochs, want 3", got)
	}
	if l.Run.Status != runlog.StatusFinished || l.Run.StopReason != "epochs" {
		t.Errorf("status %q reason %q", l.Run.Status, l.Run.StopReason)
	}
	// Every validation sample is evaluated exactly once per epoch, and
	// accuracy is correct / samples.
	for e := 0; e < 3; e++ {
		key := []string{"0", "1", "2"}[e]
		yt, yp := l.Y.Valid.True[key], l.Y.Valid.Pred[key]
		if len(yt) != 15 || len(yp) != 15 {
			t.Fatalf("epoch %d: %d valid labels, want 15", e, len(yt))
		}
		correct := 0
		for i := range yt {
			if yt[i] == yp[i] {
				correct++
			}
		}
		if got, want := l.Results.ValidAccuracy[e], float64(correct)/15; math.Abs(got-want) > 1e-12 {
			t.Errorf("epoch %d valid accuracy %v, want %v", e, got, want)
		}
		if n := len(l.Y.Train.True[key]); n != 40 {
			t.Errorf("epoch %d: %d train labels, want 40", e, n)
		}
	}
	if res.Log.Results.TrainLoss[2] >= res.Log.Results.TrainLoss[0] {
		t.Errorf("train loss did not go down: %v", res.Log.Results.TrainLoss)
	}
	if len(l.Run.ValidScores) != 15 {
		t.Errorf("valid scores: %d rows, want 15", len(l.Run.ValidScores))
	}
}

func TestRunIsDeterministic(t *testing.T) {
	a, err := Run(gocontext.Background(), testSetup(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(gocontext.Background(), testSetup(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	a.Log.Run.WallSeconds, b.Log.Run.WallSeconds = 0, 0
	a.Log.Results.EpochSeconds, b.Log.Results.EpochSeconds = nil, nil
	ja, _ := json.Marshal(a.Log)
	jb, _ := json.Marshal(b.Log)
	if string(ja) != string(jb) {
		t.Error("two runs with the same seed wrote different logs")
	}
}

func TestNaNLossStopsWithLog(t *testing.T) {
	dir := t.TempDir()
	s := testSetup(t, dir)
	s.Loss = func(labels, predictions []*graph.Node) *graph.Node {
		l := ceLoss(labels, predictions)
		return graph.Div(l, graph.ScalarZero(l.Graph(), l.DType()))
	}
	_, err := Run(gocontext.Background(), s)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("err = %v, want ErrNonFinite", err)
	}
	// Outputs are read one step late; the error still names the batch.
	if !strings.Contains(err.Error(), "epoch 1/3 batch 1:") {
		t.Errorf("err = %v, want it to name epoch 1/3 batch 1", err)
	}
	l, rerr := runlog.Read(s.LogPath)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if l.Run.Status != runlog.StatusFailed || l.Run.StopReason != "nan_loss" || l.Run.Error == "" {
		t.Errorf("log says status %q reason %q error %q", l.Run.Status, l.Run.StopReason, l.Run.Error)
	}
}

// A run log that cannot be written stops the run at once, with one error
// naming it (not the same error twice, from a retry to record it).
func TestUnwritableLog(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := testSetup(t, "")
	s.LogPath = filepath.Join(file, "run.json")
	_, err := Run(gocontext.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "run log "+s.LogPath) || strings.Count(err.Error(), "not a directory") != 1 {
		t.Errorf("err = %v, want one error naming the run log", err)
	}
}

// Weights that diverge while the training loss stays finite are caught by
// the validation pass: the same error and log as a non-finite training loss.
func TestNaNValidationStopsWithLog(t *testing.T) {
	dir := t.TempDir()
	s := testSetup(t, dir)
	// After the first epoch's training, before its validation pass.
	s.EpochHooks = []EpochHook{func(_ backends.Backend, ctx *context.Context) error {
		var err error
		ctx.EnumerateVariables(func(v *context.Variable) {
			if v.Trainable && err == nil && v.Shape().DType == dtypes.Float32 {
				nan := make([]float32, v.Shape().Size())
				for i := range nan {
					nan[i] = float32(math.NaN())
				}
				err = v.SetValue(tensors.FromFlatDataAndDimensions(nan, v.Shape().Dimensions...))
			}
		})
		return err
	}}
	_, err := Run(gocontext.Background(), s)
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "epoch 1/3 validation:") || !strings.Contains(err.Error(), "learning_rate") {
		t.Fatalf("err = %v, want ErrNonFinite naming epoch 1/3's validation, with a hint", err)
	}
	l, rerr := runlog.Read(s.LogPath)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if l.Run.Status != runlog.StatusFailed || l.Run.StopReason != runlog.StopNaNLoss || l.Run.EpochsDone != 0 {
		t.Errorf("log says status %q reason %q, %d epochs done", l.Run.Status, l.Run.StopReason, l.Run.EpochsDone)
	}
}

func TestEarlyStopping(t *testing.T) {
	s := testSetup(t, "")
	s.Config.Epochs, s.Config.Patience = 30, 1
	s.Config.LearningRate = 2 // diverges quickly, so validation loss stops improving
	s.Optimizer = optimizers.StochasticGradientDescent().WithLearningRate(2).Done()
	s.RestoreBest = true
	res, err := Run(gocontext.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	l := res.Log
	if l.Run.EpochsDone >= 30 {
		t.Fatalf("ran all %d epochs; early stopping never triggered (valid loss %v)", l.Run.EpochsDone, l.Results.ValidLoss)
	}
	if l.Run.StopReason != runlog.StopEarlyStopping || !l.Run.RestoredBest {
		t.Errorf("stop reason %q, restored best %v", l.Run.StopReason, l.Run.RestoredBest)
	}
	best := l.Run.BestEpoch
	for e, v := range l.Results.ValidLoss {
		if v < l.Results.ValidLoss[best] {
			t.Errorf("epoch %d has lower valid loss %v than best epoch %d (%v)", e, v, best, l.Results.ValidLoss[best])
		}
	}
}

// PatienceFrom (a deferred sampler's switch) holds early stopping off until
// patience epochs after it, though the validation loss stops improving
// at once.
func TestEarlyStoppingPatienceFrom(t *testing.T) {
	s := testSetup(t, "")
	s.Config.Epochs, s.Config.Patience = 30, 1
	s.Config.LearningRate = 2
	s.Optimizer = optimizers.StochasticGradientDescent().WithLearningRate(2).Done()
	s.PatienceFrom = 6
	res, err := Run(gocontext.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	l := res.Log
	if l.Run.StopReason != runlog.StopEarlyStopping || l.Run.EpochsDone < 7 || l.Run.EpochsDone-1-max(l.Run.BestEpoch, 5) != 1 {
		t.Errorf("stopped after %d epochs (%s), best epoch %d: want epoch 6 at the earliest, one after max(best, 5)", l.Run.EpochsDone, l.Run.StopReason, l.Run.BestEpoch)
	}
}

func TestCancelKeepsFinishedEpochs(t *testing.T) {
	dir := t.TempDir()
	s := testSetup(t, dir)
	s.Config.Epochs = 50
	ctx, cancel := gocontext.WithCancel(gocontext.Background())
	var epochs int
	s.EpochHooks = []EpochHook{func(backends.Backend, *context.Context) error {
		epochs++
		if epochs == 2 {
			cancel()
		}
		return nil
	}}
	_, err := Run(ctx, s)
	if !errors.Is(err, gocontext.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	l, rerr := runlog.Read(s.LogPath)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if l.Run.Status != runlog.StatusInterrupted || l.Run.EpochsDone != 1 || len(l.Results.ValidLoss) != 1 {
		t.Errorf("status %q, epochs done %d, %d valid losses", l.Run.Status, l.Run.EpochsDone, len(l.Results.ValidLoss))
	}
	if _, err := os.Stat(s.LogPath + ".tmp"); err == nil {
		t.Error("a temporary log file was left behind")
	}
}

// A run stopped after two epochs and resumed from its log and checkpoint
// ends with the same log as a run that was never stopped.
func TestResumeMatchesUninterrupted(t *testing.T) {
	full, err := Run(gocontext.Background(), testSetup(t, ""))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	s := interruptedRun(t, dir, 2)

	s2 := testSetup(t, dir)
	s2.CheckpointDir, s2.Resume = s.CheckpointDir, true
	s2.BackendInfo, s2.DeviceInfo = "go, elsewhere", "another machine"
	resumed, err := Run(gocontext.Background(), s2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resumed.Log.Results.ValidLoss, full.Log.Results.ValidLoss; len(got) != len(want) {
		t.Fatalf("resumed run has %d epochs, want %d", len(got), len(want))
	}
	for e := range full.Log.Results.ValidLoss {
		g, w := resumed.Log.Results.ValidLoss[e], full.Log.Results.ValidLoss[e]
		if math.Abs(g-w) > 1e-6 {
			t.Errorf("epoch %d valid loss %v after resume, %v uninterrupted", e, g, w)
		}
	}
	if resumed.Log.Run.Status != runlog.StatusFinished {
		t.Errorf("status %q", resumed.Log.Run.Status)
	}
	// The log says where the run continued; where it started stays.
	want := []runlog.Resume{{Epoch: 2, Time: "20260102-030405", Backend: "go, elsewhere", Device: "another machine"}}
	if got := resumed.Log.Run.Resumes; !reflect.DeepEqual(got, want) || resumed.Log.Run.Backend != "go" {
		t.Errorf("resumes %+v, want %+v (backend %q)", got, want, resumed.Log.Run.Backend)
	}
}

// A run interrupted in its first epoch has a log and no checkpoint yet:
// resuming starts it again in the same log, which ends as a run that was
// never stopped.
func TestResumeBeforeFirstCheckpoint(t *testing.T) {
	full, err := Run(gocontext.Background(), testSetup(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := interruptedRun(t, dir, 0)
	if files, _ := os.ReadDir(s.CheckpointDir); len(files) > 0 {
		t.Fatalf("checkpoint folder holds %d files after no finished epoch", len(files))
	}
	s2 := testSetup(t, dir)
	s2.CheckpointDir, s2.Resume = s.CheckpointDir, true
	resumed, err := Run(gocontext.Background(), s2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resumed.Log.Results.ValidLoss, full.Log.Results.ValidLoss; !slices.Equal(got, want) {
		t.Errorf("valid losses %v after a resume from the start, %v uninterrupted", got, want)
	}
	if r := resumed.Log.Run; r.Status != runlog.StatusFinished || len(r.Resumes) != 1 || r.Resumes[0].Epoch != 0 {
		t.Errorf("status %q, resumes %+v: want finished, one resume at epoch 0", r.Status, r.Resumes)
	}

	// With finished epochs and their checkpoint gone, resuming is refused.
	s = interruptedRun(t, t.TempDir(), 1)
	if err := os.RemoveAll(s.CheckpointDir); err != nil {
		t.Fatal(err)
	}
	s3 := testSetup(t, filepath.Dir(s.LogPath))
	s3.CheckpointDir, s3.Resume = s.CheckpointDir, true
	if _, err := Run(gocontext.Background(), s3); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("err = %v, want no checkpoint for its finished epochs", err)
	}
}

// A checkpoint that is not at the step the log records (a run killed
// between saving the checkpoint and the log) is refused, not trained on.
func TestResumeRefusesCheckpointAheadOfLog(t *testing.T) {
	dir := t.TempDir()
	s := interruptedRun(t, dir, 1)
	l, err := runlog.Read(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if l.Run.GlobalStep == 0 {
		t.Fatal("the log records no global step")
	}
	l.Run.GlobalStep-- // as if the checkpoint had been saved after the log
	if err := runlog.Write(s.LogPath, l); err != nil {
		t.Fatal(err)
	}
	s2 := testSetup(t, dir)
	s2.CheckpointDir, s2.Resume = s.CheckpointDir, true
	if _, err := Run(gocontext.Background(), s2); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Errorf("err = %v, want the checkpoint and log to disagree", err)
	}
}

// interruptedRun trains with checkpoints in dir and cancels the run during
// the epoch after `finished` epochs; it returns the run's setup.
func interruptedRun(t *testing.T, dir string, finished int) Setup {
	t.Helper()
	s := testSetup(t, dir)
	s.CheckpointDir = filepath.Join(dir, "ckpt")
	ctx, cancel := gocontext.WithCancel(gocontext.Background())
	epochs := 0
	s.EpochHooks = []EpochHook{func(backends.Backend, *context.Context) error {
		if epochs++; epochs == finished+1 {
			cancel()
		}
		return nil
	}}
	if _, err := Run(ctx, s); !errors.Is(err, gocontext.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	l, err := runlog.Read(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if l.Run.EpochsDone != finished {
		t.Fatalf("interrupted run kept %d epochs, want %d", l.Run.EpochsDone, finished)
	}
	return s
}

// TestLagged: each pushed step is read when the next is pushed, the last
// at flush, in order; a step left unread after an error is dropped once.
func TestLagged(t *testing.T) {
	var read, dropped []int
	l := lagged[int]{
		read: func(v int) error {
			read = append(read, v)
			if v == 3 {
				return errors.New("step 3")
			}
			return nil
		},
		drop: func(v int) { dropped = append(dropped, v) },
	}
	for v := range 3 {
		if err := l.push(v); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(read, []int{0, 1}) {
		t.Errorf("read %v after pushing 0, 1, 2; want [0 1]", read)
	}
	if err := l.flush(); err != nil || !slices.Equal(read, []int{0, 1, 2}) {
		t.Errorf("flush: %v, read %v", err, read)
	}
	_ = l.push(3)
	if err := l.push(4); err == nil {
		t.Error("the error of reading step 3 was lost")
	}
	l.discard()
	l.discard()
	if !slices.Equal(dropped, []int{4}) {
		t.Errorf("dropped %v, want [4]", dropped)
	}
}

// TestStepsPerCall: k training steps per call write the log of one step
// per call (the 5 batches of an epoch run as calls of 2+2+1, 3+1+1, 5 or
// 1+1+1+1+1), with and without prefetching, and over resumable epochs.
func TestStepsPerCall(t *testing.T) {
	logOf := func(k int, sequential bool) string {
		t.Helper()
		s := testSetup(t, "")
		s.Config.StepsPerCall, s.sequential = k, sequential
		s.Batcher = newAugmentingBatcher(s, false)
		res, err := Run(gocontext.Background(), s)
		if err != nil {
			t.Fatalf("steps_per_call %d: %v", k, err)
		}
		res.Log.Run.WallSeconds, res.Log.Results.EpochSeconds = 0, nil
		res.Log.VarDict.StepsPerCall = 1
		j, err := json.Marshal(res.Log)
		if err != nil {
			t.Fatal(err)
		}
		return string(j)
	}
	want := logOf(1, false)
	for _, tc := range []struct {
		k          int
		sequential bool
	}{{2, false}, {3, true}, {5, false}, {8, false}} {
		if got := logOf(tc.k, tc.sequential); got != want {
			t.Errorf("steps_per_call %d (sequential %v): the log differs from one step per call", tc.k, tc.sequential)
		}
	}
}

// TestStepsPerCallNaN: a non-finite loss inside a call of several steps
// still names its batch.
func TestStepsPerCallNaN(t *testing.T) {
	s := testSetup(t, "")
	s.Config.StepsPerCall = 3
	s.Loss = func(labels, predictions []*graph.Node) *graph.Node {
		l := ceLoss(labels, predictions)
		return graph.Div(l, graph.ScalarZero(l.Graph(), l.DType()))
	}
	_, err := Run(gocontext.Background(), s)
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "epoch 1/3 batch 1:") {
		t.Fatalf("err = %v, want ErrNonFinite naming epoch 1/3 batch 1", err)
	}
}

func TestEarlyStop(t *testing.T) {
	tests := []struct {
		epoch, best, patience, early int
		want                         bool
	}{
		{5, 5, 0, 0, false}, // no patience: never
		{5, 2, 3, 0, true},  // 3 epochs without a better one
		{4, 2, 3, 0, false}, // 2
		{5, 2, 3, 4, false}, // the switch after epoch 3 (0-based): patience counts from it
		{6, 2, 3, 4, true},  // epochs 4, 5, 6 under the later loss
		{6, 5, 3, 4, false}, // a better epoch after the switch
		{8, 5, 3, 4, true},  // 3 after it
		{1, 0, 1, 1, true},  // drw_epoch 1: epoch 1 is the first weighted one, then 1 more
		{0, 0, 1, 1, false},
	}
	for _, tt := range tests {
		if got := earlyStop(tt.epoch, tt.best, tt.patience, tt.early); got != tt.want {
			t.Errorf("earlyStop(epoch %d, best %d, patience %d, early epochs %d) = %v, want %v", tt.epoch, tt.best, tt.patience, tt.early, got, tt.want)
		}
	}
}
