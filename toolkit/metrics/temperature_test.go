package metrics

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// TestTemperatureFixture checks FitTemperature, NLL and TemperatureScaled
// against PyTorch's cross_entropy minimised by SciPy and PyTorch's softmax
// (testdata/gen_temperature_fixture.py), on float32 softmax probabilities,
// exact zeros included.
func TestTemperatureFixture(t *testing.T) {
	type tcase struct {
		Name        string      `json:"name"`
		YTrue       []int       `json:"y_true"`
		Scores      [][]float64 `json:"scores"`
		Temperature float64     `json:"temperature"`
		NLL         float64     `json:"nll"`
		NLLScaled   float64     `json:"nll_scaled"`
		Scaled      [][]float64 `json:"scaled"`
		HasZero     bool        `json:"has_zero"`
	}
	var f struct {
		Cases []tcase `json:"cases"`
	}
	readFixture(t, "temperature_fixture.json", &f)
	if len(f.Cases) < 4 || !slices.ContainsFunc(f.Cases, func(c tcase) bool { return c.HasZero }) {
		t.Fatalf("the fixture should hold 4 cases, one with zero probabilities")
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			nll, err := NLL(c.YTrue, c.Scores)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(nll-c.NLL) > 1e-9*math.Max(1, c.NLL) {
				t.Errorf("NLL %.12g, PyTorch %.12g", nll, c.NLL)
			}
			temp, err := FitTemperature(c.YTrue, c.Scores)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(temp-c.Temperature) > 1e-6*c.Temperature {
				t.Errorf("temperature %.10g, SciPy %.10g", temp, c.Temperature)
			}
			scaled, err := TemperatureScaled(c.Scores, temp)
			if err != nil {
				t.Fatal(err)
			}
			after, err := NLL(c.YTrue, scaled)
			if err != nil {
				t.Fatal(err)
			}
			// At least as good a minimum as SciPy's, and much better than T = 1.
			if after > c.NLLScaled+1e-10 || !(after < nll) {
				t.Errorf("NLL after scaling %.12g, SciPy's optimum %.12g, before %.12g", after, c.NLLScaled, nll)
			}
			// PyTorch's scaled probabilities at SciPy's temperature.
			atRef, err := TemperatureScaled(c.Scores, c.Temperature)
			if err != nil {
				t.Fatal(err)
			}
			for i := range atRef {
				for k := range atRef[i] {
					if d := math.Abs(atRef[i][k] - c.Scaled[i][k]); d > 1e-12 {
						t.Fatalf("sample %d class %d: %.15g, PyTorch %.15g", i, k, atRef[i][k], c.Scaled[i][k])
					}
				}
			}
			// The largest class of each row stays the largest.
			if !slices.Equal(ArgMax(scaled), ArgMax(c.Scores)) {
				t.Errorf("temperature scaling changed predictions")
			}
		})
	}
}

func TestFitTemperatureBounds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		yTrue  []int
		scores [][]float64
		want   float64
	}{
		// Every sample right and confident: the NLL falls as T falls.
		{"separable", []int{0, 1}, [][]float64{{0.9, 0.1}, {0.2, 0.8}}, MinTemperature},
		// Every sample wrong: the NLL falls as T rises towards uniform.
		{"all wrong", []int{1, 0}, [][]float64{{0.9, 0.1}, {0.8, 0.2}}, MaxTemperature},
		// Rows of equal probabilities: no temperature does better.
		{"uniform", []int{0, 1}, [][]float64{{0.5, 0.5}, {0.5, 0.5}}, MaxTemperature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FitTemperature(tt.yTrue, tt.scores)
			if err != nil || got != tt.want {
				t.Errorf("FitTemperature = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	// A calibrated case: labels drawn as the probabilities say fit T near 1.
	p := [][]float64{{0.75, 0.25}, {0.75, 0.25}, {0.75, 0.25}, {0.75, 0.25}}
	got, err := FitTemperature([]int{0, 0, 0, 1}, p)
	if err != nil || math.Abs(got-1) > 1e-9 {
		t.Errorf("calibrated: T = %v, %v; want 1", got, err)
	}
}

func TestTemperatureErrors(t *testing.T) {
	ok := [][]float64{{0.6, 0.4}, {0.3, 0.7}}
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"labels", func() error { _, err := FitTemperature([]int{0}, ok); return err }()},
		{"label range", func() error { _, err := FitTemperature([]int{0, 2}, ok); return err }()},
		{"negative", func() error { _, err := NLL([]int{0, 1}, [][]float64{{-0.1, 1.1}, {0.3, 0.7}}); return err }()},
		{"NaN", func() error { _, err := TemperatureScaled([][]float64{{math.NaN(), 1}}, 1); return err }()},
		{"ragged", func() error { _, err := TemperatureScaled([][]float64{{0.5, 0.5}, {1}}, 1); return err }()},
		{"zero temperature", func() error { _, err := TemperatureScaled(ok, 0); return err }()},
		{"no samples", func() error { _, err := FitTemperature(nil, nil); return err }()},
		{"no samples for NLL", func() error { _, err := NLL([]int{}, [][]float64{}); return err }()},
	} {
		if !errors.Is(tt.err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", tt.name, tt.err)
		}
	}
}
