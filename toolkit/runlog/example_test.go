package runlog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// A training loop logs every epoch and rewrites the file atomically.
func ExampleLog_AddEpoch() {
	dir, _ := os.MkdirTemp("", "runlog")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "baseline.json")

	cfg := config.Defaults()
	l, err := runlog.New("baseline", cfg, []string{"Lotus", "Tulip"}, []int{750, 75}, []int{3, 1},
		time.Date(2023, 6, 9, 13, 45, 32, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	validTrue := []int{0, 0, 0, 1}
	for epoch, validPred := range [][]int{{0, 0, 0, 0}, {0, 0, 1, 1}} {
		err := l.AddEpoch(runlog.EpochRecord{
			TrainLoss: 0.9 - 0.2*float64(epoch), ValidLoss: 0.8 - 0.1*float64(epoch),
			TrainTrue: []int{0, 1}, TrainPred: []int{0, 0},
			ValidTrue: validTrue, ValidPred: validPred,
			LR: cfg.LearningRate, Seconds: 12,
		})
		if err != nil {
			panic(err)
		}
		if err := runlog.Write(path, l); err != nil { // a killed run keeps this epoch
			panic(err)
		}
	}
	l.Finish(runlog.StopEpochs, nil)
	if err := runlog.Write(path, l); err != nil {
		panic(err)
	}

	back, err := runlog.Read(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Date, back.Run.Status, back.Run.BestEpoch)
	fmt.Println("valid_accuracy", back.Results.ValidAccuracy)
	fmt.Println("Tulip recall", back.Results.ValidRecall["Tulip"])
	fmt.Println("y.valid.pred.1", back.Y.Valid.Pred["1"])
	// Output:
	// 20230609-134532 finished 1
	// valid_accuracy [0.75 0.75]
	// Tulip recall [0 1]
	// y.valid.pred.1 [0 0 1 1]
}

// The study's table of runs, read from logs and sorted by a metric.
func ExampleSummarize() {
	l, err := runlog.Read("testdata/study_log.json")
	if err != nil {
		panic(err)
	}
	t, err := runlog.Summarize([]*runlog.Log{l}, runlog.SummaryOptions{
		Columns: []string{"epoch", "valid_loss", "valid_accuracy", "minority", "valid_recall:minority", "loss_type"},
		SortBy:  "valid_accuracy",
	})
	if err != nil {
		panic(err)
	}
	t.WriteText(os.Stdout)
	// Output:
	// epoch  valid_loss  valid_accuracy  minority  valid_recall:minority  loss_type
	// 1        0.600000        0.750000  Tulip                  0.500000  focal
}
