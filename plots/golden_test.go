package plots

import (
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// goldenCase is one chart drawn from fixture logs.
type goldenCase struct {
	name  string
	chart func(t *testing.T) (*Figure, error)
}

func chart(name string, fn func(t *testing.T) (*Figure, error)) goldenCase {
	return goldenCase{name: name, chart: fn}
}

var goldenCases = []goldenCase{
	chart("loss_accuracy", func(t *testing.T) (*Figure, error) { return LossAccuracy(readFixture(t, "run_weighted.json")) }),
	chart("loss_accuracy_study", func(t *testing.T) (*Figure, error) { return LossAccuracy(readFixture(t, "study_layout.json")) }),
	chart("per_class_valid", func(t *testing.T) (*Figure, error) { return PerClass(readFixture(t, "run_weighted.json"), SplitValid) }),
	chart("confusion_best", func(t *testing.T) (*Figure, error) { return ConfusionMatrix(readFixture(t, "run_weighted.json"), -1) }),
	chart("confusion_study_epoch0", func(t *testing.T) (*Figure, error) { return ConfusionMatrix(readFixture(t, "study_layout.json"), 0) }),
	chart("roc", func(t *testing.T) (*Figure, error) { return ROC(readFixture(t, "run_weighted.json")) }),
	chart("precision_recall", func(t *testing.T) (*Figure, error) { return PrecisionRecall(readFixture(t, "run_weighted.json")) }),
	chart("class_counts", func(t *testing.T) (*Figure, error) { return ClassCounts(readFixture(t, "run_weighted.json")) }),
	chart("class_counts_study", func(t *testing.T) (*Figure, error) { return ClassCounts(readFixture(t, "study_layout.json")) }),
	chart("methods", func(t *testing.T) (*Figure, error) { return MethodBars(methodLogs(t), "baseline", StudyMetrics...) }),
	chart("methods_no_baseline", func(t *testing.T) (*Figure, error) {
		return MethodBars(methodLogs(t)[:3], "", "valid_accuracy", "valid_recall_macro")
	}),
	chart("scatter", func(t *testing.T) (*Figure, error) { return Scatter(methodLogs(t), SplitValid) }),
	chart("tail_profile", func(t *testing.T) (*Figure, error) { return TailProfile(methodLogs(t), SplitValid) }),
	chart("tail_profile_study", func(t *testing.T) (*Figure, error) {
		return TailProfile([]*runlog.Log{readFixture(t, "study_layout.json")}, SplitValid)
	}),
	chart("posthoc", func(t *testing.T) (*Figure, error) { return PostHoc(methodLogs(t)[:4], nil) }),
	chart("reliability", func(t *testing.T) (*Figure, error) { return Reliability(methodLogs(t)[:4]) }),
	chart("temperature", func(t *testing.T) (*Figure, error) { return Temperature(methodLogs(t)[:4]) }),
	chart("overlay_accuracy", func(t *testing.T) (*Figure, error) { return Overlay(methodLogs(t), "valid_accuracy") }),
	chart("overlay_loss", func(t *testing.T) (*Figure, error) { return Overlay(methodLogs(t), "valid_loss") }),
	chart("cv", func(t *testing.T) (*Figure, error) { return CVResults(cvLogs(t), "valid_accuracy") }),
	chart("transform_grid", func(t *testing.T) (*Figure, error) {
		before, after, labels := fixtureImages()
		return TransformGrid("transforms: hflip + rotate 30", before, after, labels)
	}),
}

// TestGolden renders every chart to PNG at its preferred size and compares
// it with testdata/golden/NAME.png (-regen rewrites them). The rendered
// PNGs are also left in $PLOTS_OUT when set, for looking at.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.chart(t)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Render(f, "png", 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if dir := os.Getenv("PLOTS_OUT"); dir != "" {
				if err := os.WriteFile(filepath.Join(dir, tc.name+".png"), got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden := filepath.Join("testdata", "golden", tc.name+".png")
			if *regen {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -regen)", err)
			}
			// A small tolerance absorbs anti-aliasing differences across CPUs.
			ok, err := cmpimg.EqualApprox("png", got, want, 0.01)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				bad := filepath.Join(os.TempDir(), "plots-got-"+tc.name+".png")
				_ = os.WriteFile(bad, got, 0o644)
				t.Errorf("%s differs from %s (got written to %s; run go test -regen if the change is intended)", tc.name, golden, bad)
			}
		})
	}
}
