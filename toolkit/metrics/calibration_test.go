package metrics

import (
	"errors"
	"math"
	"testing"
)

// TestCalibrationFixture checks the bins against scikit-learn's
// calibration_curve and ECE/MCE against numpy over the same bins
// (testdata/gen_calibration_fixture.py), top label and one-vs-rest.
func TestCalibrationFixture(t *testing.T) {
	type curve struct {
		Frequency  []float64 `json:"frequency"`
		Confidence []float64 `json:"confidence"`
		ECE        float64   `json:"ece"`
		MCE        float64   `json:"mce"`
	}
	var f struct {
		Cases []struct {
			Name     string      `json:"name"`
			Bins     int         `json:"bins"`
			YTrue    []int       `json:"y_true"`
			Scores   [][]float64 `json:"scores"`
			TopLabel curve       `json:"top_label"`
			PerClass []curve     `json:"per_class"`
		} `json:"cases"`
	}
	readFixture(t, "calibration_fixture.json", &f)
	if len(f.Cases) < 6 {
		t.Fatalf("%d cases", len(f.Cases))
	}
	check := func(name string, got Calibration, want curve) {
		t.Helper()
		if len(got.Bins) != len(want.Frequency) {
			t.Errorf("%s: %d non-empty bins, scikit-learn %d", name, len(got.Bins), len(want.Frequency))
			return
		}
		for b, bin := range got.Bins {
			if math.Abs(bin.Frequency-want.Frequency[b]) > 1e-12 || math.Abs(bin.Confidence-want.Confidence[b]) > 1e-12 {
				t.Errorf("%s: bin %d (%g, %g]: frequency %g confidence %g; scikit-learn %g %g", name, b, bin.Lo, bin.Hi, bin.Frequency, bin.Confidence, want.Frequency[b], want.Confidence[b])
			}
		}
		if math.Abs(got.ECE-want.ECE) > 1e-12 || math.Abs(got.MCE-want.MCE) > 1e-12 {
			t.Errorf("%s: ECE %g MCE %g; numpy %g %g", name, got.ECE, got.MCE, want.ECE, want.MCE)
		}
	}
	for _, c := range f.Cases {
		top, err := TopLabelCalibration(c.YTrue, c.Scores, c.Bins)
		if err != nil {
			t.Fatal(err)
		}
		check(c.Name+" top label", top, c.TopLabel)
		for k, want := range c.PerClass {
			got, err := ClassCalibration(c.YTrue, c.Scores, k, c.Bins)
			if err != nil {
				t.Fatal(err)
			}
			check(c.Name+" class", got, want)
		}
	}
}

func TestCalibrationCurve(t *testing.T) {
	// Probabilities on the edges go to the bin below; 0 to the first.
	c, err := CalibrationCurve([]bool{true, false, true, true}, []float64{0, 0.5, 0.5, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Bins) != 2 || c.Bins[0].Count != 3 || c.Bins[1].Count != 1 {
		t.Fatalf("bins %+v", c.Bins)
	}
	// Bin 0: confidence 1/3, frequency 2/3; bin 1: 1 and 1.
	if math.Abs(c.ECE-0.75*(1.0/3)) > 1e-15 || math.Abs(c.MCE-1.0/3) > 1e-15 {
		t.Errorf("ECE %g MCE %g", c.ECE, c.MCE)
	}
	for _, bad := range []struct {
		outcome []bool
		prob    []float64
		bins    int
	}{
		{[]bool{true}, []float64{0.5}, 0},
		{[]bool{true}, []float64{1.5}, 10},
		{[]bool{true}, []float64{math.NaN()}, 10},
		{[]bool{true, false}, []float64{0.5}, 10},
		{nil, nil, 10},
	} {
		if _, err := CalibrationCurve(bad.outcome, bad.prob, bad.bins); !errors.Is(err, ErrInput) {
			t.Errorf("%v %v %d bins: err = %v", bad.outcome, bad.prob, bad.bins, err)
		}
	}
}
