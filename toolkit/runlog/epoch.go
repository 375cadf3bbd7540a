package runlog

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/metrics"
)

// New starts the log of a run over classes (in label order) whose splits
// hold trainCounts and validCounts images per class, begun at start.
func New(note string, cfg config.Config, classes []string, trainCounts, validCounts []int, start time.Time) (*Log, error) {
	if len(classes) == 0 {
		return nil, fmt.Errorf("runlog: no classes")
	}
	seen := map[string]bool{}
	for _, c := range classes {
		if seen[c] {
			return nil, fmt.Errorf("runlog: class %q given twice", c)
		}
		seen[c] = true
	}
	for i, counts := range [][]int{trainCounts, validCounts} {
		if counts != nil && len(counts) != len(classes) {
			return nil, fmt.Errorf("runlog: %d %s counts for %d classes", len(counts), []string{"train", "valid"}[i], len(classes))
		}
	}
	perClass := func() map[string]Series {
		m := make(map[string]Series, len(classes))
		for _, c := range classes {
			m[c] = Series{}
		}
		return m
	}
	return &Log{
		Note: note,
		Date: start.Format(DateLayout),
		Results: Results{
			TrainLoss: Series{}, TrainAccuracy: Series{}, TrainPrecision: perClass(), TrainRecall: perClass(),
			ValidLoss: Series{}, ValidAccuracy: Series{}, ValidPrecision: perClass(), ValidRecall: perClass(),
		},
		Y: Labels{
			Train: SplitLabels{True: map[string][]int{}, Pred: map[string][]int{}},
			Valid: SplitLabels{True: map[string][]int{}, Pred: map[string][]int{}},
		},
		VarDict: cfg,
		Run: &RunInfo{
			Classes:     slices.Clone(classes),
			TrainCounts: slices.Clone(trainCounts),
			ValidCounts: slices.Clone(validCounts),
			Status:      StatusRunning,
			Backend:     cfg.Backend,
			BestBy:      cfg.BestBy,
			BestFrom:    max(cfg.DRWEpoch, cfg.DRSEpoch),
		},
	}, nil
}

// CheckBestBy reports whether metric can pick a run's best epoch (config
// key best_by): "" (valid_loss) or a validation metric of a run log
// (see Log.Series) other than valid_ece, which needs the best epoch first.
func CheckBestBy(metric string) error {
	bad := func(why string) error {
		return &config.FieldError{Key: "best_by", Reason: fmt.Sprintf("%q %s", metric, why)}
	}
	switch {
	case metric == "":
		return nil
	case metric == MetricECE:
		return bad("exists for the best epoch only")
	case !strings.HasPrefix(metric, "valid_"):
		return bad("is not a validation metric (valid_loss, valid_accuracy, valid_balanced_accuracy, valid_recall:minority, ...)")
	case !isMetric(metric):
		return bad("is not a metric of a run log (valid_loss, valid_accuracy, valid_balanced_accuracy, valid_recall:minority, ...)")
	}
	return nil
}

// EpochRecord is what a training loop knows at the end of one epoch.
// A zero Train or Valid report is computed from the labels; optional
// fields left zero (ValidScores, SampledCounts, LR, Seconds) are recorded
// as missing (null) for this epoch.
type EpochRecord struct {
	TrainLoss, ValidLoss float64
	Train, Valid         metrics.Report
	// Labels of every sample seen this epoch, for the study's "y".
	TrainTrue, TrainPred, ValidTrue, ValidPred []int
	// ValidScores[i] are the class probabilities of validation sample i.
	ValidScores [][]float64
	// SampledCounts[c] is how many class-c samples the sampler drew.
	SampledCounts []int
	LR, Seconds   float64
	// ClassifierNorms[c] is the norm of class c's final-layer weights.
	ClassifierNorms []float64
}

