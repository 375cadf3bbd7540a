package metrics

import (
	"fmt"
	"math"
	"sort"
)

// ROC is one class's one-vs-rest ROC curve, as scikit-learn 1.2's
// roc_curve with drop_intermediate: collinear points are dropped, the
// curve starts at (0, 0) with threshold max(score)+1, and thresholds
// decrease.
type ROC struct {
	FPR        []float64 `json:"fpr"`
	TPR        []float64 `json:"tpr"`
	Thresholds []float64 `json:"thresholds"`
}

// PR is one class's one-vs-rest precision-recall curve, as scikit-learn
// 1.2's precision_recall_curve: Precision and Recall have one more point
// than Thresholds (the final (recall 0, precision 1)), recall decreases and
// thresholds increase.
type PR struct {
	Precision  []float64 `json:"precision"`
	Recall     []float64 `json:"recall"`
	Thresholds []float64 `json:"thresholds"`
}

// ROCCurve returns the ROC curve of class against the rest, scored by
// scores[i][class]. It is an error when yTrue lacks positives or negatives
// of class, where the curve is undefined.
func ROCCurve(yTrue []int, scores [][]float64, class int) (ROC, error) {
	pos, s, err := binary(yTrue, scores, class)
	if err != nil {
		return ROC{}, err
	}
	fps, tps, thr := binaryCurve(pos, s)
	if tps[len(tps)-1] == 0 || fps[len(fps)-1] == 0 {
		return ROC{}, fmt.Errorf("%w: ROC curve of class %d undefined: yTrue has %v positives and %v negatives", ErrInput, class, tps[len(tps)-1], fps[len(fps)-1])
	}
	return rocFrom(fps, tps, thr), nil
}

func rocFrom(fps, tps, thr []float64) ROC {
	if len(fps) > 2 { // drop_intermediate: keep the corners only
		keep := []int{0}
		for i := 1; i < len(fps)-1; i++ {
			if fps[i-1]-2*fps[i]+fps[i+1] != 0 || tps[i-1]-2*tps[i]+tps[i+1] != 0 {
				keep = append(keep, i)
			}
		}
		keep = append(keep, len(fps)-1)
		fps, tps, thr = pick(fps, keep), pick(tps, keep), pick(thr, keep)
	}
	nf, nt := fps[len(fps)-1], tps[len(tps)-1]
	r := ROC{FPR: []float64{0}, TPR: []float64{0}, Thresholds: []float64{thr[0] + 1}}
	for i := range fps {
		r.FPR = append(r.FPR, fps[i]/nf)
		r.TPR = append(r.TPR, tps[i]/nt)
		r.Thresholds = append(r.Thresholds, thr[i])
	}
	return r
}

// PRCurve returns the precision-recall curve of class against the rest.
// Like scikit-learn, a class without positives gets recall 1 at every
// threshold (and precision 0).
func PRCurve(yTrue []int, scores [][]float64, class int) (PR, error) {
	pos, s, err := binary(yTrue, scores, class)
	if err != nil {
		return PR{}, err
	}
	fps, tps, thr := binaryCurve(pos, s)
	np := tps[len(tps)-1]
	var p PR
	for i := len(tps) - 1; i >= 0; i-- {
		p.Precision = append(p.Precision, div(tps[i], tps[i]+fps[i]))
		if np == 0 {
			p.Recall = append(p.Recall, 1)
		} else {
			p.Recall = append(p.Recall, tps[i]/np)
		}
		p.Thresholds = append(p.Thresholds, thr[i])
	}
	p.Precision = append(p.Precision, 1)
	p.Recall = append(p.Recall, 0)
	return p, nil
}

