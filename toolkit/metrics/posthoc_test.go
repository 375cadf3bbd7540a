package metrics

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// TestPriorAdjustedFixture checks the adjustment against numpy's
// softmax(log p - tau log pi) and the metrics of its argmax against
// scikit-learn (testdata/gen_posthoc_fixture.py), on scores rounded as run
// logs keep them.
func TestPriorAdjustedFixture(t *testing.T) {
	var f struct {
		Cases []struct {
			Name             string      `json:"name"`
			Counts           []int       `json:"counts"`
			Tau              float64     `json:"tau"`
			Scores           [][]float64 `json:"scores"`
			YTrue            []int       `json:"y_true"`
			Adjusted         [][]float64 `json:"adjusted"`
			YPred            []int       `json:"y_pred"`
			Accuracy         float64     `json:"accuracy"`
			BalancedAccuracy float64     `json:"balanced_accuracy"`
			Recall           []float64   `json:"recall"`
		} `json:"cases"`
	}
	readFixture(t, "posthoc_fixture.json", &f)
	if len(f.Cases) < 12 {
		t.Fatalf("%d cases", len(f.Cases))
	}
	for _, c := range f.Cases {
		adj, err := PriorAdjusted(c.Scores, c.Counts, c.Tau)
		if err != nil {
			t.Fatalf("%s tau %g: %v", c.Name, c.Tau, err)
		}
		for i := range adj {
			for k := range adj[i] {
				if math.Abs(adj[i][k]-c.Adjusted[i][k]) > 1e-12 {
					t.Fatalf("%s tau %g: sample %d class %d: %g, numpy %g", c.Name, c.Tau, i, k, adj[i][k], c.Adjusted[i][k])
				}
			}
		}
		pred := ArgMax(adj)
		if !slices.Equal(pred, c.YPred) {
			t.Errorf("%s tau %g: predictions %v, numpy %v", c.Name, c.Tau, pred, c.YPred)
			continue
		}
		r, err := Compute(c.YTrue, pred, len(c.Counts))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Accuracy-c.Accuracy) > 1e-12 || math.Abs(r.BalancedAccuracy-c.BalancedAccuracy) > 1e-12 {
			t.Errorf("%s tau %g: accuracy %g balanced %g; scikit-learn %g %g", c.Name, c.Tau, r.Accuracy, r.BalancedAccuracy, c.Accuracy, c.BalancedAccuracy)
		}
		for k := range c.Recall {
			if math.Abs(r.Recall[k]-c.Recall[k]) > 1e-12 {
				t.Errorf("%s tau %g: recall %v, scikit-learn %v", c.Name, c.Tau, r.Recall, c.Recall)
				break
			}
		}
	}
}

func TestPriorAdjustedErrors(t *testing.T) {
	scores := [][]float64{{0.7, 0.3}, {0.2, 0.8}}
	tests := []struct {
		name   string
		scores [][]float64
		counts []int
		tau    float64
	}{
		{"zero count", scores, []int{10, 0}, 1},
		{"negative count", scores, []int{10, -1}, 0},
		{"no counts", scores, []int{0, 0}, 0},
		{"ragged", [][]float64{{0.5, 0.5}, {1}}, []int{3, 1}, 1},
		{"NaN tau", scores, []int{3, 1}, math.NaN()},
		{"NaN score", [][]float64{{math.NaN(), 0.5}}, []int{3, 1}, 1},
		{"all zero", [][]float64{{0, 0}}, []int{3, 1}, 1},
	}
	for _, tt := range tests {
		if _, err := PriorAdjusted(tt.scores, tt.counts, tt.tau); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", tt.name, err)
		}
	}
	// A huge tau overflows nothing: every sample goes to the rarest class
	// it has any probability for.
	huge, err := PriorAdjusted([][]float64{{0.98, 0.02, 0}, {0.5, 0, 0.5}}, []int{90, 9, 1}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got := ArgMax(huge); !slices.Equal(got, []int{1, 2}) || math.IsNaN(huge[0][0]) || huge[0][2] != 0 {
		t.Errorf("tau 1000: %v, predictions %v", huge, got)
	}
	// tau 0 keeps the scores, normalised (and a zero count is fine then).
	got, err := PriorAdjusted([][]float64{{0.7, 0.3}, {0.1, 0.3}}, []int{10, 0}, 0)
	if err != nil || math.Abs(got[0][0]-0.7) > 1e-15 || math.Abs(got[1][1]-0.75) > 1e-15 {
		t.Errorf("tau 0: %v, %v", got, err)
	}
}
