package plots

import (
	"fmt"
	"slices"
	"strings"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Metric names are runlog's (see runlog.Log.Series): the JSON keys of
// the per-epoch lists in results ("valid_accuracy", "valid_loss",
// "valid_recall_inverse_weighted", ...), or a per-class key and a class
// as "valid_recall:Tulip", where the class may be "minority" or
// "majority". "valid_recall/Tulip" is accepted for "valid_recall:Tulip".
// The validation averages (macro, support weighted, and 1/support
// weighted, the study's "weighted") and balanced accuracy are derived
// from the per-class lists when a log lacks them (the study's logs).

// StudyMetrics are the three numbers of the study's results tables.
var StudyMetrics = []string{"valid_accuracy", "valid_precision_inverse_weighted", "valid_recall_inverse_weighted"}

// MetricSeries returns the named metric of every epoch.
func MetricSeries(l *runlog.Log, name string) (runlog.Series, error) {
	if err := checkLog(l); err != nil {
		return nil, err
	}
	name = strings.Replace(name, "/", ":", 1)
	if _, class, ok := strings.Cut(name, ":"); ok && class != "minority" && class != "majority" {
		if classes := l.Classes(); !slices.Contains(classes, class) {
			return nil, fmt.Errorf("%w: %s has no class %q (classes: %s)", ErrClassMismatch, runName(l, 0), class, strings.Join(classes, ", "))
		}
	}
	s, err := l.Series(name)
	if err != nil {
		return nil, fmt.Errorf("plots: %s: %w", runName(l, 0), err)
	}
	return s, nil
}

// Metric returns the named metric at epoch (negative: the best epoch).
func Metric(l *runlog.Log, name string, epoch int) (float64, error) {
	v, err := MetricSeries(l, name)
	if err != nil {
		return 0, err
	}
	if epoch < 0 {
		if epoch, err = BestEpoch(l); err != nil {
			return 0, err
		}
	}
	if epoch >= len(v) {
		return 0, fmt.Errorf("%w: %s: %s has %d epochs, asked for epoch %d", ErrNoData, runName(l, 0), name, len(v), epoch)
	}
	return v[epoch], nil
}

// IsRate reports whether a metric is a fraction in [0, 1], drawn in percent.
func IsRate(name string) bool {
	return !strings.Contains(name, "loss") && name != "learning_rate" && name != "epoch_seconds"
}

// MetricLabel is a metric's axis or legend label with its unit.
func MetricLabel(name string) string {
	s := strings.TrimPrefix(name, "valid_")
	s = strings.NewReplacer("/", ", ", ":", ", ").Replace(s)
	s = strings.Replace(s, "_inverse_weighted", " (1/n weighted)", 1)
	s = strings.Replace(s, "_weighted", " (support weighted)", 1)
	s = strings.Replace(s, "_macro", " (macro)", 1)
	s = strings.ReplaceAll(s, "_", " ")
	switch {
	case name == "epoch_seconds":
		return s + " (s)"
	case strings.Contains(name, "loss"):
		return s + " (mean per sample)"
	case IsRate(name):
		return s + " (%)"
	}
	return s
}
