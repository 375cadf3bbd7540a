package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/debiaser/debiaser/toolkit"
	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

func runStudy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("study", stderr)
	cfgPath := fs.String("config", "", "base recipe: a JSON object with var_dict keys (default: the study's, ResNet-18 pretrained, 50 epochs)")
	dataset := fs.String("dataset", "", "embedded dataset (mnist-lt, fashion-mnist-lt, shapes-study) instead of the config's data")
	trainPath := fs.String("train", "", "training image folder (one sub-folder per class) instead of the config's")
	validPath := fs.String("valid", "", "validation image folder")
	model := fs.String("model", "", "model_name override")
	pretrained := fs.String("pretrained", "", "pretrained override: true or false")
	epochs := fs.Int("epochs", 0, "epochs override")
	size := fs.Int("image-size", 0, "image_size override")
	batch := fs.Int("batch-size", 0, "batch_size override")
	precision := fs.String("precision", "", "precision override: float32 or bfloat16")
	augmentOn := fs.String("augment-on", "", "augment_on override: host or device (training batches augmented inside a graph on the backend)")
	dropLast := fs.Bool("drop-last", false, "drop_last: leave out each epoch's last partial training batch (one training-step shape: one XLA compile instead of two)")
	stepsPerCall := fs.Int("steps-per-call", 0, "steps_per_call override: training steps in one call of the backend (1 to 16; on a GPU, one wait for the device per call)")
	evalBatch := fs.Int("eval-batch-size", 0, "eval_batch_size override: the validation pass's batch, a multiple of batch_size (fewer, larger calls of the backend; the same validation loss)")
	methods := fs.String("methods", "", "comma-separated method names (default: the study's 13; see the list below, with the methods beyond it), or \"study\" for those 13 and \"extra\" for the others: --methods study,extra runs all")
	logDir := fs.String("logdir", "runs/study", "folder for the 13 run logs (finished ones are kept: a study resumes)")
	backend := fs.String("backend", "", backendUsage)
	verbose := fs.Bool("verbose", false, "every run's progress lines too")
	parallel := fs.Int("parallel", 1, "methods trained at a time on the one backend (on a GPU, 3-4 overlap compiles with training; logs are the same)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser study [flags]\n\nTrains the study's baseline and twelve methods on one backend and prints their table and the wall time.\nMethods:")
		for _, m := range toolkit.StudyMethods() {
			fmt.Fprintf(stderr, "  %s\n", m.Name)
		}
		fmt.Fprintln(stderr, "Beyond the study (run when --methods names them, or all with --methods extra):")
		for _, m := range toolkit.ExtraMethods() {
			fmt.Fprintf(stderr, "  %s\n", m.Name)
		}
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if *parallel < 1 {
		return usageError{fmt.Sprintf("--parallel %d: want 1 or more", *parallel)}
	}
	cfg := config.Defaults()
	if *cfgPath != "" {
		var err error
		if cfg, err = readConfig(*cfgPath); err != nil {
			return err
		}
	}
	if *dataset != "" {
		cfg.Dataset, cfg.TrainPath, cfg.ValidPath = *dataset, "", ""
	}
	if *trainPath != "" {
		cfg.Dataset, cfg.TrainPath, cfg.ValidPath = "", *trainPath, *validPath
	}
	if *model != "" {
		cfg.ModelName = *model
	}
	switch *pretrained {
	case "":
	case "true", "false":
		cfg.Pretrained = *pretrained == "true"
	default:
		return usageError{fmt.Sprintf("--pretrained %q: want true or false", *pretrained)}
	}
	if *epochs > 0 {
		cfg.Epochs = *epochs
	}
	if *size > 0 {
		cfg.ImageSize = *size
	}
	if *batch > 0 {
		cfg.BatchSize = *batch
	}
	if *precision != "" {
		cfg.Precision = *precision
	}
	if *dropLast {
		cfg.DropLast = true
	}
	if *augmentOn != "" {
		cfg.AugmentOn = *augmentOn
	}
	switch {
	case *stepsPerCall < 0:
		return usageError{fmt.Sprintf("--steps-per-call %d: want 1 to %d", *stepsPerCall, config.MaxStepsPerCall)}
	case *stepsPerCall > 0:
		cfg.StepsPerCall = *stepsPerCall
	}
	if *evalBatch != 0 {
		cfg.EvalBatchSize = *evalBatch
	}
	if *backend != "" {
		cfg.Backend = *backend
	}
	var names []string
	for _, n := range strings.Split(*methods, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	res, err := toolkit.RunStudy(ctx, cfg, toolkit.StudyOptions{LogDir: *logDir, Methods: names, Progress: stderr, Verbose: *verbose, Parallel: *parallel})
	if errors.Is(err, context.Canceled) && res != nil {
		return fmt.Errorf("interrupted with %d methods finished, their logs kept in %s: run the same command again to continue (an interrupted method starts again)", len(res.Rows), *logDir)
	}
	if err != nil {
		return err
	}
	t, err := runlog.Summarize(res.Logs(), runlog.SummaryOptions{
		Columns: []string{"note", "epoch", "valid_accuracy", "valid_balanced_accuracy", "valid_recall:minority", "valid_loss"},
	})
	if err != nil {
		return err
	}
	if err := t.Write(stdout, "text"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "study: %d methods in %.1f s wall time (%d graph compiles, %.1f s; %d reused) on %s\n",
		len(res.Rows), res.Seconds, res.Compiles, res.CompileSeconds, res.Reused, res.Backend)
	return nil
}
