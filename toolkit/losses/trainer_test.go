package losses

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// TestTrainsWithTrainer plugs every loss into train.Trainer (labels int32
// [batch] and [batch, 1], float32 logits) and checks that a linear model
// lowers it.
func TestTrainsWithTrainer(t *testing.T) {
	backend := backends.MustNew()
	x := [][]float32{}
	var y []int32
	for i := 0; i < 16; i++ {
		c := int32(i % 4)
		if i >= 12 {
			c = 0 // imbalance: class 0 is the majority
		}
		row := []float32{0.1 * float32(i%3), -0.2, 0.3}
		row[c%3] += 1.5
		if c == 3 {
			row[0], row[1], row[2] = -1, -1, 1
		}
		x, y = append(x, row), append(y, c)
	}
	y2 := make([][]int32, len(y))
	for i := range y {
		y2[i] = []int32{y[i]}
	}
	counts := []int{7, 3, 3, 3}
	for _, cfg := range allConfigs() {
		for _, labels := range []*tensors.Tensor{tensors.FromValue(y), tensors.FromValue(y2)} {
			lossFn, err := New(cfg, counts)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			ctx.SetParam(initializers.ParamInitialSeed, int64(3))
			model := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
				return []*Node{layers.DenseWithBias(ctx.In("classifier"), inputs[0], 4)}
			}
			trainer := train.NewTrainer(backend, ctx, model, lossFn,
				optimizers.Adam().LearningRate(0.05).Done(), nil, nil)
			var first, last float32
			for step := 0; step < 40; step++ {
				m, err := trainer.TrainStep(nil, []*tensors.Tensor{tensors.FromValue(x)}, []*tensors.Tensor{labels})
				if err != nil {
					t.Fatalf("%s: %v", caseName(cfg, labels.Shape().String()), err)
				}
				last = m[0].Value().(float32) // batch loss
				if step == 0 {
					first = last
				}
			}
			if !(last < 0.8*first) {
				t.Errorf("%s: loss %g -> %g after 40 steps", caseName(cfg, labels.Shape().String()), first, last)
			}
		}
	}
}
