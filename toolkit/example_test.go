package toolkit_test

import (
	"context"
	"fmt"

	"github.com/debiaser/debiaser/datasets"
	"github.com/debiaser/debiaser/toolkit"
	"github.com/debiaser/debiaser/toolkit/config"
)

// The study's train(...) as a fluent builder: a small CNN with weighted
// sampling and a class-balanced focal loss, on a generated shapes dataset,
// on the pure-Go backend. LogDir("") keeps the log in memory.
func Example() {
	res, err := toolkit.New().
		Datasets(datasets.Tiny(1), datasets.Tiny(2)).
		ImageSize(16).Normalize(0.5, 0.5).Rotate(0).
		BatchSize(8).Sampling("weighted").
		Model("small_cnn", false, true).
		Loss("CB", "focal").Weighting("ENS", 0.999).Gamma(2).
		Optimizer("Adam", 1e-3).
		Epochs(2).Backend("gofast").
		Note("weighted + CB focal").LogDir("").
		Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	l := res.Log
	fmt.Println(l.Note, l.Run.Classes, l.Run.TrainCounts, l.Run.EpochsDone, l.Run.Status)
	fmt.Println(len(l.Results.ValidRecall), "classes with per-epoch recall,", len(l.Y.Valid.True["1"]), "validation labels in epoch 1")
	// Output:
	// weighted + CB focal [circle square triangle] [24 12 6] 2 finished
	// 3 classes with per-epoch recall, 42 validation labels in epoch 1
}

// Errors are kept by the builder and returned by Run, naming the field.
func ExampleExperiment_Run_badConfig() {
	_, err := toolkit.New().Weighting("ENS", 1.5).Epochs(0).Run(context.Background())
	fmt.Println(err)
	// Output:
	// config: field "beta": must be in [0, 1), got 1.5
	// config: field "epochs": must be > 0, got 0
}

// A notebook prepares its backend: the environment is set in the process,
// and plan.Notice() says what to export before starting Jupyter when a
// plugin's CUDA libraries are missing from LD_LIBRARY_PATH.
func ExamplePrepareBackend() {
	spec, plan, err := toolkit.PrepareBackend("gofast")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec, spec.Source, plan.Restart(), plan.Notice() == "")
	_, _, err = toolkit.PrepareBackend("cuda")
	fmt.Println(err)
	// Output:
	// gofast backend false true
	// config: field "backend": unknown backend "cuda": use auto, gofast, go, xla:cpu, xla:cuda or xla:/abs/path/to/plugin.so
}

// MethodVariants gives the config changes of study methods, for a search
// that compares them under K-fold cross-validation (sweep.Spec.Variants).
func ExampleMethodVariants() {
	base := config.Defaults()
	base.Epochs = 10
	variants, err := toolkit.MethodVariants(base, "baseline", "oversampling", "LDAM-DRW")
	if err != nil {
		panic(err)
	}
	for _, v := range variants {
		set := string(v.Set)
		if set == "" {
			set = "(the base)"
		}
		fmt.Printf("%s: %s\n", v.Name, set)
	}
	// Output:
	// baseline: (the base)
	// oversampling: {"sampling_strategy":"oversampling"}
	// LDAM-DRW: {"beta":0.9999,"drw_epoch":8,"loss_family":"CB","loss_type":"LDAM"}
}
