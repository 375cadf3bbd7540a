package runlog

import (
	"encoding/json"
	"math"

	"github.com/debiaser/debiaser/toolkit/config"
)

// DateLayout is the study's date format, "20230609-134532".
const DateLayout = "20060102-150405"

// Log is one run. Its JSON form is the study's, plus Run.
type Log struct {
	Note    string        `json:"note"`
	Date    string        `json:"date"`
	Results Results       `json:"results"`
	Y       Labels        `json:"y"`
	VarDict config.Config `json:"var_dict"`
	// Run is absent from the study's logs.
	Run *RunInfo `json:"run,omitempty"`
	// UnknownVarDictKeys lists var_dict keys that Read did not recognise
	// (a study log may carry parameters this toolkit does not have).
	UnknownVarDictKeys []string `json:"-"`
	// Path is the file Read loaded the log from.
	Path string `json:"-"`
}

// Series is a per-epoch list of numbers. NaN and infinities, which JSON
// cannot hold, are written as null; null reads back as NaN.
type Series []float64

// MarshalJSON writes non-finite values as null.
func (s Series) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	out := make([]any, len(s))
	for i, x := range s {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out[i] = nil
		} else {
			out[i] = x
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads null entries as NaN.
func (s *Series) UnmarshalJSON(data []byte) error {
	var xs []*float64
	if err := json.Unmarshal(data, &xs); err != nil {
		return err
	}
	if xs == nil {
		*s = nil
		return nil
	}
	*s = make(Series, len(xs))
	for i, x := range xs {
		if x == nil {
			(*s)[i] = math.NaN()
		} else {
			(*s)[i] = *x
		}
	}
	return nil
}

// Results holds per-epoch values; index e is epoch e (0-based). Per-class
// maps are keyed by class name.
type Results struct {
	TrainLoss      Series            `json:"train_loss"`
	TrainAccuracy  Series            `json:"train_accuracy"`
	TrainPrecision map[string]Series `json:"train_precision"`
	TrainRecall    map[string]Series `json:"train_recall"`
	ValidLoss      Series            `json:"valid_loss"`
	ValidAccuracy  Series            `json:"valid_accuracy"`
	ValidPrecision map[string]Series `json:"valid_precision"`
	ValidRecall    map[string]Series `json:"valid_recall"`

	// Extras (not in the study's logs).
	TrainF1                       map[string]Series `json:"train_f1,omitempty"`
	ValidF1                       map[string]Series `json:"valid_f1,omitempty"`
	TrainBalancedAccuracy         Series            `json:"train_balanced_accuracy,omitempty"`
	ValidBalancedAccuracy         Series            `json:"valid_balanced_accuracy,omitempty"`
	ValidPrecisionMacro           Series            `json:"valid_precision_macro,omitempty"`
	ValidRecallMacro              Series            `json:"valid_recall_macro,omitempty"`
	ValidPrecisionWeighted        Series            `json:"valid_precision_weighted,omitempty"`
	ValidRecallWeighted           Series            `json:"valid_recall_weighted,omitempty"`
	ValidPrecisionInverseWeighted Series            `json:"valid_precision_inverse_weighted,omitempty"`
	ValidRecallInverseWeighted    Series            `json:"valid_recall_inverse_weighted,omitempty"`
	// ValidConfusionMatrix[e][true][pred] counts validation samples.
	ValidConfusionMatrix [][][]int `json:"valid_confusion_matrix,omitempty"`
	// ValidROCAUC is the one-vs-rest ROC AUC by class name, per epoch
	// (null where the validation labels lack the class).
	ValidROCAUC map[string]Series `json:"valid_roc_auc,omitempty"`
	// ValidAveragePrecision is the one-vs-rest average precision by class name.
	ValidAveragePrecision map[string]Series `json:"valid_average_precision,omitempty"`
	// SampledClassCounts[e][c] is how many class-c samples the sampler drew in epoch e.
	SampledClassCounts [][]int `json:"sampled_class_counts,omitempty"`
	LearningRate       Series  `json:"learning_rate,omitempty"`
	// ClassifierNorms[e][c] is the L2 norm of class c's weights in the
	// final layer after epoch e (what weight decay, L2-norm and MaxNorm act on).
	ClassifierNorms [][]float64 `json:"classifier_norms,omitempty"`
	EpochSeconds    Series      `json:"epoch_seconds,omitempty"`
}

// Labels is the study's "y": every true and predicted label of every epoch.
type Labels struct {
	Train SplitLabels `json:"train"`
	Valid SplitLabels `json:"valid"`
}

// SplitLabels maps the epoch number, as a decimal string ("0", "1", ...),
// to the labels of that epoch, as the study wrote them.
type SplitLabels struct {
	True map[string][]int `json:"true"`
	Pred map[string][]int `json:"pred"`
}

// Run statuses.
const (
	StatusRunning  = "running"
	StatusFinished = "finished"
	StatusFailed   = "failed"
	// StatusInterrupted is a run stopped from outside (Ctrl-C, a cancelled
	// context); its finished epochs are kept and it can be resumed.
	StatusInterrupted = "interrupted"
)

// Stop reasons.
const (
	StopEpochs        = "epochs"
	StopEarlyStopping = "early_stopping"
	StopNaNLoss       = "nan_loss"
	StopInterrupted   = "interrupted"
	StopError         = "error"
)

// Resume is one resumption of a run.
type Resume struct {
	// Epoch is the first epoch trained after resuming (0-based): the
	// EpochsDone of the log it continued.
	Epoch int `json:"epoch"`
	// Time is when, in DateLayout (as the log's date).
	Time    string `json:"time"`
	Backend string `json:"backend,omitempty"`
	Device  string `json:"device,omitempty"`
}

// RunInfo is what the study's log lacked: enough to interpret and resume a run.
type RunInfo struct {
	Classes []string `json:"classes"`
	// TrainCounts and ValidCounts are the image counts per class of each
	// split before any resampling, in Classes order.
	TrainCounts []int `json:"train_counts"`
	ValidCounts []int `json:"valid_counts"`
	// SkippedFiles are the image files left out of the data under
	// skip_bad_files, each "path: reason" (not counted above).
	SkippedFiles []string `json:"skipped_files,omitempty"`
	Status       string   `json:"status"`
	// StopReason says why training ended: one of the Stop constants.
	StopReason string `json:"stop_reason,omitempty"`
	Error      string `json:"error,omitempty"`
	// BestBy names the metric (see Log.Series) that picks BestEpoch;
	// empty means "valid_loss".
	BestBy string `json:"best_by,omitempty"`
	// BestFrom is the first epoch that can be the best (BestEpoch, and
	// every metric's best epoch): a deferred method's switch (drw_epoch,
	// drs_epoch), whose earlier epochs train something else. A run
	// stopped before it is judged on the epochs it has. 0: any epoch.
	BestFrom int `json:"best_from,omitempty"`
	// RestoredBest says the model's variables were put back to BestEpoch's
	// after early stopping.
	RestoredBest bool `json:"restored_best,omitempty"`
	BestEpoch    int  `json:"best_epoch"`
	EpochsDone   int  `json:"epochs_done"`
	// Backend and Device: where the run started (see Resumes).
	Backend     string  `json:"backend,omitempty"`
	Device      string  `json:"device,omitempty"`
	WallSeconds float64 `json:"wall_seconds"`
	// Resumes records each time the run was resumed: from which epoch, when,
	// and on which backend and device (a preempted job may continue on
	// another machine, so later epochs' seconds may come from other hardware).
	Resumes    []Resume `json:"resumes,omitempty"`
	Checkpoint string   `json:"checkpoint,omitempty"`
	// GlobalStep is the number of optimizer steps after EpochsDone epochs;
	// resuming checks that the checkpoint holds the same step.
	GlobalStep int64 `json:"global_step,omitempty"`
	// ValidScores are the class probabilities of every validation sample
	// at BestEpoch, for ROC and precision-recall curves.
	ValidScores [][]float64 `json:"valid_scores,omitempty"`
}
