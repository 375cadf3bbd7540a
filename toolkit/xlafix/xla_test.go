//go:build xla

package xlafix

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/debiaser/debiaser/toolkit/internal/offlinexla"
	"github.com/debiaser/debiaser/toolkit/models"
)

// This file needs cgo (GoMLX's XLA backend) but no PJRT plugin: CI runs it
// with `go test -tags xla ./toolkit/xlafix/`.

// trainStepProgram returns the StableHLO of a bfloat16 training
// step (Adam, cross-entropy, full fine-tuning: the graph GoMLX's Trainer
// builds) as GoMLX's XLA backend writes it, on the backend made by
// wrap(offline XLA).
func trainStepProgram(t *testing.T, model string, wrap func(backends.Backend) backends.Backend) string {
	t.Helper()
	return trainStepProgramWith(t, model, models.Options{}, wrap)
}

// trainStepProgramWith is trainStepProgram with the graph-formulation
// options of o (its NClass, Full and Precision are set here).
func trainStepProgramWith(t *testing.T, model string, o models.Options, wrap func(backends.Backend) backends.Backend) string {
	t.Helper()
	o.NClass, o.Full, o.Precision = 4, true, "bfloat16"
	m, err := models.Build(model, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	return offlinexla.Program(t, wrap(offlinexla.Capture(offlinexla.New(t))), "train_step", func(g *graph.Graph) []*graph.Node {
		ctx.SetTraining(g, true)
		x := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 2, 32, 32, 3))
		y := graph.Parameter(g, "labels", shapes.Make(dtypes.Int32, 2, 1))
		logits := m.Fn(ctx, nil, []*graph.Node{x})
		loss := graph.ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits([]*graph.Node{y}, logits))
		train.AddLoss(ctx, loss)
		optimizers.Adam().LearningRate(1e-4).Done().UpdateGraph(ctx, g, train.GetLosses(ctx, g))
		return []*graph.Node{loss, graph.ArgMax(logits[0], -1, dtypes.Int32)}
	})
}

// TestMixedPrecisionStableHLO: the bf16 ResNet-18 training step GoMLX's
// XLA backend writes contains an unparseable constant (the H200 compile
// failure), and with Wrap every constant of every model's step is well
// formed.
func TestMixedPrecisionStableHLO(t *testing.T) {
	without := trainStepProgram(t, "resnet18", func(b backends.Backend) backends.Backend { return b })
	bad := findBadLiterals(without)
	if len(bad) == 0 {
		t.Errorf("unwrapped program has no bad literal: the bug is not reproduced (GoMLX fixed?)")
	} else {
		t.Logf("unwrapped resnet18: %d bad literals, e.g. %s", len(bad), bad[0])
	}
	for _, name := range models.Names() {
		t.Run(name, func(t *testing.T) {
			with := trainStepProgram(t, name, Wrap)
			if bad := findBadLiterals(with); len(bad) > 0 {
				t.Errorf("wrapped program still has %d bad literals, e.g. %s", len(bad), bad[0])
			}
			for _, want := range []string{"bf16", "stablehlo.convolution", "f32"} {
				if !strings.Contains(with, want) {
					t.Errorf("wrapped program has no %q: not the mixed-precision step", want)
				}
			}
			t.Logf("wrapped program: %d bytes, %d lines, %d bf16 mentions", len(with), strings.Count(with, "\n"), strings.Count(with, "bf16"))
		})
	}
}

// On XLA a run's default graph normalises batches with XLA's own batch-norm
// ops (models.BatchNormAuto: 15% faster on an H200); "ops" keeps the
// separate ops.
func TestBatchNormAutoOnXLA(t *testing.T) {
	auto := trainStepProgram(t, "resnet18", Wrap)
	ops := trainStepProgramWith(t, "resnet18", models.Options{BatchNorm: models.BatchNormOps}, Wrap)
	for _, op := range []string{"stablehlo.batch_norm_training", "stablehlo.batch_norm_grad"} {
		// ResNet-18 has 20 batch norms.
		if n := strings.Count(auto, op); n != 20 {
			t.Errorf("default program: %d %s, want 20", n, op)
		}
		if n := strings.Count(ops, op); n != 0 {
			t.Errorf("batch norm as ops: %d %s, want 0", n, op)
		}
	}
	if bad := findBadLiterals(auto); len(bad) > 0 {
		t.Errorf("default program has %d bad literals, e.g. %s", len(bad), bad[0])
	}
}
