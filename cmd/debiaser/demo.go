package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/debiaser/debiaser/toolkit"
	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// demoMethods are the runs of the demo: the baseline and four of the
// study's methods, each changing one thing.
var demoMethods = []struct {
	note  string
	apply func(*toolkit.Experiment) *toolkit.Experiment
}{
	{"baseline", func(e *toolkit.Experiment) *toolkit.Experiment { return e }},
	{"oversampling", func(e *toolkit.Experiment) *toolkit.Experiment { return e.Sampling(config.SamplingOversampling) }},
	{"weighted", func(e *toolkit.Experiment) *toolkit.Experiment { return e.Sampling(config.SamplingWeighted) }},
	{"cb_focal", func(e *toolkit.Experiment) *toolkit.Experiment {
		return e.Loss("CB", "focal").Weighting("ENS", 0.999).Gamma(2)
	}},
	// The small CNN's class weight norms start near 0.58: a threshold of
	// 0.5 caps them from the first step (1.0 would never engage).
	{"maxnorm", func(e *toolkit.Experiment) *toolkit.Experiment { return e.Regularize(config.RegMaxNorm, 0.5) }},
}

// DemoConfig is the demo's base recipe: the small CNN on MNIST-LT
// (imbalance factor 10) at its native 28x28, sized to finish on two CPU cores.
func demoConfig(epochs int, seed int64) config.Config {
	c := config.Defaults()
	c.Dataset = "mnist-lt"
	c.ImageSize = 28
	c.NormalizeMean, c.NormalizeStd = []float64{0.5}, []float64{0.5}
	c.Rotate, c.Degrees = false, 0
	c.ModelName, c.Pretrained, c.Full = "small_cnn", false, true
	c.LearningRate = 1e-3
	c.BatchSize = 32
	c.Epochs = epochs
	c.Seed = seed
	return c
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	epochs := fs.Int("epochs", 3, "epochs per run")
	seed := fs.Int64("seed", 1, "seed of every run")
	dir := fs.String("dir", "", "folder for the run logs (default runs/demo-DATE)")
	backend := fs.String("backend", "", backendUsage)
	quiet := fs.Bool("quiet", false, "no progress lines")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if err := prepareBackend(*backend, stderr); err != nil {
		return err
	}
	if *dir == "" {
		*dir = filepath.Join("runs", "demo-"+time.Now().Format(runlog.DateLayout))
	}
	start := time.Now()
	var logs []*runlog.Log
	for i, m := range demoMethods {
		fmt.Fprintf(stdout, "[%d/%d] %s\n", i+1, len(demoMethods), m.note)
		e := m.apply(toolkit.FromConfig(demoConfig(*epochs, *seed))).
			Note(m.note).LogID(m.note).LogDir(*dir).Backend(*backend)
		if !*quiet {
			e = e.Verbose(stderr)
		}
		res, err := e.Run(ctx)
		if err != nil {
			return fmt.Errorf("demo run %s: %w", m.note, err)
		}
		logs = append(logs, res.Log)
		res.Free()
	}
	t, err := runlog.Summarize(logs, runlog.SummaryOptions{
		Columns: []string{"note", "valid_accuracy", "valid_balanced_accuracy", "valid_precision:minority", "valid_recall:minority",
			"valid_precision_inverse_weighted", "valid_recall_inverse_weighted", "epoch"},
		SortBy: "valid_balanced_accuracy",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nMNIST-LT (imbalance 10), small CNN, %d epochs each, metrics at each run's best epoch:\n\n", *epochs)
	if err := t.Write(stdout, "text"); err != nil {
		return err
	}
	// The baseline adjusted after training (Menon et al.'s post-hoc logit
	// adjustment, tau 1): a fix that needs no run at all.
	if adj, err := runlog.PostHoc(logs[0], 1); err == nil {
		fmt.Fprintf(stdout, "\nThe baseline's probabilities divided by the class prior (post-hoc logit adjustment, tau 1, nothing retrained):\nbalanced accuracy %.4f, accuracy %.4f, minority recall %.4f (debiaser posthoc %s)\n",
			adj.BalancedAccuracy, adj.Accuracy, adj.Recall[minorityIndex(logs[0])], *dir)
	}
	fmt.Fprintf(stdout, "\n%d run logs in %s (%s in all). Compare them with: debiaser summary %s\nCharts (per-class recall and precision head to tail, methods vs baseline, ...): debiaser plot --out %s/charts %s\n",
		len(logs), *dir, time.Since(start).Round(time.Second), *dir, *dir, *dir)
	return nil
}

// minorityIndex is the class of l with the fewest training images.
func minorityIndex(l *runlog.Log) int {
	m := 0
	for c, n := range l.Run.TrainCounts {
		if n < l.Run.TrainCounts[m] {
			m = c
		}
	}
	return m
}
