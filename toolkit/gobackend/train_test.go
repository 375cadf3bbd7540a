package gobackend

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/debiaser/debiaser/toolkit/gobackend/internal/benchnet"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// TestSmallCNNTrains trains the conv-BN-ReLU-maxpool benchmark network on a fixed random batch and
// checks that the loss goes down, then that evaluation (batch norm inference) runs.
func TestSmallCNNTrains(t *testing.T) {
	lossesByConfig := map[string][]float32{}
	for _, config := range []string{"", "emulate"} {
		t.Run("config="+config, func(t *testing.T) {
			backend := mustBackend(t, config)
			ctx := context.New()
			if err := ctx.SetRNGStateFromSeed(42); err != nil {
				t.Fatal(err)
			}
			images, labels := randomBatch(8, 16, 1)
			trainer := train.NewTrainer(backend, ctx, benchnet.SmallCNN,
				losses.SparseCategoricalCrossEntropyLogits, optimizers.Adam().LearningRate(1e-3).Done(), nil, nil)
			var losses []float32
			for range 12 {
				m, err := trainer.TrainStep(nil, []*tensors.Tensor{images}, []*tensors.Tensor{labels})
				if err != nil {
					t.Fatal(err)
				}
				losses = append(losses, m[0].Value().(float32))
			}
			t.Logf("losses: %v", losses)
			lossesByConfig[config] = losses
			if first, last := losses[0], losses[len(losses)-1]; !(last < 0.5*first) {
				t.Errorf("loss did not halve: first %.4f, last %.4f", first, last)
			}
			if _, err := trainer.EvalStep(nil, []*tensors.Tensor{images}, []*tensors.Tensor{labels}); err != nil {
				t.Fatalf("eval: %v", err)
			}
		})
	}
	// Same model, same seed: the fast path and the reference path must train identically (up to
	// float32 rounding, which compounds over steps).
	fast, ref := lossesByConfig[""], lossesByConfig["emulate"]
	for i := range min(len(fast), len(ref)) {
		if d := math.Abs(float64(fast[i] - ref[i])); d > 1e-3*(1+math.Abs(float64(ref[i]))) {
			t.Errorf("step %d: fast loss %g, reference loss %g", i, fast[i], ref[i])
		}
	}
}

// randomBatch returns images [n, size, size, 3] in [0, 1) and int32 labels [n, 1].
func randomBatch(n, size int, seed uint64) (images, labels *tensors.Tensor) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	flat := make([]float32, n*size*size*3)
	for i := range flat {
		flat[i] = rng.Float32()
	}
	lab := make([]int32, n)
	for i := range lab {
		lab[i] = int32(rng.IntN(benchnet.NumClasses))
	}
	return tensors.FromFlatDataAndDimensions(flat, n, size, size, 3), tensors.FromFlatDataAndDimensions(lab, n, 1)
}
