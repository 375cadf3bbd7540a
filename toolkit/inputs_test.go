package toolkit

import (
	gocontext "context"
	"reflect"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/datasets"
	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// The validation batches are made once and kept; what is kept equals what
// the host batcher makes; a batch over the budget, or with other indices
// at a kept position, is made anew and not kept.
func TestEvalCache(t *testing.T) {
	ds := datasets.Tiny(2)
	p := transforms.Pipeline{Size: 8, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, Degrees: 30, HFlip: true}
	in := newRunInputs()
	defer in.close()
	c := in.validBatches(nil, ds, p, 1)
	if again := in.validBatches(nil, ds, p.InMode(transforms.Train), 7); again != c {
		t.Error("same data and eval transforms: want the same cache (the mode and seed do not change eval batches)")
	}
	if other := in.validBatches(nil, ds, transforms.Pipeline{Size: 16, Std: p.Std}, 1); other == c {
		t.Error("other eval transforms share the cache")
	}
	idx := []int{0, 1, 2, 3}
	im1, lb1, err := c.Tensors(idx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	im2, lb2, err := c.Tensors(idx, 5, 0) // a later epoch: same batch
	if err != nil {
		t.Fatal(err)
	}
	if im1 != im2 || lb1 != lb2 || !c.Kept(im1) || !c.Kept(lb1) || c.hits != 1 {
		t.Errorf("second call: same tensors %v %v, kept %v %v, hits %d", im1 == im2, lb1 == lb2, c.Kept(im1), c.Kept(lb1), c.hits)
	}
	want, wantLabels, err := (&data.Batcher{Data: ds, Transform: p.InMode(transforms.Eval), Seed: 1}).Floats(idx, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](im1); !slices.Equal(got, want) {
		t.Error("kept images differ from the host batcher's eval batch")
	}
	if got := tensors.MustCopyFlatData[int32](lb1); !slices.Equal(got, wantLabels) {
		t.Errorf("kept labels %v, want %v", got, wantLabels)
	}
	// Other indices at a kept position: made anew, not kept.
	im3, _, err := c.Tensors([]int{4, 5, 6, 7}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if im3 == im1 || c.Kept(im3) {
		t.Error("other indices at position 0 returned or kept the cached batch")
	}
	im3.FinalizeAll()
	// Over the budget: made, returned, not kept.
	c.budget = c.used
	im4, lb4, err := c.Tensors([]int{4, 5}, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kept(im4) || c.Kept(lb4) {
		t.Error("a batch over the budget was kept")
	}
	in.close()
	if im1.Ok() {
		t.Error("close left a kept batch alive")
	}
	// A bad index is an error naming it, not a panic.
	if _, _, err := in.validBatches(nil, ds, p, 1).Tensors([]int{ds.Len()}, 0, 0); err == nil {
		t.Error("index out of range: no error")
	}
}

// Two runs sharing inputs (as a study's methods do) make the validation
// batches once and write the same logs as runs on their own.
func TestSharedInputsSameLogs(t *testing.T) {
	in := newRunInputs()
	defer in.close()
	var shared, alone []float64
	train, valid := datasets.Tiny(1), datasets.Tiny(2)
	backend, _, err := SelectBackend("gofast")
	if err != nil {
		t.Fatal(err)
	}
	// c's head starts from other biases (CB focal: -log(C-1)): its initial
	// values are not those of a and b.
	lossOf := map[string][2]string{"a": {"baseline", "CE"}, "b": {"baseline", "CE"}, "c": {"CB", "focal"}}
	for _, note := range []string{"a", "b", "c"} {
		l := lossOf[note]
		e := tiny(t).Datasets(train, valid).UseBackend(backend).AugmentOn("device").Note(note).Loss(l[0], l[1])
		e.inputs = in
		res, err := e.Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		shared = append(shared, res.Log.Results.ValidLoss...)
		res, err = tiny(t).AugmentOn("device").Note(note).Loss(l[0], l[1]).Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		alone = append(alone, res.Log.Results.ValidLoss...)
	}
	if !slices.Equal(shared, alone) {
		t.Errorf("valid losses with shared inputs %v, alone %v", shared, alone)
	}
	if h := in.initial.Hits(); h != 1 {
		t.Errorf("initial values copied by %d runs, want 1 (b, from a)", h)
	}
	if len(in.valid) != 1 || len(in.aug) != 1 {
		t.Fatalf("shared inputs hold %d validation caches and %d augmenters, want 1 and 1", len(in.valid), len(in.aug))
	}
	batches := (valid.Len() + 7) / 8 // batch 8
	for _, c := range in.valid {
		// 3 runs x 2 epochs: each batch made once, then 5 hits.
		if c.hits != 5*batches || len(c.kept) != batches {
			t.Errorf("validation cache: %d hits, %d batches kept; want %d and %d", c.hits, len(c.kept), 5*batches, batches)
		}
	}
}

// Linear-probe runs that share inputs (a study's methods) compute the
// training features once: the second and third take them from the store
// and log what the whole model logs alone (three losses, one of them with
// oversampling, on the small CNN with a frozen backbone and no random
// transforms).
func TestSharedTrainFeaturesSameLogs(t *testing.T) {
	methods := []func() *Experiment{
		func() *Experiment { return tiny(t) },
		func() *Experiment { return tiny(t).Loss("CB", "focal") },
		func() *Experiment { return tiny(t).Sampling("oversampling") },
	}
	for i := range methods {
		method := methods[i]
		methods[i] = func() *Experiment { return method().Model("small_cnn", false, false).Set("rotate", false).Epochs(3) }
	}
	// The second and third run take the training features (1 entry) and
	// the 6 validation batches' (42 images, 8 a batch, the last padded).
	sharedFeaturesSameLogs(t, methods, 2*(1+6))
}

// Runs with a frozen backbone and random training transforms (the
// study's recipe; a flip here) that share inputs share the validation
// batches' features (the second run takes the first's 6), and log what
// the whole model logs alone.
func TestSharedValidFeaturesSameLogs(t *testing.T) {
	var methods []func() *Experiment
	for _, loss := range []string{"focal", "CE"} {
		methods = append(methods, func() *Experiment {
			return tiny(t).Model("small_cnn", false, false).Flips(true, false).Loss("CB", loss).Set("precision", "bfloat16").Epochs(2)
		})
	}
	sharedFeaturesSameLogs(t, methods, 6)
}

// sharedFeaturesSameLogs runs each method on shared inputs, one after the
// other, and alone with the whole model (nothing kept: the reference),
// compares their results and predictions, and checks how many times the
// shared runs took features from the store.
func sharedFeaturesSameLogs(t *testing.T, methods []func() *Experiment, hits int) {
	t.Helper()
	in := newRunInputs()
	defer in.close()
	train, valid := datasets.Tiny(1), datasets.Tiny(2)
	backend, _, err := SelectBackend("gofast")
	if err != nil {
		t.Fatal(err)
	}
	for i, method := range methods {
		e := method().Datasets(train, valid).UseBackend(backend)
		e.inputs = in
		shared, err := e.Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		whole := method()
		whole.wholeModel = true
		alone, err := whole.Run(gocontext.Background())
		if err != nil {
			t.Fatal(err)
		}
		got, want := shared.Log, alone.Log
		got.Results.EpochSeconds, want.Results.EpochSeconds = nil, nil // times differ
		if !reflect.DeepEqual(got.Results, want.Results) || !reflect.DeepEqual(got.Y, want.Y) || !reflect.DeepEqual(got.Run.ValidScores, want.Run.ValidScores) {
			t.Errorf("method %d: train/valid loss %v %v with shared features; the whole model alone %v %v", i,
				got.Results.TrainLoss, got.Results.ValidLoss, want.Results.TrainLoss, want.Results.ValidLoss)
		}
		shared.Free()
		alone.Free()
	}
	if h := in.features.Hits(); h != hits {
		t.Errorf("features taken from the store %d times, want %d", h, hits)
	}
}
