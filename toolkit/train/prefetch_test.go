package train

import (
	gocontext "context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// augmentingBatcher is the toolkit's host pipeline (data.Batcher with
// random flips and rotation) on the toy data, with a random delay per
// batch so the prefetch goroutine runs ahead or behind by chance.
type augmentingBatcher struct {
	train, valid data.Batcher
	jitter       bool
}

func newAugmentingBatcher(s Setup, jitter bool) *augmentingBatcher {
	p := transforms.Pipeline{Size: 4, Std: [3]float32{1, 1, 1}, HFlip: true, VFlip: true, Degrees: 30}
	return &augmentingBatcher{
		train:  data.Batcher{Data: s.Train, Transform: p, Seed: s.Config.Seed, Workers: 2},
		valid:  data.Batcher{Data: s.Valid, Transform: p.InMode(transforms.Eval), Seed: s.Config.Seed},
		jitter: jitter,
	}
}

func (a *augmentingBatcher) Batch(idx []int, epoch, position int, train bool) (*tensors.Tensor, *tensors.Tensor, error) {
	if a.jitter {
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	}
	if train {
		return a.train.Tensors(idx, epoch, position)
	}
	return a.valid.Tensors(idx, epoch, position)
}

// Making the next batch on a goroutine while the current step trains
// changes nothing: the log is the same, bit for bit, as making each batch
// just before its step.
func TestPrefetchMatchesSequential(t *testing.T) {
	logs := map[bool]string{}
	for _, sequential := range []bool{true, false} {
		s := testSetup(t, "")
		s.Batcher = newAugmentingBatcher(s, !sequential)
		s.sequential = sequential
		res, err := Run(gocontext.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		res.Log.Run.WallSeconds, res.Log.Results.EpochSeconds = 0, nil
		j, err := json.Marshal(res.Log)
		if err != nil {
			t.Fatal(err)
		}
		logs[sequential] = string(j)
	}
	if logs[true] != logs[false] {
		t.Error("the run with prefetch wrote a different log from the sequential run")
	}
}

// failingBatcher fails training batch failAt of epoch 0 with the error
// the data package gives for a bad sample, and counts open batches.
type failingBatcher struct {
	flatBatcher
	failAt int
	calls  atomic.Int32
}

func (f *failingBatcher) Batch(idx []int, epoch, position int, train bool) (*tensors.Tensor, *tensors.Tensor, error) {
	if train && position/8 == f.failAt {
		return nil, nil, errors.New("data: sample 17 (dark/img017.png): bad pixels")
	}
	f.calls.Add(1)
	return f.flatBatcher.Batch(idx, epoch, position, train)
}

// settledGoroutines waits for goroutines started by a finished run to
// exit and returns how many are left.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100 && n > want; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// A batcher error stops the run with the sample's file in the message,
// and a cancelled run returns: either way no prefetch goroutine is left.
func TestPrefetchStopsCleanly(t *testing.T) {
	t.Run("batcher error", func(t *testing.T) {
		before := runtime.NumGoroutine()
		s := testSetup(t, "")
		fb := &failingBatcher{flatBatcher: flatBatcher{s.Train, s.Valid}, failAt: 2}
		s.Batcher = fb
		_, err := Run(gocontext.Background(), s)
		if err == nil || !strings.Contains(err.Error(), "dark/img017.png") || !strings.Contains(err.Error(), "epoch 1/3") {
			t.Fatalf("err = %v, want epoch 1/3 and the sample's file named", err)
		}
		if n := settledGoroutines(before); n > before {
			t.Errorf("%d goroutines after the run, %d before: the prefetcher leaked", n, before)
		}
		if c := fb.calls.Load(); c != 2 {
			t.Errorf("%d training batches made, want 2 (the prefetcher stops at the error)", c)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		before := runtime.NumGoroutine()
		s := testSetup(t, "")
		s.Config.Epochs = 50
		ctx, cancel := gocontext.WithCancel(gocontext.Background())
		s.Batcher = cancellingBatcher{flatBatcher{s.Train, s.Valid}, cancel}
		if _, err := Run(ctx, s); !errors.Is(err, gocontext.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if n := settledGoroutines(before); n > before {
			t.Errorf("%d goroutines after the run, %d before: the prefetcher leaked", n, before)
		}
	})
}

// cancellingBatcher cancels the run while making the second training
// batch, i.e. while the first one trains.
type cancellingBatcher struct {
	flatBatcher
	cancel func()
}

func (c cancellingBatcher) Batch(idx []int, epoch, position int, train bool) (*tensors.Tensor, *tensors.Tensor, error) {
	if train && epoch == 1 && position == 8 {
		c.cancel()
	}
	return c.flatBatcher.Batch(idx, epoch, position, train)
}

// A panic in a batcher on the prefetch goroutine is an error of Run, not
// a crash.
func TestPrefetchPanicIsError(t *testing.T) {
	s := testSetup(t, "")
	s.Batcher = panickingBatcher{}
	if _, err := Run(gocontext.Background(), s); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
}

type panickingBatcher struct{}

func (panickingBatcher) Batch([]int, int, int, bool) (*tensors.Tensor, *tensors.Tensor, error) {
	panic("boom")
}
