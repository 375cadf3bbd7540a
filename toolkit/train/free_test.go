package train

import (
	gocontext "context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/internal/livecount"
)

// TestRunFreesPrograms: a finished run keeps nothing on the backend but
// its variables (the trained model it returns); finalizing them leaves
// nothing at all. On a GPU anything else would hold device memory until a
// Go garbage collection, which a small Go heap may not start for many runs.
func TestRunFreesPrograms(t *testing.T) {
	for _, k := range []int{1, 2} {
		s := testSetup(t, "")
		counted := livecount.Wrap(s.Backend)
		s.Backend = counted
		s.Config.StepsPerCall = k
		res, err := Run(gocontext.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		vars := 0
		for v := range res.Context.IterVariables() {
			if v.HasValue() {
				vars++
			}
		}
		if counted.Programs() != 0 || counted.Buffers() > vars {
			t.Errorf("steps_per_call %d: after the run %s; want no programs and at most the %d variables", k, counted.Report(), vars)
		}
		res.Context.Finalize()
		if counted.Programs() != 0 || counted.Buffers() != 0 {
			t.Errorf("steps_per_call %d: after finalizing the variables %s; want nothing", k, counted.Report())
		}
	}
}

// TestPadValid: with PadValid the last, partial validation batch runs
// through the full batch's forward program (one compile instead of two)
// and the run logs what it logs without padding: the padded rows are
// dropped before the loss and the probabilities. Without a full batch
// in the validation set nothing is padded.
func TestPadValid(t *testing.T) {
	for _, tc := range []struct {
		name          string
		valid         *data.Dataset
		pad           bool
		forward, lpad int // compiles of the forward and the padded-loss programs
	}{
		{"15 samples, batch 8, unpadded", toyData(10, 5, 2), false, 2, 0},
		{"15 samples, batch 8, padded", toyData(10, 5, 2), true, 1, 1},
		{"16 samples, batch 8, nothing to pad", toyData(10, 6, 2), true, 1, 0},
		{"5 samples, batch 8, no full batch", toyData(3, 2, 2), true, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(pad bool) (*Result, map[string]int) {
				s := testSetup(t, "")
				s.Valid = tc.valid
				s.Batcher = flatBatcher{s.Train, s.Valid}
				counted := livecount.Wrap(s.Backend)
				s.Backend, s.PadValid = counted, pad
				res, err := Run(gocontext.Background(), s)
				if err != nil {
					t.Fatal(err)
				}
				return res, compiledByName(counted)
			}
			res, compiled := run(tc.pad)
			if compiled["debiaser/eval"] != tc.forward || compiled["debiaser/eval_loss_padded"] != tc.lpad {
				t.Errorf("compiled %v; want debiaser/eval x%d, debiaser/eval_loss_padded x%d", compiled, tc.forward, tc.lpad)
			}
			if !tc.pad {
				return
			}
			ref, _ := run(false)
			got, want := res.Log, ref.Log
			if n := len(got.Run.ValidScores); n != tc.valid.Len() {
				t.Errorf("%d rows of validation scores; want %d", n, tc.valid.Len())
			}
			if !reflect.DeepEqual(got.Results, want.Results) || !reflect.DeepEqual(got.Y, want.Y) ||
				!reflect.DeepEqual(got.Run.ValidScores, want.Run.ValidScores) {
				t.Errorf("padded run logs other results:\n%+v\nunpadded:\n%+v", got.Results, want.Results)
			}
		})
	}
}

// TestEvalBatchSize: validating eval_batch_size samples at a time logs
// what batch_size at a time logs: the predictions and scores, and the
// validation loss, which stays the mean of the losses of every batch_size
// samples (checked with a loss that depends on the batch's composition,
// where one loss per larger batch would differ). Fewer forward calls:
// counted by the batches the Batcher makes.
func TestEvalBatchSize(t *testing.T) {
	// The square of the batch's mean cross-entropy: not a mean over samples.
	squaredMean := func(labels, predictions []*graph.Node) *graph.Node {
		return graph.Square(graph.ReduceAllMean(ceLoss(labels, predictions)))
	}
	for _, tc := range []struct {
		name       string
		valid      *data.Dataset
		eval       int // eval_batch_size, batch_size 8
		evalCalls  int // validation batches an epoch
		forwardPgs int // forward programs compiled
	}{
		{"15 samples in batches of 8", toyData(10, 5, 2), 0, 2, 1},
		{"15 samples in one batch of 16", toyData(10, 5, 2), 16, 1, 1},
		{"40 samples in batches of 16, the last padded", toyData(25, 15, 2), 16, 3, 1},
		{"40 samples in batches of 24, the last padded", toyData(25, 15, 2), 24, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(eval int) (*Result, *countingBatcher, map[string]int) {
				s := testSetup(t, "")
				s.Valid, s.Loss, s.PadValid = tc.valid, squaredMean, true
				s.Config.EvalBatchSize, s.Config.Epochs = eval, 2
				b := &countingBatcher{Batcher: flatBatcher{s.Train, s.Valid}}
				counted := livecount.Wrap(s.Backend)
				s.Batcher, s.Backend = b, counted
				res, err := Run(gocontext.Background(), s)
				if err != nil {
					t.Fatal(err)
				}
				return res, b, compiledByName(counted)
			}
			res, b, compiled := run(tc.eval)
			if b.valid != 2*tc.evalCalls || compiled["debiaser/eval"] != tc.forwardPgs {
				t.Errorf("%d validation batches in 2 epochs, forward programs %v; want %d and %d", b.valid, compiled, 2*tc.evalCalls, tc.forwardPgs)
			}
			// The validation loss from the logged probabilities: the squared
			// mean cross-entropy of every 8 samples, weighted by their count.
			l := res.Log
			var sum float64
			for start := 0; start < len(l.Run.ValidScores); start += 8 {
				var ce float64
				end := min(start+8, len(l.Run.ValidScores))
				for i := start; i < end; i++ {
					ce -= math.Log(l.Run.ValidScores[i][tc.valid.Labels[i]])
				}
				ce /= float64(end - start)
				sum += ce * ce * float64(end-start)
			}
			fromScores := sum / float64(len(l.Run.ValidScores))
			if got := l.Results.ValidLoss[l.Run.BestEpoch]; math.Abs(got-fromScores) > 1e-4*fromScores {
				t.Errorf("validation loss %v at the best epoch; from the logged probabilities %v", got, fromScores)
			}
			ref, _, _ := run(0)
			got, want := res.Log, ref.Log
			if !reflect.DeepEqual(got.Results, want.Results) || !reflect.DeepEqual(got.Y, want.Y) ||
				!reflect.DeepEqual(got.Run.ValidScores, want.Run.ValidScores) {
				t.Errorf("eval_batch_size %d logs other results: valid loss %v, with batch_size %v", tc.eval, got.Results.ValidLoss, want.Results.ValidLoss)
			}
		})
	}
}

// countingBatcher counts the validation batches it makes.
type countingBatcher struct {
	Batcher
	valid int
}

func (c *countingBatcher) Batch(idx []int, epoch, position int, train bool) (*tensors.Tensor, *tensors.Tensor, error) {
	if !train {
		c.valid++
	}
	return c.Batcher.Batch(idx, epoch, position, train)
}

// compiledByName is the programs compiled through b by graph name, the
// "#N" suffix left out ("debiaser/eval#1" counts as "debiaser/eval").
func compiledByName(b *livecount.Backend) map[string]int {
	byName := map[string]int{}
	for name, n := range b.Compiled() {
		name, _, _ = strings.Cut(name, "#")
		byName[name] += n
	}
	return byName
}