// AddEpoch appends one epoch to every results list and to y, and updates
// Run: epochs done, wall time and best epoch (by Run.BestBy). The
// validation scores are kept in Run when the epoch is the best so far.
func (l *Log) AddEpoch(rec EpochRecord) error {
	if l.Run == nil {
		return fmt.Errorf("runlog: AddEpoch on a log without run info (create it with New)")
	}
	classes := l.Run.Classes
	k := len(classes)
	e := len(l.Results.TrainLoss)
	var err error
	for _, split := range []struct {
		name        string
		rep         *metrics.Report
		yTrue, yPrd []int
	}{{"train", &rec.Train, rec.TrainTrue, rec.TrainPred}, {"valid", &rec.Valid, rec.ValidTrue, rec.ValidPred}} {
		if len(split.yTrue) != len(split.yPrd) {
			return fmt.Errorf("runlog: epoch %d: %d %s labels but %d predictions", e, len(split.yTrue), split.name, len(split.yPrd))
		}
		if split.rep.Precision == nil {
			if split.yTrue == nil {
				return fmt.Errorf("runlog: epoch %d: no %s report and no %s labels", e, split.name, split.name)
			}
			if *split.rep, err = metrics.Compute(split.yTrue, split.yPrd, k); err != nil {
				return fmt.Errorf("runlog: epoch %d: %s: %w", e, split.name, err)
			}
		}
		if len(split.rep.Precision) != k || len(split.rep.Recall) != k || len(split.rep.F1) != k {
			return fmt.Errorf("runlog: epoch %d: %s report has %d classes, the log %d", e, split.name, len(split.rep.Precision), k)
		}
	}
	var aucs, aps []float64
	if rec.ValidScores != nil {
		if aucs, err = metrics.ROCAUC(rec.ValidTrue, rec.ValidScores); err != nil {
			return fmt.Errorf("runlog: epoch %d: valid scores: %w", e, err)
		}
		if aps, err = metrics.AveragePrecision(rec.ValidTrue, rec.ValidScores); err != nil {
			return fmt.Errorf("runlog: epoch %d: valid scores: %w", e, err)
		}
		if len(aucs) != k {
			return fmt.Errorf("runlog: epoch %d: valid scores have %d classes, the log %d", e, len(aucs), k)
		}
	}
	if rec.SampledCounts != nil && len(rec.SampledCounts) != k {
		return fmt.Errorf("runlog: epoch %d: %d sampled counts for %d classes", e, len(rec.SampledCounts), k)
	}

	r := &l.Results
	tr, va := rec.Train, rec.Valid
	r.TrainLoss = append(r.TrainLoss, rec.TrainLoss)
	r.TrainAccuracy = append(r.TrainAccuracy, tr.Accuracy)
	r.ValidLoss = append(r.ValidLoss, rec.ValidLoss)
	r.ValidAccuracy = append(r.ValidAccuracy, va.Accuracy)
	put(&r.TrainBalancedAccuracy, e, tr.BalancedAccuracy, true)
	put(&r.ValidBalancedAccuracy, e, va.BalancedAccuracy, true)
	put(&r.ValidPrecisionMacro, e, va.PrecisionMacro, true)
	put(&r.ValidRecallMacro, e, va.RecallMacro, true)
	put(&r.ValidPrecisionWeighted, e, va.PrecisionWeighted, true)
	put(&r.ValidRecallWeighted, e, va.RecallWeighted, true)
	put(&r.ValidPrecisionInverseWeighted, e, va.PrecisionInverseWeighted, true)
	put(&r.ValidRecallInverseWeighted, e, va.RecallInverseWeighted, true)
	put(&r.LearningRate, e, rec.LR, rec.LR > 0)
	if rec.ClassifierNorms != nil || r.ClassifierNorms != nil {
		for len(r.ClassifierNorms) < e {
			r.ClassifierNorms = append(r.ClassifierNorms, nil)
		}
		r.ClassifierNorms = append(r.ClassifierNorms, slices.Clone(rec.ClassifierNorms))
	}
	put(&r.EpochSeconds, e, rec.Seconds, rec.Seconds > 0)
	for c, name := range classes {
		putClass(&r.TrainPrecision, name, e, tr.Precision[c], true)
		putClass(&r.TrainRecall, name, e, tr.Recall[c], true)
		putClass(&r.ValidPrecision, name, e, va.Precision[c], true)
		putClass(&r.ValidRecall, name, e, va.Recall[c], true)
		putClass(&r.TrainF1, name, e, tr.F1[c], true)
		putClass(&r.ValidF1, name, e, va.F1[c], true)
		if aucs != nil || r.ValidROCAUC != nil {
			putClass(&r.ValidROCAUC, name, e, at(aucs, c), aucs != nil)
			putClass(&r.ValidAveragePrecision, name, e, at(aps, c), aps != nil)
		}
	}
	r.ValidConfusionMatrix = append(r.ValidConfusionMatrix, va.ConfusionMatrix)
	if rec.SampledCounts != nil || r.SampledClassCounts != nil {
		for len(r.SampledClassCounts) < e {
			r.SampledClassCounts = append(r.SampledClassCounts, nil)
		}
		r.SampledClassCounts = append(r.SampledClassCounts, slices.Clone(rec.SampledCounts))
	}
	key := strconv.Itoa(e)
	for _, y := range []struct {
		split       *SplitLabels
		yTrue, yPrd []int
	}{{&l.Y.Train, rec.TrainTrue, rec.TrainPred}, {&l.Y.Valid, rec.ValidTrue, rec.ValidPred}} {
		if y.yTrue != nil {
			if y.split.True == nil {
				y.split.True, y.split.Pred = map[string][]int{}, map[string][]int{}
			}
			y.split.True[key] = slices.Clone(y.yTrue)
			y.split.Pred[key] = slices.Clone(y.yPrd)
		}
	}

	l.Run.EpochsDone = e + 1
	l.Run.WallSeconds += rec.Seconds
	if best, err := l.BestEpoch(l.bestBy()); err == nil {
		l.Run.BestEpoch = best
		if best == e && rec.ValidScores != nil {
			l.Run.ValidScores = slices.Clone(rec.ValidScores)
		}
	}
	return nil
}

