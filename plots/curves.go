package plots

import (
	"fmt"
	"sort"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// The curve maths below is a small local copy of one-vs-rest ROC and
// precision-recall; toolkit/metrics owns the reference version.

// curve is one class's points and area.
type curve struct {
	x, y []float64
	area float64
}

// rocCurve returns the one-vs-rest ROC curve (x = false positive rate,
// y = true positive rate) of scores against pos, with its trapezoid AUC.
// Tied scores form one step, as in scikit-learn's roc_curve.
func rocCurve(scores []float64, pos []bool) curve {
	idx := byScoreDesc(scores)
	var P, N float64
	for _, p := range pos {
		if p {
			P++
		} else {
			N++
		}
	}
	c := curve{x: []float64{0}, y: []float64{0}}
	var tp, fp float64
	for k, i := range idx {
		if pos[i] {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && scores[idx[k+1]] == scores[i] {
			continue
		}
		c.x = append(c.x, ratio(fp, N))
		c.y = append(c.y, ratio(tp, P))
	}
	for k := 1; k < len(c.x); k++ {
		c.area += (c.x[k] - c.x[k-1]) * (c.y[k] + c.y[k-1]) / 2
	}
	return c
}

// prCurve returns the precision-recall curve (x = recall, y = precision)
// with its average precision, sum over thresholds of (R_k - R_{k-1}) P_k,
// scikit-learn's average_precision_score.
func prCurve(scores []float64, pos []bool) curve {
	idx := byScoreDesc(scores)
	var P float64
	for _, p := range pos {
		if p {
			P++
		}
	}
	c := curve{x: []float64{0}, y: []float64{1}}
	var tp, fp float64
	for k, i := range idx {
		if pos[i] {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && scores[idx[k+1]] == scores[i] {
			continue
		}
		r, p := ratio(tp, P), tp/(tp+fp)
		c.area += (r - c.x[len(c.x)-1]) * p
		c.x = append(c.x, r)
		c.y = append(c.y, p)
		if tp == P {
			break // full recall: lower thresholds only add false positives
		}
	}
	return c
}

func byScoreDesc(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// classCurves computes one curve per class from run.valid_scores and the
// true validation labels at the best epoch.
func classCurves(l *runlog.Log, fn func([]float64, []bool) curve) ([]string, []curve, int, error) {
	best, err := BestEpoch(l)
	if err != nil {
		return nil, nil, 0, err
	}
	classes, err := Classes(l)
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
	curves := make([]curve, len(classes))
	scores := make([]float64, len(yt))
	pos := make([]bool, len(yt))
	for c := range classes {
		for i, row := range l.Run.ValidScores {
			if len(row) != len(classes) {
				return nil, nil, 0, fmt.Errorf("%w: valid_scores[%d] has %d scores for %d classes", ErrClassMismatch, i, len(row), len(classes))
			}
			scores[i] = row[c]
			pos[i] = yt[i] == c
		}
		curves[c] = fn(scores, pos)
	}
	return classes, curves, best, nil
}

// ROC draws one-vs-rest ROC curves per class at the best epoch, with each
// class's AUC in the legend and the chance diagonal. It needs
// run.valid_scores (ErrNoData otherwise).
func ROC(l *runlog.Log) (*Figure, error) {
	return curveFigure(l, rocCurve, "ROC curves", "false positive rate (%)", "true positive rate (%)", "AUC")
}

// PrecisionRecall draws one-vs-rest precision-recall curves per class at
// the best epoch, with each class's average precision (the area under
// the step curve) in the legend. It needs run.valid_scores.
func PrecisionRecall(l *runlog.Log) (*Figure, error) {
	return curveFigure(l, prCurve, "precision-recall curves", "recall (%)", "precision (%)", "AP")
}

func curveFigure(l *runlog.Log, fn func([]float64, []bool) curve, what, xl, yl, area string) (*Figure, error) {
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
