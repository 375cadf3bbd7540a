package runlog

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/debiaser/debiaser/toolkit/metrics"
)

// ErrNoScores is returned by PostHoc for a log without the class
// probabilities of its best epoch (run.valid_scores) or the training
// counts (run.train_counts): the study's own logs, or a run interrupted
// before its first epoch.
var ErrNoScores = errors.New("runlog: the log has no run.valid_scores and run.train_counts")

// PostHoc returns the validation metrics of the log's best epoch after
// post-hoc logit adjustment: its class probabilities (run.valid_scores)
// re-weighted by the training prior to the power -tau
// (metrics.PriorAdjusted with run.train_counts), each sample predicted as
// the largest. tau 0 gives the best epoch's own predictions (up to ties).
// Nothing is retrained; choosing tau on these validation samples makes
// their metrics optimistic (tau 1 is Menon et al.'s choice).
func PostHoc(l *Log, tau float64) (metrics.Report, error) {
	r, _, err := postHoc(l, tau)
	return r, err
}

// postHoc is PostHoc that also returns the top-label calibration of the
// adjusted probabilities (CalibrationBins bins).
func postHoc(l *Log, tau float64) (metrics.Report, metrics.Calibration, error) {
	yTrue, scores, err := l.BestValidScores()
	if err != nil {
		return metrics.Report{}, metrics.Calibration{}, err
	}
	adj, err := metrics.PriorAdjusted(scores, l.Run.TrainCounts, tau)
	if err != nil {
		return metrics.Report{}, metrics.Calibration{}, fmt.Errorf("runlog: %s: %w", l.name(), err)
	}
	r, err := metrics.Compute(yTrue, metrics.ArgMax(adj), len(l.Run.TrainCounts))
	if err != nil {
		return r, metrics.Calibration{}, err
	}
	cal, err := metrics.TopLabelCalibration(yTrue, adj, CalibrationBins)
	return r, cal, err
}

// BestValidScores returns the validation labels of the best epoch and the
// class probabilities the run kept for them (run.valid_scores), or
// ErrNoScores.
func (l *Log) BestValidScores() (yTrue []int, scores [][]float64, err error) {
	if l.Run == nil || len(l.Run.ValidScores) == 0 || len(l.Run.TrainCounts) == 0 {
		return nil, nil, fmt.Errorf("%s: %w", l.name(), ErrNoScores)
	}
	yTrue = l.Y.Valid.True[strconv.Itoa(l.Run.BestEpoch)]
	if len(yTrue) != len(l.Run.ValidScores) {
		return nil, nil, fmt.Errorf("runlog: %s: %d validation labels at the best epoch %d, %d rows of run.valid_scores", l.name(), len(yTrue), l.Run.BestEpoch, len(l.Run.ValidScores))
	}
	return yTrue, l.Run.ValidScores, nil
}

// name is the log's file, else its note, for messages.
func (l *Log) name() string {
	if l.Path != "" {
		return l.Path
	}
	return l.Note
}

// CalibrationBins is the number of equal-width bins of the calibration
// errors this package reports.
const CalibrationBins = 10

// PostHocTable is PostHoc for every log and tau, one row per pair in that
// order: the run's note, tau, and the validation accuracy, balanced
// accuracy, the minority class's recall and precision (the class with the
// fewest validation samples, as in Summarize) and the expected
// calibration error of the top label (metrics.TopLabelCalibration,
// CalibrationBins bins) after the adjustment. The row of tau 0 is the run
// as trained.
func PostHocTable(logs []*Log, taus []float64) (*Table, error) {
	t := &Table{
		Columns: []string{"note", "tau", "valid_accuracy", "valid_balanced_accuracy", "valid_recall:minority", "valid_precision:minority", "valid_ece", "minority"},
		metric:  []bool{false, false, true, true, true, true, true, false},
	}
	for _, l := range logs {
		minority, err := l.extremeClass(true)
		if err != nil {
			return nil, err
		}
		c := slices.Index(l.Classes(), minority)
		for _, tau := range taus {
			r, cal, err := postHoc(l, tau)
			if err != nil {
				return nil, err
			}
			row := Row{Log: l, Epoch: l.Run.BestEpoch}
			row.Cells = append(row.Cells, Cell{Text: l.Note}, Cell{Text: strconv.FormatFloat(tau, 'g', -1, 64)})
			for _, v := range []float64{r.Accuracy, r.BalancedAccuracy, r.Recall[c], r.Precision[c], cal.ECE} {
				row.Cells = append(row.Cells, Cell{Text: formatMetric(v), Value: v})
			}
			row.Cells = append(row.Cells, Cell{Text: minority})
			t.Rows = append(t.Rows, row)
		}
	}
	return t, nil
}
