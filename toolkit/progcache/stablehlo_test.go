//go:build xla

package progcache

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/internal/offlinexla"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/xlafix"
)

// This file needs cgo (GoMLX's XLA backend) but no PJRT plugin: CI runs it
// with `go test -tags xla ./toolkit/progcache/`.

// step describes a training step: what a run's configuration changes in
// its graph.
type step struct {
	model string
	loss  losses.Config
	batch int
	lr    float64
	name  string // the graph's (the module's) name
}

// build is the mixed-precision training step of s, in a new context (as
// each run has its own), returning the loss and the predicted labels.
func (s step) build(t *testing.T) func(g *graph.Graph) []*graph.Node {
	t.Helper()
	m, err := models.Build(s.model, models.Options{NClass: 5, Full: true, Precision: "bfloat16"})
	if err != nil {
		t.Fatal(err)
	}
	lossFn, err := losses.New(s.loss, []int{40, 30, 20, 10, 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	return func(g *graph.Graph) []*graph.Node {
		ctx.SetTraining(g, true)
		x := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, s.batch, 32, 32, 3))
		y := graph.Parameter(g, "labels", shapes.Make(dtypes.Int32, s.batch, 1))
		logits := m.Fn(ctx, nil, []*graph.Node{x})
		loss := lossFn([]*graph.Node{y}, logits)
		train.AddLoss(ctx, loss)
		optimizers.Adam().LearningRate(s.lr).Done().UpdateGraph(ctx, g, train.GetLosses(ctx, g))
		return []*graph.Node{loss, graph.ArgMax(logits[0], -1, dtypes.Int32)}
	}
}

// keyOf returns StableHLOKey's key for the graph build makes on the
// offline XLA backend (with the toolkit's fixes), and the program text
// the backend then compiles.
func keyOf(t *testing.T, name string, build func(g *graph.Graph) []*graph.Node) (key, program string) {
	t.Helper()
	record := func(b backends.Builder, outputs []backends.Op) (string, bool) {
		k, ok := StableHLOKey(b, outputs)
		if !ok {
			t.Errorf("%s: StableHLOKey declined an XLA builder (GoMLX's fields changed?)", name)
		}
		key = k
		return k, ok
	}
	b := xlafix.Wrap(Wrap(offlinexla.Capture(offlinexla.New(t)), New(0, record)))
	program = offlinexla.Program(t, b, name, build)
	return key, program
}

// Equal keys exactly for equal programs: the same step built for two runs
// (new context, another graph name) shares; a different loss, batch or
// model does not. The learning rate is a variable of Adam's, not part of
// the program.
func TestStableHLOKey(t *testing.T) {
	base := step{model: "resnet18", loss: losses.Config{Family: losses.FamilyBaseline}, batch: 4, lr: 1e-3, name: "Trainer#0"}
	baseKey, baseProgram := keyOf(t, base.name, base.build(t))
	if baseKey == "" {
		t.Fatal("no key")
	}
	tests := []struct {
		name  string
		edit  func(s step) step
		equal bool
	}{
		{"another run", func(s step) step { s.name = "Trainer#7"; return s }, true},
		{"another learning rate", func(s step) step { s.lr = 0.1; return s }, true},
		{"focal loss", func(s step) step {
			s.loss = losses.Config{Family: losses.FamilyCB, Type: losses.TypeFocal, Beta: 0.999, Gamma: 2}
			return s
		}, false},
		{"class-balanced CE", func(s step) step {
			s.loss = losses.Config{Family: losses.FamilyCB, Type: losses.TypeCE, Beta: 0.999}
			return s
		}, false},
		{"partial batch", func(s step) step { s.batch = 3; return s }, false},
		{"small CNN", func(s step) step { s.model = "small_cnn"; return s }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.edit(base)
			key, program := keyOf(t, s.name, s.build(t))
			if (key == baseKey) != tc.equal {
				t.Errorf("same key: %v, want %v", key == baseKey, tc.equal)
			}
			// The key must follow the program (all but the module's name).
			sameProgram := stripHeader(program) == stripHeader(baseProgram)
			if sameProgram != (key == baseKey) {
				t.Errorf("same program %v but same key %v", sameProgram, key == baseKey)
			}
		})
	}
}

// Reading the key leaves the program alone: for every model's step, the
// text compiled after it is the text compiled without the cache.
func TestStableHLOKeyNoSideEffect(t *testing.T) {
	for _, model := range models.Names() {
		t.Run(model, func(t *testing.T) {
			s := step{model: model, loss: losses.Config{Family: losses.FamilyBaseline}, batch: 2, lr: 1e-3, name: "step"}
			_, with := keyOf(t, s.name, s.build(t))
			without := offlinexla.Program(t, xlafix.Wrap(offlinexla.Capture(offlinexla.New(t))), s.name, s.build(t))
			if with != without {
				t.Errorf("the program compiled after the key differs from the one without (%d vs %d bytes)", len(with), len(without))
			}
		})
	}
}

func stripHeader(program string) string {
	_, rest, _ := strings.Cut(program, "\n")
	return rest
}
