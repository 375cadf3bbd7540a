package runlog

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Validate checks that l is a well-formed log: a study date, every
// per-epoch list as long as train_loss, the same class names in every
// per-class map, y keyed by epoch numbers with as many predictions as
// labels, and Run consistent with the results. Errors name the key.
func (l *Log) Validate() error {
	if _, err := time.Parse(DateLayout, l.Date); err != nil {
		return fmt.Errorf("key \"date\": %q is not a date like 20230609-134532", l.Date)
	}
	r := &l.Results
	for _, s := range []struct {
		key string
		v   any
	}{
		{"train_loss", r.TrainLoss}, {"train_accuracy", r.TrainAccuracy},
		{"valid_loss", r.ValidLoss}, {"valid_accuracy", r.ValidAccuracy},
		{"train_precision", r.TrainPrecision}, {"train_recall", r.TrainRecall},
		{"valid_precision", r.ValidPrecision}, {"valid_recall", r.ValidRecall},
	} {
		if isNil(s.v) {
			return fmt.Errorf("key \"results.%s\": missing", s.key)
		}
	}
	epochs := len(r.TrainLoss)
	ser := r.series()
	for _, key := range sortedKeys(ser) {
		if s := ser[key]; s != nil && len(s) != epochs {
			return fmt.Errorf("key \"results.%s\": %d epochs, results.train_loss has %d", key, len(s), epochs)
		}
	}
	classes := sortedKeys(r.ValidPrecision)
	pc := r.perClass()
	for _, key := range sortedKeys(pc) {
		m := pc[key]
		if m == nil {
			continue
		}
		mine := sortedKeys(m)
		if (key == "train_precision" || key == "train_recall" || key == "valid_recall") && !slices.Equal(mine, classes) {
			return fmt.Errorf("key \"results.%s\": classes %q differ from results.valid_precision's %q", key, mine, classes)
		}
		for _, c := range mine {
			if !slices.Contains(classes, c) {
				return fmt.Errorf("key \"results.%s\": class %q is not in results.valid_precision", key, c)
			}
			if len(m[c]) != epochs {
				return fmt.Errorf("key \"results.%s.%s\": %d epochs, results.train_loss has %d", key, c, len(m[c]), epochs)
			}
		}
	}
	if n := len(r.ValidConfusionMatrix); n > 0 && n != epochs {
		return fmt.Errorf("key \"results.valid_confusion_matrix\": %d epochs, results.train_loss has %d", n, epochs)
	}
	if n := len(r.SampledClassCounts); n > 0 && n != epochs {
		return fmt.Errorf("key \"results.sampled_class_counts\": %d epochs, results.train_loss has %d", n, epochs)
	}
	for split, y := range []SplitLabels{l.Y.Train, l.Y.Valid} {
		if err := y.validate(epochs); err != nil {
			split := []string{"train", "valid"}[split]
			return fmt.Errorf("key \"y.%s.%w", split, err)
		}
	}
	if l.Run != nil {
		return l.Run.validate(classes, epochs)
	}
	return nil
}

func (y SplitLabels) validate(epochs int) error {
	for _, key := range sortedKeys(y.True) {
		labels := y.True[key]
		e, err := strconv.Atoi(key)
		if err != nil || e < 0 || e >= epochs || strconv.Itoa(e) != key {
			return fmt.Errorf("true.%s\": not an epoch number in [0, %d)", key, epochs)
		}
		if pred, ok := y.Pred[key]; ok && len(pred) != len(labels) {
			return fmt.Errorf("pred.%s\": %d predictions for %d labels", key, len(pred), len(labels))
		}
	}
	for _, key := range sortedKeys(y.Pred) {
		if _, ok := y.True[key]; !ok {
			return fmt.Errorf("pred.%s\": no true labels for this epoch", key)
		}
	}
	return nil
}

func (ri *RunInfo) validate(classes []string, epochs int) error {
	if len(ri.Classes) > 0 {
		if got := slices.Sorted(slices.Values(ri.Classes)); !slices.Equal(got, classes) {
			return fmt.Errorf("key \"run.classes\": %q differ from results.valid_precision's %q", ri.Classes, classes)
		}
	}
	for i, counts := range [][]int{ri.TrainCounts, ri.ValidCounts} {
		key := []string{"train_counts", "valid_counts"}[i]
		if counts != nil && len(counts) != len(ri.Classes) {
			return fmt.Errorf("key \"run.%s\": %d counts for %d classes", key, len(counts), len(ri.Classes))
		}
	}
	if epochs > 0 && (ri.BestEpoch < 0 || ri.BestEpoch >= epochs) {
		return fmt.Errorf("key \"run.best_epoch\": %d outside [0, %d)", ri.BestEpoch, epochs)
	}
	return nil
}

// series lists the per-epoch lists of r by key (nil when absent).
func (r *Results) series() map[string]Series {
	return map[string]Series{
		"train_loss": r.TrainLoss, "train_accuracy": r.TrainAccuracy,
		"valid_loss": r.ValidLoss, "valid_accuracy": r.ValidAccuracy,
		"train_balanced_accuracy":          r.TrainBalancedAccuracy,
		"valid_balanced_accuracy":          r.ValidBalancedAccuracy,
		"valid_precision_macro":            r.ValidPrecisionMacro,
		"valid_recall_macro":               r.ValidRecallMacro,
		"valid_precision_weighted":         r.ValidPrecisionWeighted,
		"valid_recall_weighted":            r.ValidRecallWeighted,
		"valid_precision_inverse_weighted": r.ValidPrecisionInverseWeighted,
		"valid_recall_inverse_weighted":    r.ValidRecallInverseWeighted,
		"learning_rate":                    r.LearningRate,
		"epoch_seconds":                    r.EpochSeconds,
	}
}

// perClass lists the per-class maps of r by key (nil when absent).
func (r *Results) perClass() map[string]map[string]Series {
	return map[string]map[string]Series{
		"train_precision": r.TrainPrecision, "train_recall": r.TrainRecall,
		"valid_precision": r.ValidPrecision, "valid_recall": r.ValidRecall,
		"train_f1": r.TrainF1, "valid_f1": r.ValidF1,
		"valid_roc_auc": r.ValidROCAUC, "valid_average_precision": r.ValidAveragePrecision,
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func isNil(v any) bool {
	switch v := v.(type) {
	case Series:
		return v == nil
	case map[string]Series:
		return v == nil
	}
	return v == nil
}
