package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

type fixtureCase struct {
	Name       string      `json:"name"`
	YTrue      []int       `json:"y_true"`
	YPred      []int       `json:"y_pred"`
	NumClasses int         `json:"num_classes"`
	Report     Report      `json:"report"`
	Scores     [][]float64 `json:"scores"`
	ROC        []*ROC      `json:"roc"`
	PR         []PR        `json:"pr"`
	ROCAUC     []*float64  `json:"roc_auc"` // null where scikit-learn raises
	AP         []float64   `json:"average_precision"`
}

func loadFixture(t *testing.T) []fixtureCase {
	t.Helper()
	var f struct {
		Cases []fixtureCase `json:"cases"`
	}
	readFixture(t, "sklearn_fixture.json", &f)
	if len(f.Cases) < 5 {
		t.Fatalf("fixture has %d cases", len(f.Cases))
	}
	return f.Cases
}

const tol = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) <= tol }

func checkNear(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %.15g, scikit-learn %.15g", what, got, want)
	}
}

func checkSlice(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values %v, scikit-learn %d %v", what, len(got), got, len(want), want)
		return
	}
	for i := range got {
		if !near(got[i], want[i]) {
			t.Errorf("%s[%d] = %.15g, scikit-learn %.15g (all: %v vs %v)", what, i, got[i], want[i], got, want)
			return
		}
	}
}

func TestComputeMatchesScikitLearn(t *testing.T) {
	for _, tc := range loadFixture(t) {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := Compute(tc.YTrue, tc.YPred, tc.NumClasses)
			if err != nil {
				t.Fatal(err)
			}
			w := tc.Report
			checkNear(t, "accuracy", got.Accuracy, w.Accuracy)
			checkNear(t, "balanced_accuracy", got.BalancedAccuracy, w.BalancedAccuracy)
			checkSlice(t, "precision", got.Precision, w.Precision)
			checkSlice(t, "recall", got.Recall, w.Recall)
			checkSlice(t, "f1", got.F1, w.F1)
			checkNear(t, "precision_macro", got.PrecisionMacro, w.PrecisionMacro)
			checkNear(t, "recall_macro", got.RecallMacro, w.RecallMacro)
			checkNear(t, "precision_weighted", got.PrecisionWeighted, w.PrecisionWeighted)
			checkNear(t, "recall_weighted", got.RecallWeighted, w.RecallWeighted)
			checkNear(t, "precision_inverse_weighted", got.PrecisionInverseWeighted, w.PrecisionInverseWeighted)
			checkNear(t, "recall_inverse_weighted", got.RecallInverseWeighted, w.RecallInverseWeighted)
			gs, _ := json.Marshal(got.Support)
			ws, _ := json.Marshal(w.Support)
			gc, _ := json.Marshal(got.ConfusionMatrix)
			wc, _ := json.Marshal(w.ConfusionMatrix)
			if string(gs) != string(ws) || string(gc) != string(wc) {
				t.Errorf("support %s, confusion %s; scikit-learn %s, %s", gs, gc, ws, wc)
			}
		})
	}
}

func TestCurvesMatchScikitLearn(t *testing.T) {
	for _, tc := range loadFixture(t) {
		if tc.Scores == nil {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			aucs, err := ROCAUC(tc.YTrue, tc.Scores)
			if err != nil {
				t.Fatal(err)
			}
			aps, err := AveragePrecision(tc.YTrue, tc.Scores)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "average_precision", aps, tc.AP)
			for c := range tc.NumClasses {
				roc, err := ROCCurve(tc.YTrue, tc.Scores, c)
				if tc.ROCAUC[c] == nil {
					if !math.IsNaN(aucs[c]) {
						t.Errorf("class %d: AUC %v, want NaN (scikit-learn raises)", c, aucs[c])
					}
					if !errors.Is(err, ErrInput) {
						t.Errorf("class %d: ROCCurve error %v, want ErrInput", c, err)
					}
				} else {
					checkNear(t, "roc_auc", aucs[c], *tc.ROCAUC[c])
					if err != nil {
						t.Fatal(err)
					}
					checkSlice(t, "fpr", roc.FPR, tc.ROC[c].FPR)
					checkSlice(t, "tpr", roc.TPR, tc.ROC[c].TPR)
					checkSlice(t, "roc thresholds", roc.Thresholds, tc.ROC[c].Thresholds)
				}
				pr, err := PRCurve(tc.YTrue, tc.Scores, c)
				if err != nil {
					t.Fatal(err)
				}
				checkSlice(t, "precision curve", pr.Precision, tc.PR[c].Precision)
				checkSlice(t, "recall curve", pr.Recall, tc.PR[c].Recall)
				checkSlice(t, "pr thresholds", pr.Thresholds, tc.PR[c].Thresholds)
			}
		})
	}
}

func TestAccuracyCountsSamplesNotBatches(t *testing.T) {
	// 33 samples, 30 right: the study's correct/(2 batches x 32) would give 0.46875.
	yTrue := make([]int, 33)
	yPred := make([]int, 33)
	for i := range 3 {
		yPred[i] = 1
	}
	r, err := Compute(yTrue, yPred, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != 30.0/33 {
		t.Errorf("accuracy %v, want 30/33", r.Accuracy)
	}
}

func TestInvalidInput(t *testing.T) {
	scores := [][]float64{{0.9, 0.1}, {0.2, 0.8}}
	tests := []struct {
		name string
		err  func() error
	}{
		{"length mismatch", func() error { _, err := Compute([]int{0, 1}, []int{0}, 2); return err }},
		{"true label too big", func() error { _, err := Compute([]int{0, 2}, []int{0, 1}, 2); return err }},
		{"negative prediction", func() error { _, err := Compute([]int{0, 1}, []int{0, -1}, 2); return err }},
		{"no classes", func() error { _, err := Compute([]int{}, []int{}, 0); return err }},
		{"no samples", func() error { _, err := Compute(nil, nil, 2); return err }},
		{"auc rows", func() error { _, err := ROCAUC([]int{0}, scores); return err }},
		{"auc label", func() error { _, err := ROCAUC([]int{0, 2}, scores); return err }},
		{"auc ragged", func() error { _, err := ROCAUC([]int{0, 1}, [][]float64{{1, 0}, {1}}); return err }},
		{"auc NaN", func() error { _, err := ROCAUC([]int{0, 1}, [][]float64{{1, 0}, {math.NaN(), 1}}); return err }},
		{"roc class", func() error { _, err := ROCCurve([]int{0, 1}, scores, 2); return err }},
		{"roc no negatives", func() error { _, err := ROCCurve([]int{1, 1}, scores, 1); return err }},
		{"pr class", func() error { _, err := PRCurve([]int{0, 1}, scores, -1); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.err(); !errors.Is(err, ErrInput) {
				t.Errorf("error %v, want ErrInput", err)
			}
		})
	}
}

// readFixture decodes testdata/name (a fixture written by a generator
// script beside it) into v.
func readFixture(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
