package plots

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Metric names are the JSON keys of the per-epoch lists in results
// ("valid_accuracy", "valid_loss", "valid_recall_macro", ...), a per-class
// entry as "valid_recall/Tulip", and three averages derived from the
// per-class lists when a log lacks them (the study's logs):
// SPLIT_precision_macro, SPLIT_precision_weighted (by class support) and
// SPLIT_precision_inverse_weighted (by 1/support, the study's "weighted"),
// likewise for recall.

// Study metrics: the three numbers of the study's results tables.
var StudyMetrics = []string{"valid_accuracy", "valid_precision_inverse_weighted", "valid_recall_inverse_weighted"}

// MetricSeries returns the named metric of every epoch.
func MetricSeries(l *runlog.Log, name string) ([]float64, error) {
	if err := checkLog(l); err != nil {
		return nil, err
	}
	if base, class, ok := strings.Cut(name, "/"); ok {
		m := perClass(l, base)
		if m == nil {
			return nil, fmt.Errorf("plots: unknown per-class metric %q (per-class lists: %s)", base, strings.Join(perClassNames(), ", "))
		}
		v, ok := m[class]
		if !ok {
			return nil, fmt.Errorf("%w: %s has no class %q in %s", ErrClassMismatch, runName(l, 0), class, base)
		}
		return v, nil
	}
	if v, ok := listFields(l)[name]; ok && len(v) > 0 {
		return v, nil
	}
	return derivedAverage(l, name)
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
	s = strings.Replace(s, "/", ", ", 1)
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

// listFields maps the JSON keys of Results' per-epoch lists to their values.
func listFields(l *runlog.Log) map[string]runlog.Series {
	out := map[string]runlog.Series{}
	v := reflect.ValueOf(l.Results)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if f, ok := v.Field(i).Interface().(runlog.Series); ok {
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out[key] = f
		}
	}
	return out
}

// perClass returns the per-class map stored under a JSON key, or nil.
func perClass(l *runlog.Log, key string) map[string]runlog.Series {
	v := reflect.ValueOf(l.Results)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		k, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if m, ok := v.Field(i).Interface().(map[string]runlog.Series); ok && k == key {
			return m
		}
	}
	return nil
}

func perClassNames() []string {
	var names []string
	t := reflect.TypeOf(runlog.Results{})
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type == reflect.TypeOf(map[string]runlog.Series{}) {
			k, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			names = append(names, k)
		}
	}
	return names
}

var averageKinds = []string{"_macro", "_inverse_weighted", "_weighted"}

// derivedAverage averages a per-class list over classes: macro, weighted
// by class support, or weighted by 1/support (sum m_c/n_c / sum 1/n_c,
// the study's "weighted" average, which lets rare classes count most).
// Support is the class's count among that epoch's true labels of the
// split in y, else run.valid_counts / run.train_counts.
func derivedAverage(l *runlog.Log, name string) ([]float64, error) {
	var kind, base string
	for _, k := range averageKinds {
		if strings.HasSuffix(name, k) {
			kind, base = k, strings.TrimSuffix(name, k)
			break
		}
	}
	m := perClass(l, base)
	if kind == "" || m == nil || len(m) == 0 {
		return nil, fmt.Errorf("plots: unknown metric %q for %s (known: %s)", name, runName(l, 0), strings.Join(KnownMetrics(l), ", "))
	}
	classes, err := Classes(l)
	if err != nil {
		return nil, err
	}
	split, _, _ := strings.Cut(base, "_")
	ne := len(m[classes[0]])
	out := make([]float64, ne)
	for e := range ne {
		var support []int
		if kind != "_macro" {
			if support, err = classSupport(l, split, e, len(classes)); err != nil {
				return nil, fmt.Errorf("plots: %s: %w", name, err)
			}
		}
		var num, den float64
		for c, cl := range classes {
			v := m[cl]
			if e >= len(v) {
				return nil, fmt.Errorf("%w: %s %s has %d epochs, %s has %d", ErrNoData, base, cl, len(v), classes[0], ne)
			}
			w := 1.0
			switch kind {
			case "_weighted":
				w = float64(support[c])
			case "_inverse_weighted":
				if support[c] == 0 {
					continue // a class absent from the split carries no weight
				}
				w = 1 / float64(support[c])
			}
			num += w * v[e]
			den += w
		}
		out[e] = ratio(num, den)
	}
	return out, nil
}

func classSupport(l *runlog.Log, split string, e, n int) ([]int, error) {
	s, counts := l.Y.Valid, []int(nil)
	if l.Run != nil {
		counts = l.Run.ValidCounts
	}
	if split == SplitTrain {
		s = l.Y.Train
		counts = nil
		if l.Run != nil {
			counts = l.Run.TrainCounts
		}
	}
	if yt := epochLabels(s, false, e); len(yt) > 0 {
		return countLabels(yt, n)
	}
	if len(counts) == n {
		return counts, nil
	}
	return nil, fmt.Errorf("%w: no %s class counts for epoch %d (need y.%s or run.%s_counts)", ErrNoData, split, e, split, split)
}

// KnownMetrics lists the metric names a log offers (sorted), for messages
// and menus; CLASS stands for any class name.
func KnownMetrics(l *runlog.Log) []string {
	set := map[string]bool{}
	for k, v := range listFields(l) {
		if len(v) > 0 {
			set[k] = true
		}
	}
	for _, base := range perClassNames() {
		if len(perClass(l, base)) == 0 {
			continue
		}
		set[base+"/CLASS"] = true
		for _, k := range averageKinds {
			set[base+k] = true
		}
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
