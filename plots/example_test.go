package plots_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/debiaser/debiaser/plots"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// tinyLog is a three-epoch, two-class run built in memory, in the study's
// layout (no "run" object).
func tinyLog(note string, acc float64) *runlog.Log {
	l := &runlog.Log{Note: note, Date: "20230609-134532"}
	l.Results.TrainLoss = []float64{0.9, 0.6, 0.4}
	l.Results.ValidLoss = []float64{1.0, 0.7, 0.8}
	l.Results.TrainAccuracy = []float64{0.6, 0.8, 0.9}
	l.Results.ValidAccuracy = []float64{0.5, acc, 0.7}
	l.Results.ValidPrecision = map[string]runlog.Series{"cat": {0.5, 0.8, 0.7}, "dog": {0.5, 0.6, 0.6}}
	l.Results.ValidRecall = map[string]runlog.Series{"cat": {0.5, 0.9, 0.8}, "dog": {0.4, 0.5, 0.5}}
	// The validation labels of every epoch (the supports of the averages).
	l.Y.Valid.True = map[string][]int{"0": {0, 0, 0, 1, 1}, "1": {0, 0, 0, 1, 1}, "2": {0, 0, 0, 1, 1}}
	l.Y.Valid.Pred = map[string][]int{"0": {0, 1, 0, 1, 0}, "1": {0, 0, 0, 1, 0}, "2": {0, 0, 1, 1, 0}}
	return l
}

func ExampleLossAccuracy() {
	f, err := plots.LossAccuracy(tinyLog("baseline", 0.75))
	if err != nil {
		fmt.Println(err)
		return
	}
	png, err := plots.Render(f, "png", 0, 0) // 0, 0: the figure's preferred size
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Title, len(png) > 0)
	// Output: baseline: loss and accuracy true
}

func ExampleBaselineDeltas() {
	logs := []*runlog.Log{tinyLog("baseline", 0.75), tinyLog("oversampling", 0.8)}
	t, err := plots.BaselineDeltas(logs, "baseline", "valid_accuracy", "valid_recall_macro")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(t.Markdown())
	// Output:
	// | method | accuracy (%) | Δ accuracy (points) | recall (macro) (%) | Δ recall (macro) (points) |
	// |---|---:|---:|---:|---:|
	// | baseline | 75.00 | +0.00 | 70.00 | +0.00 |
	// | oversampling | 80.00 | +5.00 | 70.00 | +0.00 |
}

func ExampleSaveAll() {
	dir, err := os.MkdirTemp("", "plots-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// Charts the log lacks data for (here: ROC and PR need scores, class
	// counts the training labels in y) are skipped.
	paths, err := plots.SaveAll(tinyLog("baseline", 0.75), dir, "svg")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	// Output:
	// loss_accuracy.svg
	// per_class_valid.svg
	// confusion_matrix.svg
}

func ExampleDisplay() {
	// In a GoNB cell: the chart appears inline as a PNG.
	f, err := plots.PerClass(tinyLog("baseline", 0.75), plots.SplitValid)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := plots.Display(f); err != nil {
		fmt.Println(err)
	}
}

func ExampleDisplaySummary() {
	logs := []*runlog.Log{tinyLog("baseline", 0.75), tinyLog("oversampling", 0.8)}
	// In a GoNB cell the table appears inline; here it is printed as text.
	t, err := plots.DisplaySummary(logs, runlog.SummaryOptions{
		SortBy:  "valid_accuracy",
		Columns: []string{"note", "epoch", "valid_recall:minority", "valid_recall_macro"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	t.Write(os.Stdout, "text")
	// Output:
	// valid_accuracy  note          epoch  valid_recall:minority  valid_recall_macro
	//       0.800000  oversampling  1                   0.500000            0.700000
	//       0.750000  baseline      1                   0.500000            0.700000
}
