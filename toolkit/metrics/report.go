package metrics

import (
	"errors"
	"fmt"
)

// Report holds the metrics of one set of predictions. Per-class lists are
// in class-index order, of length numClasses.
type Report struct {
	Accuracy float64 `json:"accuracy"`
	// BalancedAccuracy is the mean recall over the classes present in
	// yTrue, as scikit-learn's balanced_accuracy_score.
	BalancedAccuracy float64   `json:"balanced_accuracy"`
	Precision        []float64 `json:"precision"`
	Recall           []float64 `json:"recall"`
	F1               []float64 `json:"f1"`
	Support          []int     `json:"support"`

	PrecisionMacro float64 `json:"precision_macro"`
	RecallMacro    float64 `json:"recall_macro"`
	// Weighted averages weight class c by its support n_c.
	PrecisionWeighted float64 `json:"precision_weighted"`
	RecallWeighted    float64 `json:"recall_weighted"`
	// Inverse-weighted averages are the study's: sum(m_c/n_c)/sum(1/n_c)
	// over the classes with n_c > 0.
	PrecisionInverseWeighted float64 `json:"precision_inverse_weighted"`
	RecallInverseWeighted    float64 `json:"recall_inverse_weighted"`

	// ConfusionMatrix[t][p] counts samples of true class t predicted as p.
	ConfusionMatrix [][]int `json:"confusion_matrix"`
}

// ErrInput is wrapped by every error about invalid arguments.
var ErrInput = errors.New("metrics: invalid input")

// Compute returns the metrics of predictions yPred against labels yTrue,
// both in [0, numClasses).
func Compute(yTrue, yPred []int, numClasses int) (Report, error) {
	if err := checkLabels(yTrue, numClasses, "yTrue"); err != nil {
		return Report{}, err
	}
	if err := checkLabels(yPred, numClasses, "yPred"); err != nil {
		return Report{}, err
	}
	if len(yTrue) != len(yPred) {
		return Report{}, fmt.Errorf("%w: %d true labels but %d predictions", ErrInput, len(yTrue), len(yPred))
	}
	if len(yTrue) == 0 {
		return Report{}, fmt.Errorf("%w: no samples", ErrInput)
	}
	n := numClasses
	r := Report{
		Precision:       make([]float64, n),
		Recall:          make([]float64, n),
		F1:              make([]float64, n),
		Support:         make([]int, n),
		ConfusionMatrix: make([][]int, n),
	}
	for c := range r.ConfusionMatrix {
		r.ConfusionMatrix[c] = make([]int, n)
	}
	correct := 0
	for i, t := range yTrue {
		r.ConfusionMatrix[t][yPred[i]]++
		if t == yPred[i] {
			correct++
		}
	}
	r.Accuracy = float64(correct) / float64(len(yTrue))

	predicted := make([]int, n)
	for t := range n {
		for p := range n {
			r.Support[t] += r.ConfusionMatrix[t][p]
			predicted[p] += r.ConfusionMatrix[t][p]
		}
	}
	present := 0
	for c := range n {
		tp := float64(r.ConfusionMatrix[c][c])
		r.Precision[c] = div(tp, float64(predicted[c]))
		r.Recall[c] = div(tp, float64(r.Support[c]))
		r.F1[c] = div(2*r.Precision[c]*r.Recall[c], r.Precision[c]+r.Recall[c])
		if r.Support[c] > 0 {
			r.BalancedAccuracy += r.Recall[c]
			present++
		}
	}
	r.BalancedAccuracy = div(r.BalancedAccuracy, float64(present))
	r.PrecisionMacro = mean(r.Precision)
	r.RecallMacro = mean(r.Recall)
	r.PrecisionWeighted = Weighted(r.Precision, r.Support)
	r.RecallWeighted = Weighted(r.Recall, r.Support)
	r.PrecisionInverseWeighted = InverseWeighted(r.Precision, r.Support)
	r.RecallInverseWeighted = InverseWeighted(r.Recall, r.Support)
	return r, nil
}

// Weighted is the support-weighted mean sum(m_c n_c)/sum(n_c), 0 when the
// supports sum to 0.
func Weighted(m []float64, n []int) float64 {
	var num, den float64
	for c := range m {
		num += m[c] * float64(n[c])
		den += float64(n[c])
	}
	return div(num, den)
}

// InverseWeighted is the study's average sum(m_c/n_c)/sum(1/n_c) over the
// classes with n_c > 0 (0 when there are none). Rare classes weigh most.
func InverseWeighted(m []float64, n []int) float64 {
	var num, den float64
	for c := range m {
		if n[c] > 0 {
			num += m[c] / float64(n[c])
			den += 1 / float64(n[c])
		}
	}
	return div(num, den)
}

func checkLabels(y []int, numClasses int, name string) error {
	if numClasses < 1 {
		return fmt.Errorf("%w: numClasses %d < 1", ErrInput, numClasses)
	}
	for i, v := range y {
		if v < 0 || v >= numClasses {
			return fmt.Errorf("%w: %s[%d] = %d outside [0, %d)", ErrInput, name, i, v, numClasses)
		}
	}
	return nil
}

// div is a/b, or 0 when b is 0 (scikit-learn's zero_division default).
func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return div(s, float64(len(xs)))
}
