// Package runlog reads and writes the JSON log of one training run.
//
// The layout is the study's: top-level keys note, date, results, y and
// var_dict, with per-epoch lists in results and every label of every epoch
// in y. Extras the study lacked are clearly named additions: more per-epoch
// metrics in results, and a top-level "run" object (classes, class counts,
// best epoch, stop reason, backend, timing). Logs written by the study's
// own Python package read fine: extras are simply absent there.
package runlog

import (
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
}

// Results holds per-epoch values; index e is epoch e (0-based).
type Results struct {
	TrainLoss      []float64            `json:"train_loss"`
	TrainAccuracy  []float64            `json:"train_accuracy"`
	TrainPrecision map[string][]float64 `json:"train_precision"`
	TrainRecall    map[string][]float64 `json:"train_recall"`
	ValidLoss      []float64            `json:"valid_loss"`
	ValidAccuracy  []float64            `json:"valid_accuracy"`
	ValidPrecision map[string][]float64 `json:"valid_precision"`
	ValidRecall    map[string][]float64 `json:"valid_recall"`

	// Extras (not in the study's logs).
	TrainF1                       map[string][]float64 `json:"train_f1,omitempty"`
	ValidF1                       map[string][]float64 `json:"valid_f1,omitempty"`
	TrainBalancedAccuracy         []float64            `json:"train_balanced_accuracy,omitempty"`
	ValidBalancedAccuracy         []float64            `json:"valid_balanced_accuracy,omitempty"`
	ValidPrecisionMacro           []float64            `json:"valid_precision_macro,omitempty"`
	ValidRecallMacro              []float64            `json:"valid_recall_macro,omitempty"`
	ValidPrecisionWeighted        []float64            `json:"valid_precision_weighted,omitempty"`
	ValidRecallWeighted           []float64            `json:"valid_recall_weighted,omitempty"`
	ValidPrecisionInverseWeighted []float64            `json:"valid_precision_inverse_weighted,omitempty"`
	ValidRecallInverseWeighted    []float64            `json:"valid_recall_inverse_weighted,omitempty"`
	// ValidConfusionMatrix[e][true][pred] counts validation samples.
	ValidConfusionMatrix [][][]int `json:"valid_confusion_matrix,omitempty"`
	// ValidROCAUC is the one-vs-rest ROC AUC by class name, per epoch.
	ValidROCAUC map[string][]float64 `json:"valid_roc_auc,omitempty"`
	// SampledClassCounts[e][c] is how many class-c samples the sampler drew in epoch e.
	SampledClassCounts [][]int   `json:"sampled_class_counts,omitempty"`
	LearningRate       []float64 `json:"learning_rate,omitempty"`
	EpochSeconds       []float64 `json:"epoch_seconds,omitempty"`
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
)

// RunInfo is what the study's log lacked: enough to interpret and resume a run.
type RunInfo struct {
	Classes []string `json:"classes"`
	// ClassCounts are the image counts per class of each split, in Classes order.
	TrainCounts []int  `json:"train_counts"`
	ValidCounts []int  `json:"valid_counts"`
	Status      string `json:"status"`
	// StopReason says why training ended: "epochs", "early_stopping", "nan_loss", "interrupted", "error".
	StopReason  string  `json:"stop_reason,omitempty"`
	Error       string  `json:"error,omitempty"`
	BestEpoch   int     `json:"best_epoch"`
	EpochsDone  int     `json:"epochs_done"`
	Backend     string  `json:"backend,omitempty"`
	Device      string  `json:"device,omitempty"`
	WallSeconds float64 `json:"wall_seconds"`
	Checkpoint  string  `json:"checkpoint,omitempty"`
	// ValidScores are the class probabilities of every validation sample
	// at BestEpoch, for ROC and precision-recall curves.
	ValidScores [][]float64 `json:"valid_scores,omitempty"`
}
