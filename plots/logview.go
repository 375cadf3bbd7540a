package plots

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Errors callers can test with errors.Is.
var (
	// ErrEmptyLog: the log is nil or has no epochs.
	ErrEmptyLog = errors.New("plots: log has no epochs")
	// ErrNoValid: the log has no validation results (valid_loss is empty).
	ErrNoValid = errors.New("plots: log has no validation split")
	// ErrClassMismatch: runs compared together have different classes.
	ErrClassMismatch = errors.New("plots: runs have different classes")
	// ErrNoData: the log lacks what this chart needs (an extra such as
	// run.valid_scores); SaveAll skips such charts.
	ErrNoData = errors.New("plots: log lacks the data for this chart")
)

// checkLog returns an error unless l has epochs and a validation split.
func checkLog(l *runlog.Log) error {
	if l == nil {
		return fmt.Errorf("%w (nil log)", ErrEmptyLog)
	}
	if len(l.Results.TrainLoss) == 0 && len(l.Results.ValidLoss) == 0 {
		return fmt.Errorf("%w: %s", ErrEmptyLog, runName(l, 0))
	}
	if len(l.Results.ValidLoss) == 0 {
		return fmt.Errorf("%w: %s has no results.valid_loss", ErrNoValid, runName(l, 0))
	}
	return nil
}

// epochs is the number of epochs the log holds.
func epochs(l *runlog.Log) int {
	return max(len(l.Results.TrainLoss), len(l.Results.ValidLoss))
}

// Classes returns the class names of a run, in label order (see
// runlog.Log.Classes): run.classes when present, else the sorted keys of
// valid_precision (the study's logs, whose Python dicts followed the
// sorted folder names).
func Classes(l *runlog.Log) ([]string, error) {
	if err := checkLog(l); err != nil {
		return nil, err
	}
	if classes := l.Classes(); len(classes) > 0 {
		return classes, nil
	}
	return nil, fmt.Errorf("%w: %s has no run.classes and no results.valid_precision", ErrNoData, runName(l, 0))
}

// BestEpoch returns run.best_epoch when the log has it, else the first
// epoch of lowest validation loss (the study's logs; see
// runlog.Log.BestEpoch), else 0 when no epoch has a finite loss.
func BestEpoch(l *runlog.Log) (int, error) {
	if err := checkLog(l); err != nil {
		return 0, err
	}
	if l.Run != nil && l.Run.BestEpoch >= 0 && l.Run.BestEpoch < len(l.Results.ValidLoss) {
		return l.Run.BestEpoch, nil
	}
	best, err := l.BestEpoch("valid_loss")
	if err != nil { // every loss NaN: still draw the run
		return 0, nil
	}
	return best, nil
}

// bestAndClasses is what most one-run charts read first.
func bestAndClasses(l *runlog.Log) (int, []string, error) {
	best, err := BestEpoch(l)
	if err != nil {
		return 0, nil, err
	}
	classes, err := Classes(l)
	if err != nil {
		return 0, nil, err
	}
	return best, classes, nil
}

// runName is how a run is labelled in charts: its note (the study's
// method names), else its date, else its position.
func runName(l *runlog.Log, i int) string {
	switch {
	case l == nil:
		return fmt.Sprintf("run %d", i+1)
	case l.Note != "":
		return l.Note
	case l.Date != "":
		return l.Date
	}
	return fmt.Sprintf("run %d", i+1)
}

// runNames labels runs, making repeated names unique with a suffix.
func runNames(logs []*runlog.Log) []string {
	names := make([]string, len(logs))
	seen := map[string]int{}
	for i, l := range logs {
		n := runName(l, i)
		seen[n]++
		if seen[n] > 1 {
			n = fmt.Sprintf("%s (%d)", n, seen[n])
		}
		names[i] = n
	}
	return names
}

// sameClasses checks every run has the classes of the first and returns them.
func sameClasses(logs []*runlog.Log) ([]string, error) {
	if len(logs) == 0 {
		return nil, fmt.Errorf("%w (no runs)", ErrEmptyLog)
	}
	var first []string
	for i, l := range logs {
		cls, err := Classes(l)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", i+1, err)
		}
		if i == 0 {
			first = cls
			continue
		}
		if !slices.Equal(cls, first) {
			return nil, fmt.Errorf("%w: %s has %v, %s has %v", ErrClassMismatch,
				runName(logs[0], 0), first, runName(l, i), cls)
		}
	}
	return first, nil
}

// epochLabels returns the true or predicted labels of split at epoch e.
func epochLabels(s runlog.SplitLabels, pred bool, e int) []int {
	m := s.True
	if pred {
		m = s.Pred
	}
	return m[strconv.Itoa(e)]
}

// countLabels counts labels per class, rejecting out-of-range labels.
func countLabels(labels []int, n int) ([]int, error) {
	c := make([]int, n)
	for _, y := range labels {
		if y < 0 || y >= n {
			return nil, fmt.Errorf("label %d outside the %d classes", y, n)
		}
		c[y]++
	}
	return c, nil
}
