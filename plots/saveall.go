package plots

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// namedChart is one chart SaveAll or SaveAllRuns writes, by file stem.
type namedChart struct {
	stem string
	make func() (*Figure, error)
}

// SaveAll writes every one-run chart of l into dir (created if needed) as
// files of format ("png", "svg" or "pdf") and returns their paths. Charts
// whose data the log lacks (ErrNoData, e.g. ROC without
// run.valid_scores) are skipped; any other error stops and is returned.
func SaveAll(l *runlog.Log, dir, format string) ([]string, error) {
	if err := checkLog(l); err != nil {
		return nil, err
	}
	charts := []namedChart{
		{"loss_accuracy", func() (*Figure, error) { return LossAccuracy(l) }},
		{"per_class_valid", func() (*Figure, error) { return PerClass(l, SplitValid) }},
		{"per_class_train", func() (*Figure, error) { return PerClass(l, SplitTrain) }},
		{"confusion_matrix", func() (*Figure, error) { return ConfusionMatrix(l, -1) }},
		{"roc", func() (*Figure, error) { return ROC(l) }},
		{"precision_recall", func() (*Figure, error) { return PrecisionRecall(l) }},
		{"reliability", func() (*Figure, error) { return Reliability([]*runlog.Log{l}) }},
		{"class_counts", func() (*Figure, error) { return ClassCounts(l) }},
	}
	return saveCharts(charts, dir, format)
}

// RunsOptions chooses what SaveAllRuns draws. JSON keys let the CLI read
// them from a file.
type RunsOptions struct {
	// Metrics for the method bars and table; empty: StudyMetrics.
	Metrics []string `json:"metrics,omitempty"`
	// Baseline is the note of the baseline run; empty: the run whose note
	// is "baseline" when there is one, else no baseline.
	Baseline string `json:"baseline,omitempty"`
	// Overlay is the metric drawn per epoch across runs; empty: valid_accuracy
	// and valid_loss.
	Overlay []string `json:"overlay,omitempty"`
	// CVParams, when set, also draws the cross-validation chart grouped by
	// these var_dict keys ("*" for every key that differs between runs).
	CVParams []string `json:"cv_params,omitempty"`
}

// SaveAllRuns writes the many-runs charts of logs into dir and, when a
// baseline is known, the results table as baseline_deltas.md and .csv.
// It returns the paths written.
func SaveAllRuns(logs []*runlog.Log, dir, format string, opt RunsOptions) ([]string, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	metrics := opt.Metrics
	if len(metrics) == 0 {
		metrics = StudyMetrics
	}
	baseline := opt.Baseline
	if baseline == "" {
		for _, n := range runNames(logs) {
			if n == "baseline" {
				baseline = n
			}
		}
	}
	overlay := opt.Overlay
	if len(overlay) == 0 {
		overlay = []string{"valid_accuracy", "valid_loss"}
	}
	charts := []namedChart{
		{"methods", func() (*Figure, error) { return MethodBars(logs, baseline, metrics...) }},
		{"scatter_valid", func() (*Figure, error) { return Scatter(logs, SplitValid) }},
		{"tail_profile_valid", func() (*Figure, error) { return TailProfile(logs, SplitValid) }},
		{"reliability_valid", func() (*Figure, error) { return Reliability(logs) }},
		{"temperature_valid", func() (*Figure, error) { return Temperature(logs) }},
		{"posthoc_valid", func() (*Figure, error) {
			f, err := PostHoc(logs, nil)
			if errors.Is(err, runlog.ErrNoScores) { // the study's own logs
				return nil, fmt.Errorf("%w: %w", ErrNoData, err)
			}
			return f, err
		}},
	}
	for _, m := range overlay {
		charts = append(charts, namedChart{"overlay_" + fileSafe(m), func() (*Figure, error) { return Overlay(logs, m) }})
	}
	if len(opt.CVParams) > 0 {
		params := opt.CVParams
		if len(params) == 1 && params[0] == "*" {
			params = nil
		}
		charts = append(charts, namedChart{"cv_" + fileSafe(metrics[0]), func() (*Figure, error) { return CVResults(logs, metrics[0], params...) }})
	}
	paths, err := saveCharts(charts, dir, format)
	if err != nil || baseline == "" {
		return paths, err
	}
	t, err := BaselineDeltas(logs, baseline, metrics...)
	if err != nil {
		return paths, err
	}
	for ext, text := range map[string]string{".md": t.Markdown(), ".csv": t.CSV()} {
		path := filepath.Join(dir, "baseline_deltas"+ext)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return paths, fmt.Errorf("plots: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func saveCharts(charts []namedChart, dir, format string) ([]string, error) {
	if !validFormat(format) {
		return nil, fmt.Errorf("plots: unknown format %q (valid: %v)", format, Formats)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var paths []string
	for _, c := range charts {
		f, err := c.make()
		if errors.Is(err, ErrNoData) {
			continue
		}
		if err != nil {
			return paths, fmt.Errorf("%s: %w", c.stem, err)
		}
		path := filepath.Join(dir, c.stem+"."+format)
		if err := Save(f, path); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// fileSafe turns a metric name into a file name part.
func fileSafe(s string) string {
	out := []rune(s)
	for i, r := range out {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			out[i] = '_'
		}
	}
	return string(out)
}