// ROCAUC returns the one-vs-rest area under the ROC curve of every class
// (the width of scores' rows), as scikit-learn's roc_auc_score on each
// class's binary labels.
//
// Where scikit-learn raises an error (yTrue has no positives, or no
// negatives, of a class), the class's AUC is NaN and no error is returned:
// a small validation fold may lack a class, and the other classes' AUCs
// are still wanted. Errors are for invalid inputs only.
func ROCAUC(yTrue []int, scores [][]float64) ([]float64, error) {
	k, err := width(yTrue, scores)
	if err != nil {
		return nil, err
	}
	aucs := make([]float64, k)
	for c := range k {
		pos, s, err := binary(yTrue, scores, c)
		if err != nil {
			return nil, err
		}
		fps, tps, thr := binaryCurve(pos, s)
		if tps[len(tps)-1] == 0 || fps[len(fps)-1] == 0 {
			aucs[c] = math.NaN()
			continue
		}
		r := rocFrom(fps, tps, thr)
		for i := 1; i < len(r.FPR); i++ { // trapezoids
			aucs[c] += (r.FPR[i] - r.FPR[i-1]) * (r.TPR[i] + r.TPR[i-1]) / 2
		}
	}
	return aucs, nil
}

// AveragePrecision returns every class's one-vs-rest average precision,
// as scikit-learn's average_precision_score: sum over thresholds of
// (R_n - R_{n-1}) P_n, without interpolation. A class without positives
// gets 0, as scikit-learn 1.2.
func AveragePrecision(yTrue []int, scores [][]float64) ([]float64, error) {
	k, err := width(yTrue, scores)
	if err != nil {
		return nil, err
	}
	aps := make([]float64, k)
	for c := range k {
		p, err := PRCurve(yTrue, scores, c)
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(p.Recall); i++ {
			aps[c] -= (p.Recall[i+1] - p.Recall[i]) * p.Precision[i]
		}
	}
	return aps, nil
}

// width checks yTrue and scores and returns the number of classes.
func width(yTrue []int, scores [][]float64) (int, error) {
	if len(yTrue) != len(scores) {
		return 0, fmt.Errorf("%w: %d true labels but %d score rows", ErrInput, len(yTrue), len(scores))
	}
	if len(yTrue) == 0 {
		return 0, fmt.Errorf("%w: no samples", ErrInput)
	}
	k := len(scores[0])
	for i, row := range scores {
		if len(row) != k {
			return 0, fmt.Errorf("%w: score row %d has %d values, row 0 has %d", ErrInput, i, len(row), k)
		}
		for c, v := range row {
			if math.IsNaN(v) {
				return 0, fmt.Errorf("%w: scores[%d][%d] is NaN", ErrInput, i, c)
			}
		}
	}
	if err := checkLabels(yTrue, k, "yTrue"); err != nil {
		return 0, err
	}
	return k, nil
}

// binary returns the one-vs-rest labels and scores of class.
func binary(yTrue []int, scores [][]float64, class int) ([]bool, []float64, error) {
	k, err := width(yTrue, scores)
	if err != nil {
		return nil, nil, err
	}
	if class < 0 || class >= k {
		return nil, nil, fmt.Errorf("%w: class %d outside [0, %d)", ErrInput, class, k)
	}
	pos := make([]bool, len(yTrue))
	s := make([]float64, len(yTrue))
	for i, t := range yTrue {
		pos[i] = t == class
		s[i] = scores[i][class]
	}
	return pos, s, nil
}

// binaryCurve is scikit-learn's _binary_clf_curve: false and true positive
// counts at each distinct score, scores taken in decreasing order. Tied
// scores form one threshold, so their order does not matter.
func binaryCurve(pos []bool, s []float64) (fps, tps, thr []float64) {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s[idx[a]] > s[idx[b]] })
	var tp float64
	for j, i := range idx {
		if pos[i] {
			tp++
		}
		if j == len(idx)-1 || s[idx[j+1]] != s[i] {
			tps = append(tps, tp)
			fps = append(fps, float64(j+1)-tp)
			thr = append(thr, s[i])
		}
	}
	return fps, tps, thr
}

func pick(xs []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}
