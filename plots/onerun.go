package plots

import (
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Splits names the two splits of a log.
const (
	SplitTrain = "train"
	SplitValid = "valid"
)

// epochAxis labels p's x axis as epochs and marks the best epoch and,
// when the run stopped early, the last epoch.
func epochAxis(p *plot.Plot, l *runlog.Log, best int) {
	p.X.Label.Text = "epoch"
	p.X.Tick.Marker = integerTicks{}
	p.Add(plotter.NewGrid())
	p.Add(vLine(float64(best), refStyle(refColor, true)))
	// Room after the last epoch, so a line there stays off the axis edge.
	p.X.Min, p.X.Max = 0, float64(epochs(l)-1)+0.3
	if stoppedEarly(l) {
		p.Add(vLine(float64(epochs(l)-1), refStyle(OkabeIto[7], false)))
	}
}

// addEpochLegend adds the best-epoch and early-stop entries to f's legend.
func addEpochLegend(f *Figure, l *runlog.Log, best int) {
	f.AddLegend(fmt.Sprintf("best epoch (%d)", best), vLine(0, refStyle(refColor, true)))
	if stoppedEarly(l) {
		f.AddLegend(fmt.Sprintf("early stop (%d)", epochs(l)-1), vLine(0, refStyle(OkabeIto[7], false)))
	}
}

func stoppedEarly(l *runlog.Log) bool {
	return l.Run != nil && l.Run.StopReason == "early_stopping"
}

// LossAccuracy draws loss and accuracy per epoch, train vs valid, side by
// side, with the best epoch (and an early stop) marked.
func LossAccuracy(l *runlog.Log) (*Figure, error) {
	best, err := BestEpoch(l)
	if err != nil {
		return nil, err
	}
	f := newFigure(runName(l, 0)+": loss and accuracy", 1, 2)
	loss, acc := f.Panel(0, 0), f.Panel(0, 1)
	loss.Title.Text = "Loss"
	loss.Y.Label.Text = "loss (mean per sample)"
	acc.Title.Text = "Accuracy"
	acc.Y.Label.Text = "accuracy (%)"
	epochAxis(loss, l, best)
	epochAxis(acc, l, best)
	series := []struct {
		name      string
		loss, acc []float64
		sty       draw.LineStyle
	}{
		{"train", l.Results.TrainLoss, l.Results.TrainAccuracy, draw.LineStyle{Color: trainColor, Width: vg.Points(1.8), Dashes: dashes[1]}},
		{"valid", l.Results.ValidLoss, l.Results.ValidAccuracy, draw.LineStyle{Color: validColor, Width: vg.Points(1.8)}},
	}
	for _, s := range series {
		if len(s.loss) == 0 && len(s.acc) == 0 {
			continue
		}
		ll, err := epochLine(s.loss, s.sty)
		if err != nil {
			return nil, fmt.Errorf("plots: %s loss: %w", s.name, err)
		}
		loss.Add(ll)
		if len(s.acc) > 0 {
			la, err := epochLine(scaled(s.acc, 100), s.sty)
			if err != nil {
				return nil, fmt.Errorf("plots: %s accuracy: %w", s.name, err)
			}
			acc.Add(la)
		}
		f.AddLegend(s.name, ll)
	}
	addEpochLegend(f, l, best)
	padPanelsY(f)
	return f, nil
}

// PerClass draws per-class precision and recall per epoch for split
// ("train" or "valid"), one line per class in the class's colour.
func PerClass(l *runlog.Log, split string) (*Figure, error) {
	best, classes, err := bestAndClasses(l)
	if err != nil {
		return nil, err
	}
	var prec, rec map[string]runlog.Series
	switch split {
	case SplitValid, "":
		split, prec, rec = SplitValid, l.Results.ValidPrecision, l.Results.ValidRecall
	case SplitTrain:
		prec, rec = l.Results.TrainPrecision, l.Results.TrainRecall
	default:
		return nil, fmt.Errorf("plots: unknown split %q (valid: %s, %s)", split, SplitTrain, SplitValid)
	}
	if len(prec) == 0 || len(rec) == 0 {
		return nil, fmt.Errorf("%w: %s has no %s_precision/%s_recall", ErrNoData, runName(l, 0), split, split)
	}
	f := newFigure(fmt.Sprintf("%s: per-class precision and recall (%s)", runName(l, 0), split), 1, 2)
	for i, m := range []map[string]runlog.Series{prec, rec} {
		p := f.Panel(0, i)
		p.Title.Text = []string{"Precision", "Recall"}[i]
		p.Y.Label.Text = []string{"precision (%)", "recall (%)"}[i]
		epochAxis(p, l, best)
		for c, name := range classes {
			v, ok := m[name]
			if !ok {
				return nil, fmt.Errorf("%w: %s: class %q missing from %s %s", ErrClassMismatch, runName(l, 0), name, split, []string{"precision", "recall"}[i])
			}
			line, err := epochLine(scaled(v, 100), seriesLine(c))
			if err != nil {
				return nil, fmt.Errorf("plots: %s %s: %w", split, name, err)
			}
			p.Add(line)
			if i == 0 {
				f.AddLegend(name, line)
			}
		}
	}
	addEpochLegend(f, l, best)
	padPanelsY(f)
	return f, nil
}

// ConfusionMatrix draws the validation confusion matrix of epoch (a
// negative epoch means the best) as a heat map: each cell shows its count
// and its row-normalised rate, and the colour follows the rate, so the
// diagonal reads as per-class recall. It uses results.valid_confusion_matrix
// when present, else the labels in y.
func ConfusionMatrix(l *runlog.Log, epoch int) (*Figure, error) {
	best, classes, err := bestAndClasses(l)
	if err != nil {
		return nil, err
	}
	if epoch < 0 {
		epoch = best
	}
	if epoch >= epochs(l) {
		return nil, fmt.Errorf("plots: epoch %d out of range (the log has %d epochs)", epoch, epochs(l))
	}
	cm, err := confusion(l, epoch, len(classes))
	if err != nil {
		return nil, err
	}
	n := len(classes)
	h := &cells{value: make([][]float64, n), label: make([][]string, n), low: color.White, high: OkabeIto[4]}
	h.font = newPanel().X.Tick.Label
	h.font.Font.Size = 11
	for r := range cm {
		total := 0
		for _, v := range cm[r] {
			total += v
		}
		h.value[r] = make([]float64, n)
		h.label[r] = make([]string, n)
		for c, v := range cm[r] {
			rate := 0.0
			if total > 0 {
				rate = float64(v) / float64(total)
			}
			h.value[r][c] = rate
			h.label[r][c] = fmt.Sprintf("%d\n%.1f%%", v, 100*rate)
		}
	}
	which := "epoch " + strconv.Itoa(epoch)
	if epoch == best {
		which += ", best"
	}
	f := newFigure(fmt.Sprintf("%s: confusion matrix (valid, %s)", runName(l, 0), which), 1, 1)
	f.Width = 6.5 * vg.Inch
	f.Height = 6 * vg.Inch
	p := f.Panel(0, 0)
	p.Title.Text = "count and share of the true class's row"
	p.Title.TextStyle.Font.Size = 10
	p.Add(h)
	p.NominalX(classes...)
	rev := make([]string, n)
	for i, c := range classes {
		rev[n-1-i] = c
	}
	p.NominalY(rev...)
	p.X.Label.Text = "predicted class"
	p.Y.Label.Text = "true class"
	p.X.Tick.Label.Font.Size = 10
	p.Y.Tick.Label.Font.Size = 10
	return f, nil
}

// confusion returns cm[true][pred] counts of the validation split at epoch.
func confusion(l *runlog.Log, epoch, n int) ([][]int, error) {
	if epoch < len(l.Results.ValidConfusionMatrix) && len(l.Results.ValidConfusionMatrix[epoch]) > 0 {
		cm := l.Results.ValidConfusionMatrix[epoch]
		if len(cm) != n {
			return nil, fmt.Errorf("%w: valid_confusion_matrix[%d] has %d rows for %d classes", ErrClassMismatch, epoch, len(cm), n)
		}
		for r := range cm {
			if len(cm[r]) != n {
				return nil, fmt.Errorf("%w: valid_confusion_matrix[%d][%d] has %d columns for %d classes", ErrClassMismatch, epoch, r, len(cm[r]), n)
			}
		}
		return cm, nil
	}
	yt, yp := epochLabels(l.Y.Valid, false, epoch), epochLabels(l.Y.Valid, true, epoch)
	if len(yt) == 0 {
		return nil, fmt.Errorf("%w: %s has neither valid_confusion_matrix nor y.valid labels for epoch %d", ErrNoData, runName(l, 0), epoch)
	}
	if len(yt) != len(yp) {
		return nil, fmt.Errorf("plots: y.valid epoch %d has %d true and %d predicted labels", epoch, len(yt), len(yp))
	}
	cm := make([][]int, n)
	for r := range cm {
		cm[r] = make([]int, n)
	}
	for i := range yt {
		t, p := yt[i], yp[i]
		if t < 0 || t >= n || p < 0 || p >= n {
			return nil, fmt.Errorf("%w: y.valid epoch %d has label pair (%d, %d) outside the %d classes", ErrClassMismatch, epoch, t, p, n)
		}
		cm[t][p]++
	}
	return cm, nil
}

// padPanelsY gives every panel's y range a margin, so lines at 0% or 100%
// stay off the frame.
func padPanelsY(f *Figure) {
	for _, row := range f.Panels {
		for _, p := range row {
			if p != nil {
				padRange(&p.Y.Min, &p.Y.Max, true)
			}
		}
	}
}