// Finish records why training stopped; a non-nil err marks the run failed.
func (l *Log) Finish(stopReason string, err error) {
	if l.Run == nil {
		l.Run = &RunInfo{Classes: l.Classes()}
	}
	l.Run.Status = StatusFinished
	l.Run.StopReason = stopReason
	if err != nil {
		l.Run.Status = StatusFailed
		l.Run.Error = err.Error()
	}
}

// Best returns the log's best epoch by its own metric (run.best_by, else
// valid_loss), computed from its results.
func (l *Log) Best() (int, error) { return l.BestEpoch(l.bestBy()) }

func (l *Log) bestBy() string {
	if l.Run != nil && l.Run.BestBy != "" {
		return l.Run.BestBy
	}
	return "valid_loss"
}

// put appends v (NaN when !ok) to *s as epoch e, first padding epochs the
// list lacks with NaN. A list never given a value stays nil (absent).
func put(s *Series, e int, v float64, ok bool) {
	if !ok {
		if *s == nil {
			return
		}
		v = math.NaN()
	}
	for len(*s) < e {
		*s = append(*s, math.NaN())
	}
	*s = append(*s, v)
}

func putClass(m *map[string]Series, class string, e int, v float64, ok bool) {
	if *m == nil {
		if !ok {
			return
		}
		*m = map[string]Series{}
	}
	s := (*m)[class]
	if s == nil {
		s = Series{}
	}
	put(&s, e, v, ok)
	(*m)[class] = s
}

func at(xs []float64, i int) float64 {
	if xs == nil {
		return math.NaN()
	}
	return xs[i]
}

// Classes returns the class names in label order: Run.Classes, or for a
// study log the sorted names of results.valid_precision (PyTorch's
// ImageFolder numbers classes in sorted order).
func (l *Log) Classes() []string {
	if l.Run != nil && len(l.Run.Classes) > 0 {
		return l.Run.Classes
	}
	return sortedKeys(l.Results.ValidPrecision)
}

// Epochs is the number of epochs recorded.
func (l *Log) Epochs() int { return len(l.Results.TrainLoss) }

// Series returns a per-epoch metric by name: a results key ("valid_loss",
// "valid_recall_inverse_weighted", ...), or a per-class key followed by a
// class name ("valid_recall:Tulip"), where the class may be "minority" or
// "majority" (by validation support, else training count). The balanced
// accuracy and the macro, weighted and inverse-weighted averages of the
// validation split are derived from the per-class values and validation
// supports when the log lacks them (a study log).
func (l *Log) Series(name string) (Series, error) {
	r := &l.Results
	if name == MetricECE {
		return l.eceSeries()
	}
	if key, class, ok := strings.Cut(name, ":"); ok {
		m, known := r.perClass()[key]
		if !known {
			return nil, fmt.Errorf("runlog: unknown per-class metric %q (known: %s)", key, strings.Join(sortedKeys(r.perClass()), ", "))
		}
		if class == "minority" || class == "majority" {
			c, err := l.extremeClass(class == "minority")
			if err != nil {
				return nil, err
			}
			class = c
		}
		s, ok := m[class]
		if !ok {
			return nil, fmt.Errorf("runlog: metric %q: no class %q (classes: %s)", name, class, strings.Join(sortedKeys(m), ", "))
		}
		return s, nil
	}
	all := r.series()
	s, known := all[name]
	if !known {
		return nil, fmt.Errorf("runlog: unknown metric %q (known: %s, %s, or a per-class key:class)", name, strings.Join(sortedKeys(all), ", "), MetricECE)
	}
	if s != nil {
		return s, nil
	}
	if derive, ok := derived[name]; ok {
		return l.derive(name, derive)
	}
	return nil, fmt.Errorf("runlog: metric %q is not in this log", name)
}

// derived computes a validation average from per-class values and supports.
var derived = map[string]func(m []float64, n []int) float64{
	"valid_precision_macro":            macro,
	"valid_recall_macro":               macro,
	"valid_precision_weighted":         metrics.Weighted,
	"valid_recall_weighted":            metrics.Weighted,
	"valid_precision_inverse_weighted": metrics.InverseWeighted,
	"valid_recall_inverse_weighted":    metrics.InverseWeighted,
	"valid_balanced_accuracy":          presentMean,
}

func macro(m []float64, _ []int) float64 {
	var s float64
	for _, x := range m {
		s += x
	}
	return s / float64(len(m))
}

