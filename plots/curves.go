package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/metrics"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// curve is one class's points, in drawing order, and area. An undefined
// curve (a ROC curve of a class the validation split lacks) has no points
// and a NaN area.
type curve struct {
	x, y []float64
	area float64
}

// rocCurves are the one-vs-rest ROC curves (x = false positive rate,
// y = true positive rate) of every class with their AUCs, as
// scikit-learn's roc_curve and roc_auc_score (toolkit/metrics).
func rocCurves(yTrue []int, scores [][]float64) ([]curve, error) {
	aucs, err := metrics.ROCAUC(yTrue, scores)
	if err != nil {
		return nil, err
	}
	out := make([]curve, len(aucs))
	for c, auc := range aucs {
		out[c].area = auc
		if math.IsNaN(auc) { // no positives or no negatives: undefined
			continue
		}
		r, err := metrics.ROCCurve(yTrue, scores, c)
		if err != nil {
			return nil, err
		}
		out[c].x, out[c].y = r.FPR, r.TPR
	}
	return out, nil
}

// prCurves are the one-vs-rest precision-recall curves (x = recall,
// y = precision) of every class with their average precisions, as
// scikit-learn's precision_recall_curve and average_precision_score
// (toolkit/metrics). Points run from recall 0 up to the first point of
// full recall; the lower thresholds after it only lower the precision
// at recall 1 and add nothing to the area.
func prCurves(yTrue []int, scores [][]float64) ([]curve, error) {
	aps, err := metrics.AveragePrecision(yTrue, scores)
	if err != nil {
		return nil, err
	}
	out := make([]curve, len(aps))
	for c, ap := range aps {
		p, err := metrics.PRCurve(yTrue, scores, c)
		if err != nil {
			return nil, err
		}
		out[c].area = ap
		// metrics gives recall decreasing; draw it increasing.
		for i := len(p.Recall) - 1; i >= 0; i-- {
			out[c].x = append(out[c].x, p.Recall[i])
			out[c].y = append(out[c].y, p.Precision[i])
			if p.Recall[i] == p.Recall[0] {
				break
			}
		}
	}
	return out, nil
}

// classCurves computes one curve per class from run.valid_scores and the
// true validation labels at the best epoch.
func classCurves(l *runlog.Log, fn func([]int, [][]float64) ([]curve, error)) ([]string, []curve, int, error) {
	best, classes, err := bestAndClasses(l)
	if err != nil {
		return nil, nil, 0, err
	}
	if l.Run == nil || len(l.Run.ValidScores) == 0 {
		return nil, nil, 0, fmt.Errorf("%w: %s has no run.valid_scores (per-sample class scores)", ErrNoData, runName(l, 0))
	}
	yt := epochLabels(l.Y.Valid, false, best)
	if len(yt) != len(l.Run.ValidScores) {
		return nil, nil, 0, fmt.Errorf("plots: %s: %d validation scores but %d true labels at best epoch %d",
			runName(l, 0), len(l.Run.ValidScores), len(yt), best)
	}
	for i, row := range l.Run.ValidScores {
		if len(row) != len(classes) {
			return nil, nil, 0, fmt.Errorf("%w: valid_scores[%d] has %d scores for %d classes", ErrClassMismatch, i, len(row), len(classes))
		}
	}
	curves, err := fn(yt, l.Run.ValidScores)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("plots: %s: run.valid_scores: %w", runName(l, 0), err)
	}
	return classes, curves, best, nil
}

// ROC draws one-vs-rest ROC curves per class at the best epoch, with each
// class's AUC in the legend and the chance diagonal. It needs
// run.valid_scores (ErrNoData otherwise). A class that the validation
// labels lack (or hold alone) has no ROC curve: the legend says so.
func ROC(l *runlog.Log) (*Figure, error) {
	return curveFigure(l, rocCurves, "ROC curves", "false positive rate (%)", "true positive rate (%)", "AUC")
}

// PrecisionRecall draws one-vs-rest precision-recall curves per class at
// the best epoch, with each class's average precision (the area under
// the step curve) in the legend. It needs run.valid_scores.
func PrecisionRecall(l *runlog.Log) (*Figure, error) {
	return curveFigure(l, prCurves, "precision-recall curves", "recall (%)", "precision (%)", "AP")
}

func curveFigure(l *runlog.Log, fn func([]int, [][]float64) ([]curve, error), what, xl, yl, area string) (*Figure, error) {
	classes, curves, best, err := classCurves(l, fn)
	if err != nil {
		return nil, err
	}
	f := newFigure(fmt.Sprintf("%s: %s (valid, best epoch %d)", runName(l, 0), what, best), 1, 1)
	f.Width = 7.5 * vg.Inch
	f.Height = 5.5 * vg.Inch
	p := f.Panel(0, 0)
	p.X.Label.Text, p.Y.Label.Text = xl, yl
	// A little room around 0-100 keeps curves on the edges visible.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -2, 102, -2, 102
	p.Add(plotter.NewGrid())
	if area == "AUC" {
		diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 100, Y: 100}})
		diag.LineStyle = refStyle(refColor, true)
		p.Add(diag)
		defer f.AddLegend("chance (AUC 0.50)", diag)
	}
	for c, cv := range curves {
		if len(cv.x) == 0 {
			f.AddLegend(fmt.Sprintf("%s (%s undefined: class absent or alone)", classes[c], area))
			continue
		}
		pts := make(plotter.XYs, len(cv.x))
		for i := range cv.x {
			pts[i] = plotter.XY{X: 100 * cv.x[i], Y: 100 * cv.y[i]}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("plots: %s curve of %s: %w", area, classes[c], err)
		}
		line.LineStyle = seriesLine(c)
		if area == "AP" {
			line.StepStyle = plotter.PreStep
		}
		p.Add(line)
		f.AddLegend(fmt.Sprintf("%s (%s %.3f)", classes[c], area, cv.area), line)
	}
	return f, nil
}
