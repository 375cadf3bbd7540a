package optim

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
)

// torchParams are the model's parameters in PyTorch's [out, in] layout.
type torchParams struct {
	HiddenW [][]float64 `json:"hidden_w"`
	HiddenB []float64   `json:"hidden_b"`
	ClsW    [][]float64 `json:"cls_w"`
	ClsB    []float64   `json:"cls_b"`
}

// optimFixture is testdata/fixture.json, made by testdata/gen_fixture.py
// with PyTorch's optimizers in float64.
type optimFixture struct {
	Steps         int         `json:"steps"`
	StepsPerEpoch int         `json:"steps_per_epoch"`
	X             [][]float64 `json:"x"`
	Y             []int32     `json:"y"`
	Init          torchParams `json:"init"`
	Runs          []struct {
		Name   string          `json:"name"`
		Config json.RawMessage `json:"config"`
		Final  torchParams     `json:"final"`
	} `json:"runs"`
}

func transpose(m [][]float64) [][]float64 {
	out := make([][]float64, len(m[0]))
	for j := range out {
		out[j] = make([]float64, len(m))
		for i := range m {
			out[j][i] = m[i][j]
		}
	}
	return out
}

// TestMatchesPyTorch trains the fixture's MLP (float64) for its steps with
// every setting and compares all parameters with PyTorch's.
func TestMatchesPyTorch(t *testing.T) {
	data, err := os.ReadFile("testdata/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var f optimFixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("testdata/fixture.json: %v", err)
	}
	if len(f.Runs) == 0 {
		t.Fatal("no runs in testdata/fixture.json")
	}
	lossFn, err := losses.New(losses.Config{Family: losses.FamilyBaseline, Type: losses.TypeCE}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mlp := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		h := Tanh(layers.DenseWithBias(ctx.In("hidden"), inputs[0], 5))
		return []*Node{layers.DenseWithBias(ctx.In(ClassifierScope), h, 3)}
	}
	for _, run := range f.Runs {
		c := config.Defaults()
		if _, err := config.Decode(run.Config, &c, true); err != nil {
			t.Fatalf("%s: %v", run.Name, err)
		}
		opt, err := New(c, f.StepsPerEpoch)
		if err != nil {
			t.Fatalf("%s: %v", run.Name, err)
		}
		ctx := context.New()
		trainer := train.NewTrainer(testBackend, ctx, mlp, lossFn, opt, nil, nil)
		x, y := []*tensors.Tensor{tensors.FromValue(f.X)}, []*tensors.Tensor{tensors.FromValue(f.Y)}
		if _, err := trainer.EvalStep(nil, x, y); err != nil { // creates the variables
			t.Fatal(err)
		}
		set := func(scope, name string, value *tensors.Tensor) {
			ctx.GetVariableByScopeAndName(scope, name).MustSetValue(value)
		}
		set(hidScope, "weights", tensors.FromValue(transpose(f.Init.HiddenW)))
		set(hidScope, "biases", tensors.FromValue(f.Init.HiddenB))
		set(clsScope, "weights", tensors.FromValue(transpose(f.Init.ClsW)))
		set(clsScope, "biases", tensors.FromValue(f.Init.ClsB))
		for i := 0; i < f.Steps; i++ {
			if _, err := trainer.TrainStep(nil, x, y); err != nil {
				t.Fatalf("%s: %v", run.Name, err)
			}
		}
		get := func(scope, name string) any { return ctx.GetVariableByScopeAndName(scope, name).MustValue().Value() }
		compare := func(what string, got, want []float64) {
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-9 {
					t.Errorf("%s: %s[%d] = %.12g, PyTorch %.12g", run.Name, what, i, got[i], want[i])
				}
			}
		}
		flatten := func(m [][]float64) []float64 {
			var out []float64
			for _, row := range m {
				out = append(out, row...)
			}
			return out
		}
		compare("hidden weights", flatten(transpose(get(hidScope, "weights").([][]float64))), flatten(run.Final.HiddenW))
		compare("hidden biases", get(hidScope, "biases").([]float64), run.Final.HiddenB)
		compare("classifier weights", flatten(transpose(get(clsScope, "weights").([][]float64))), flatten(run.Final.ClsW))
		compare("classifier biases", get(clsScope, "biases").([]float64), run.Final.ClsB)
	}
}
