package runlog

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/metrics"
)

// overconfidentLog is smallLog with n validation samples at its best
// epoch whose probabilities put 0.9 on a class that is right 60% of the
// time: an over-confident model.
func overconfidentLog(t *testing.T, n int) *Log {
	t.Helper()
	l := smallLog(t)
	rng := rand.New(rand.NewPCG(7, 17))
	y := make([]int, n)
	scores := make([][]float64, n)
	for i := range n {
		y[i] = i % 3
		pred := y[i]
		if rng.Float64() < 0.4 {
			pred = (y[i] + 1 + rng.IntN(2)) % 3
		}
		scores[i] = []float64{0.05, 0.05, 0.05}
		scores[i][pred] = 0.9
	}
	l.Y.Valid.True[strconv.Itoa(l.Run.BestEpoch)] = y
	l.Run.ValidScores = scores
	return l
}

func TestTemperatureScaling(t *testing.T) {
	l := overconfidentLog(t, 300)
	fit, err := TemperatureScaling(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("T %.4f (halves %.4f %.4f), NLL %.4f -> %.4f, ECE %.4f -> %.4f", fit.Temperature, fit.FoldTemperatures[0], fit.FoldTemperatures[1], fit.NLL, fit.NLLScaled, fit.Before.ECE, fit.After.ECE)
	if !(fit.Temperature > 1) || !(fit.NLLScaled < fit.NLL) || !(fit.After.ECE < fit.Before.ECE/2) {
		t.Errorf("an over-confident run: want T > 1, a lower NLL and less than half the ECE after scaling, got %+v", fit)
	}
	// 0.9 right 60% of the time: the ECE as kept is about 0.3.
	if math.Abs(fit.Before.ECE-0.3) > 0.06 {
		t.Errorf("ECE before %.4f, want about 0.3", fit.Before.ECE)
	}
	// Each sample is scaled by the other half's temperature: the k-th
	// sample of each class is in half k%2.
	yTrue, scores, _ := l.BestValidScores()
	seen := map[int]int{}
	for i, y := range yTrue {
		h := seen[y] % 2
		seen[y]++
		want, err := metrics.TemperatureScaled(scores[i:i+1], fit.FoldTemperatures[1-h])
		if err != nil {
			t.Fatal(err)
		}
		for c := range want[0] {
			if fit.Scaled[i][c] != want[0][c] {
				t.Fatalf("sample %d (half %d): %v, want %v (the other half's temperature)", i, h, fit.Scaled[i], want[0])
			}
		}
	}
	if fit.FoldTemperatures[0] == fit.FoldTemperatures[1] {
		t.Errorf("the halves' temperatures are equal (%v): are they fitted on different samples?", fit.FoldTemperatures)
	}
}

func TestTemperatureScalingErrors(t *testing.T) {
	if _, err := TemperatureScaling(&Log{Note: "study log"}); !errors.Is(err, ErrNoScores) {
		t.Errorf("no scores: err = %v", err)
	}
	one := overconfidentLog(t, 1)
	if _, err := TemperatureScaling(one); !errors.Is(err, ErrTooFewSamples) || !strings.Contains(err.Error(), "1 validation sample") {
		t.Errorf("one sample: err = %v", err)
	}
	// Three samples of three classes: no class to split.
	three := overconfidentLog(t, 3)
	if _, err := TemperatureScaling(three); !errors.Is(err, ErrTooFewSamples) || !strings.Contains(err.Error(), "no class has 2 validation samples") {
		t.Errorf("one sample a class: err = %v", err)
	}
	bad := overconfidentLog(t, 6)
	bad.Run.ValidScores[2] = []float64{0.5, math.NaN(), 0.5}
	if _, err := TemperatureScaling(bad); !errors.Is(err, metrics.ErrInput) || !strings.Contains(err.Error(), bad.Note) {
		t.Errorf("a NaN score: err = %v, want metrics.ErrInput naming the log", err)
	}
}

func TestTemperatureTable(t *testing.T) {
	a, b := overconfidentLog(t, 120), overconfidentLog(t, 60)
	b.Note = "second"
	tb, err := TemperatureTable([]*Log{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := tb.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", sb.String())
	for _, c := range []string{"valid_nll", "valid_nll_scaled", "valid_ece", "valid_ece_scaled"} {
		if !LowerIsBetter(c) {
			t.Errorf("LowerIsBetter(%q) = false", c)
		}
	}
	if len(tb.Rows) != 2 || tb.Rows[1].Cells[0].Text != "second" {
		t.Fatalf("rows: %+v", tb.Rows)
	}
	for _, r := range tb.Rows {
		fit, err := TemperatureScaling(r.Log)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []float64{fit.Temperature, fit.NLL, fit.NLLScaled, fit.Before.ECE, fit.After.ECE} {
			if got := r.Cells[i+1].Value; got != want {
				t.Errorf("%s column %s: %v, want %v", r.Log.Note, tb.Columns[i+1], got, want)
			}
		}
	}
}