func presentMean(m []float64, n []int) float64 {
	var s, k float64
	for c := range m {
		if n[c] > 0 {
			s += m[c]
			k++
		}
	}
	if k == 0 {
		return 0
	}
	return s / k
}

func (l *Log) derive(name string, avg func([]float64, []int) float64) (Series, error) {
	perClass := l.Results.ValidRecall
	if strings.HasPrefix(name, "valid_precision") {
		perClass = l.Results.ValidPrecision
	}
	classes := l.Classes()
	out := make(Series, l.Epochs())
	m := make([]float64, len(classes))
	for e := range out {
		n, err := l.validSupport(e)
		if err != nil {
			return nil, fmt.Errorf("runlog: metric %q: %w", name, err)
		}
		for c, class := range classes {
			m[c] = perClass[class][e]
		}
		out[e] = avg(m, n)
	}
	return out, nil
}

// validSupport returns the validation count of every class at epoch e:
// from y when the log has the epoch's labels, else Run.ValidCounts.
func (l *Log) validSupport(e int) ([]int, error) {
	k := len(l.Classes())
	if labels, ok := l.Y.Valid.True[strconv.Itoa(e)]; ok {
		n := make([]int, k)
		for _, y := range labels {
			if y < 0 || y >= k {
				return nil, fmt.Errorf("y.valid.true.%d holds label %d, outside [0, %d)", e, y, k)
			}
			n[y]++
		}
		return n, nil
	}
	if l.Run != nil && len(l.Run.ValidCounts) == k {
		return l.Run.ValidCounts, nil
	}
	return nil, fmt.Errorf("no validation class counts (neither y.valid.true.%d nor run.valid_counts)", e)
}

// extremeClass names the class with the fewest (or most) validation
// samples, else training images; ties go to the lower label.
func (l *Log) extremeClass(fewest bool) (string, error) {
	counts, err := l.validSupport(0)
	if err != nil && l.Run != nil && len(l.Run.TrainCounts) == len(l.Classes()) {
		counts, err = l.Run.TrainCounts, nil
	}
	if err != nil {
		return "", fmt.Errorf("runlog: cannot tell the minority class: %w", err)
	}
	best := 0
	for c, n := range counts {
		if (fewest && n < counts[best]) || (!fewest && n > counts[best]) {
			best = c
		}
	}
	return l.Classes()[best], nil
}

// BestEpoch returns the epoch where metric (a Series name) is best: lowest
// for losses and times, highest otherwise, among the epochs from
// run.best_from on (all of them when none of those has a value). NaN
// epochs are skipped; ties go to the earlier epoch.
func (l *Log) BestEpoch(metric string) (int, error) {
	s, err := l.Series(metric)
	if err != nil {
		return 0, err
	}
	lower := LowerIsBetter(metric)
	bestFrom := func(from int) int {
		best := -1
		for e := from; e < len(s); e++ {
			v := s[e]
			if math.IsNaN(v) {
				continue
			}
			if best < 0 || (lower && v < s[best]) || (!lower && v > s[best]) {
				best = e
			}
		}
		return best
	}
	best := -1
	if l.Run != nil && l.Run.BestFrom > 0 {
		best = bestFrom(l.Run.BestFrom)
	}
	if best < 0 {
		best = bestFrom(0)
	}
	if best < 0 {
		return 0, fmt.Errorf("runlog: metric %q has no finite value", metric)
	}
	return best, nil
}

// LowerIsBetter reports whether smaller values of metric are better
// (losses, negative log-likelihoods, times and calibration errors).
func LowerIsBetter(metric string) bool {
	return strings.Contains(metric, "loss") || strings.Contains(metric, "seconds") || strings.Contains(metric, "nll") ||
		metric == MetricECE || strings.HasPrefix(metric, MetricECE+"_")
}

// MetricECE is the expected calibration error of the best epoch's
// validation probabilities (run.valid_scores; the top label,
// CalibrationBins bins: metrics.TopLabelCalibration). The log keeps
// probabilities for its best epoch only, so the series has that one value
// and NaN elsewhere, and it cannot pick the best epoch itself.
const MetricECE = "valid_ece"

// eceSeries is the MetricECE series of l.
func (l *Log) eceSeries() (Series, error) {
	yTrue, scores, err := l.BestValidScores()
	if err != nil {
		return nil, err
	}
	cal, err := metrics.TopLabelCalibration(yTrue, scores, CalibrationBins)
	if err != nil {
		return nil, fmt.Errorf("runlog: %s: %s: %w", l.name(), MetricECE, err)
	}
	s := make(Series, l.Epochs())
	for e := range s {
		s[e] = math.NaN()
	}
	if b := l.Run.BestEpoch; b >= 0 && b < len(s) {
		s[b] = cal.ECE
	}
	return s, nil
}
