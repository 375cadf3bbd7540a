package losses

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/debiaser/debiaser/toolkit/config"
)

// fixture is testdata/fixture.json, made by testdata/gen_fixture.py with
// PyTorch in float64.
type fixture struct {
	Counts  []int `json:"counts"`
	Weights []struct {
		Counts    []int     `json:"counts"`
		Weighting string    `json:"weighting"`
		Beta      float64   `json:"beta"`
		W         []float64 `json:"w"`
	} `json:"weights"`
	Cases []struct {
		Batch  string       `json:"batch"`
		Config Config       `json:"config"`
		Logits [][]float64  `json:"logits"`
		Labels []int        `json:"labels"`
		Loss   float64      `json:"loss"`
		Grad   [][]*float64 `json:"grad"` // nil where PyTorch's gradient is NaN
	} `json:"cases"`
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	data, err := os.ReadFile("testdata/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("testdata/fixture.json: %v", err)
	}
	if len(f.Cases) == 0 || len(f.Weights) == 0 {
		t.Fatal("testdata/fixture.json has no cases")
	}
	return f
}

func caseName(c Config, batch string) string {
	return fmt.Sprintf("%s/%s/%s/%s/b=%g/g=%g/tau=%g", batch, c.Family, c.Type, c.Weighting, c.Beta, c.Gamma, c.Tau)
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

func TestClassWeightsMatchPyTorch(t *testing.T) {
	for _, tt := range loadFixture(t).Weights {
		name := fmt.Sprintf("%v/%s/%g", tt.Counts, tt.Weighting, tt.Beta)
		w, err := ClassWeights(tt.Counts, tt.Weighting, tt.Beta)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var sum float64
		for c := range w {
			sum += w[c]
			if !near(w[c], tt.W[c], 1e-12) {
				t.Errorf("%s: w[%d] = %.15g, PyTorch %.15g", name, c, w[c], tt.W[c])
			}
		}
		if !near(sum, float64(len(w)), 1e-12) {
			t.Errorf("%s: sum of weights %g, want %d", name, sum, len(w))
		}
	}
}

// TestClassWeightsOrder checks the direction of each weighting by hand:
// rarer classes weigh more, INS more steeply than ISNS, ENS between
// uniform (beta -> 0) and INS (beta -> 1).
func TestClassWeightsOrder(t *testing.T) {
	counts := []int{100, 10}
	ratio := func(weighting string, beta float64) float64 {
		w, err := ClassWeights(counts, weighting, beta)
		if err != nil {
			t.Fatal(err)
		}
		return w[1] / w[0]
	}
	tests := []struct {
		weighting string
		beta      float64
		want      float64
	}{
		{WeightINS, 0, 10},
		{WeightISNS, 0, math.Sqrt(10)},
		{WeightENS, 0, 1},
		{WeightENS, 0.9, (1 - math.Pow(0.9, 100)) / (1 - math.Pow(0.9, 10))},
		{WeightNone, 0, 1},
	}
	for _, tt := range tests {
		if got := ratio(tt.weighting, tt.beta); !near(got, tt.want, 1e-12) {
			t.Errorf("%s beta=%g: w_rare/w_common = %g, want %g", tt.weighting, tt.beta, got, tt.want)
		}
	}
	// beta near 1: ENS tends to INS.
	if got := ratio(WeightENS, 1-1e-9); !near(got, 10, 1e-5) {
		t.Errorf("ENS beta=1-1e-9: ratio %g, want ~10", got)
	}
}

func TestEvaluateMatchesPyTorch(t *testing.T) {
	f := loadFixture(t)
	for _, tt := range f.Cases {
		got, err := Evaluate(tt.Config, f.Counts, tt.Logits, tt.Labels)
		if err != nil {
			t.Errorf("%s: %v", caseName(tt.Config, tt.Batch), err)
			continue
		}
		if !near(got, tt.Loss, 1e-10) {
			t.Errorf("%s: loss %.15g, PyTorch %.15g", caseName(tt.Config, tt.Batch), got, tt.Loss)
		}
	}
}

// lossExec compiles the loss and its gradient with respect to the logits
// for one configuration; it is reused for every evaluation of a case.
func lossExec(t *testing.T, cfg Config, counts []int) *Exec {
	t.Helper()
	lossFn, err := New(cfg, counts)
	if err != nil {
		t.Fatal(err)
	}
	return MustNewExec(backends.MustNew(), func(z, y *Node) (*Node, *Node) {
		l := lossFn([]*Node{y}, []*Node{z})
		return l, Gradient(l, z)[0]
	})
}

func int32s(ys []int) []int32 {
	out := make([]int32, len(ys))
	for i, y := range ys {
		out[i] = int32(y)
	}
	return out
}

// TestGradients compares the graph's gradient with PyTorch's autograd and
// with central finite differences of the loss itself.
func TestGradients(t *testing.T) {
	f := loadFixture(t)
	for _, tt := range f.Cases {
		name := caseName(tt.Config, tt.Batch)
		exec := lossExec(t, tt.Config, f.Counts)
		labels := int32s(tt.Labels)
		out, err := exec.Exec(tt.Logits, labels)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		grad := out[1].Value().([][]float64)
		const h = 1e-6
		for i := range grad {
			for c := range grad[i] {
				g := grad[i][c]
				if math.IsNaN(g) || math.IsInf(g, 0) {
					t.Errorf("%s: grad[%d][%d] = %g", name, i, c, g)
				}
				if want := tt.Grad[i][c]; want != nil && !near(g, *want, 1e-9) {
					t.Errorf("%s: grad[%d][%d] = %.12g, PyTorch %.12g", name, i, c, g, *want)
				}
				lossAt := func(delta float64) float64 {
					z := make([][]float64, len(tt.Logits))
					for k := range z {
						z[k] = append([]float64(nil), tt.Logits[k]...)
					}
					z[i][c] += delta
					o, err := exec.Exec(z, labels)
					if err != nil {
						t.Fatal(err)
					}
					return o[0].Value().(float64)
				}
				fd := (lossAt(h) - lossAt(-h)) / (2 * h)
				if math.Abs(fd-g) > 1e-6 {
					t.Errorf("%s: grad[%d][%d] = %.10g, finite difference %.10g", name, i, c, g, fd)
				}
			}
		}
	}
}

// allConfigs is one configuration of every family, type and weighting.
func allConfigs() []Config {
	cfgs := []Config{{Family: FamilyBaseline, Type: TypeCE, Beta: 0.999}}
	for _, w := range KnownWeightings {
		for _, lt := range KnownTypes[FamilyCB] {
			cfgs = append(cfgs, Config{Family: FamilyCB, Type: lt, Weighting: w, Beta: 0.999, Gamma: 2, Margin: 0.5, Scale: 30})
		}
	}
	for _, lt := range KnownTypes[FamilyMFE] {
		cfgs = append(cfgs, Config{Family: FamilyMFE, Type: lt})
	}
	for _, tau := range []float64{0.5, 1, 2} {
		cfgs = append(cfgs, Config{Family: FamilyLA, Type: TypeCE, Tau: tau})
	}
	return cfgs
}

// TestSaturatedLogitsFloat32 runs every loss in float32, as training does,
// on logits of +-100 (and +-1e4): loss and gradient must be finite.
func TestSaturatedLogitsFloat32(t *testing.T) {
	counts := []int{750, 425, 250, 75}
	for _, scale := range []float32{100, 1e4} {
		logits := [][]float32{
			{scale, -scale, 0, scale},
			{-scale, scale, -scale, -scale},
			{scale, scale, scale, scale},
			{-scale, -scale, -scale, scale},
		}
		labels := []int32{1, 1, 2, 3} // wrong, right, tie, right
		for _, cfg := range allConfigs() {
			name := caseName(cfg, fmt.Sprint(scale))
			out, err := lossExec(t, cfg, counts).Exec(logits, labels)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			l := out[0].Value().(float32)
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				t.Errorf("%s: loss %g", name, l)
			}
			for i, row := range out[1].Value().([][]float32) {
				for c, g := range row {
					if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
						t.Errorf("%s: grad[%d][%d] = %g", name, i, c, g)
					}
				}
			}
		}
	}
}

// TestFloat32MatchesFloat64 checks the training dtype against the fixture.
func TestFloat32MatchesFloat64(t *testing.T) {
	f := loadFixture(t)
	for _, tt := range f.Cases[:30] {
		z := make([][]float32, len(tt.Logits))
		for i, row := range tt.Logits {
			for _, x := range row {
				z[i] = append(z[i], float32(x))
			}
		}
		out, err := lossExec(t, tt.Config, f.Counts).Exec(z, int32s(tt.Labels))
		if err != nil {
			t.Fatal(err)
		}
		if got := float64(out[0].Value().(float32)); !near(got, tt.Loss, 1e-5) {
			t.Errorf("%s: float32 loss %.8g, PyTorch %.8g", caseName(tt.Config, tt.Batch), got, tt.Loss)
		}
	}
}

// TestLabelShapes: labels arrive as [batch] or [batch, 1], in any integer
// dtype; all give the same loss.
func TestLabelShapes(t *testing.T) {
	cfg := Config{Family: FamilyCB, Type: TypeFocal, Weighting: WeightENS, Beta: 0.99, Gamma: 1}
	lossFn, err := New(cfg, []int{30, 20, 10})
	if err != nil {
		t.Fatal(err)
	}
	logits := [][]float32{{1, 2, 3}, {0.5, -1, 0}}
	var got []float32
	for _, labels := range []any{[]int32{2, 0}, [][]int32{{2}, {0}}, []int64{2, 0}, [][]int64{{2}, {0}}} {
		out, err := ExecOnce(backends.MustNew(), func(z, y *Node) *Node {
			return lossFn([]*Node{y}, []*Node{z})
		}, logits, labels)
		if err != nil {
			t.Fatalf("labels %T: %v", labels, err)
		}
		got = append(got, out.Value().(float32))
	}
	for i := range got {
		if got[i] != got[0] {
			t.Errorf("label layouts disagree: %v", got)
		}
	}
}

// TestWangWorkedExample is Wang et al. 2016's example on the
// probability-level function, with hard 0/1 predictions: 90 samples of one
// class with 4 wrong, 10 of the other with 5 wrong. Each wrong sample has
// e = 1/2 (1 + 1) = 1, so FNE = 4/90, FPE = 5/10: MFE 0.544, MSFE 0.252
// (the paper's 0.54 and 0.25), while the plain MSE is 9/100 = 0.09.
func TestWangWorkedExample(t *testing.T) {
	var probs [][]float64
	var onehot [][]float64
	add := func(class, n, wrong int) {
		for i := 0; i < n; i++ {
			t := []float64{0, 0}
			t[class] = 1
			p := []float64{t[0], t[1]}
			if i < wrong {
				p = []float64{t[1], t[0]}
			}
			probs, onehot = append(probs, p), append(onehot, t)
		}
	}
	add(0, 90, 4)
	add(1, 10, 5)
	for _, tt := range []struct {
		squared    bool
		want       float64
		wantRounds float64
	}{
		{false, 4.0/90 + 5.0/10, 0.54},
		{true, (4.0/90)*(4.0/90) + 0.25, 0.25},
	} {
		out, err := ExecOnce(backends.MustNew(), func(p, t *Node) *Node {
			return MeanFalseError(p, t, tt.squared)
		}, probs, onehot)
		if err != nil {
			t.Fatal(err)
		}
		got := out.Value().(float64)
		if !near(got, tt.want, 1e-12) || math.Round(got*100)/100 != tt.wantRounds {
			t.Errorf("squared=%v: got %.6f, want %.6f (paper: %.2f)", tt.squared, got, tt.want, tt.wantRounds)
		}
	}
	// The same errors per class, from FalseErrors.
	out, err := ExecOnce(backends.MustNew(), FalseErrors, probs, onehot)
	if err != nil {
		t.Fatal(err)
	}
	e := out.Value().([]float64)
	if !near(e[0], 4.0/90, 1e-12) || !near(e[1], 0.5, 1e-12) {
		t.Errorf("FalseErrors = %v, want [0.0444, 0.5]", e)
	}
}

func TestInvalidInputNamesField(t *testing.T) {
	ok := Config{Family: FamilyCB, Type: TypeCE, Weighting: WeightENS, Beta: 0.99}
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }
	counts := []int{5, 3}
	logits := [][]float64{{1, 2}, {0, 1}}
	labels := []int{0, 1}
	tests := []struct {
		name   string
		cfg    Config
		counts []int
		logits [][]float64
		labels []int
		key    string
	}{
		{"beta=1", with(func(c *Config) { c.Beta = 1 }), counts, logits, labels, "beta"},
		{"beta<0", with(func(c *Config) { c.Beta = -0.1 }), counts, logits, labels, "beta"},
		{"beta NaN", with(func(c *Config) { c.Beta = math.NaN() }), counts, logits, labels, "beta"},
		{"gamma<0", with(func(c *Config) { c.Type, c.Gamma = TypeFocal, -1 }), counts, logits, labels, "gamma"},
		{"family", with(func(c *Config) { c.Family = "cb" }), counts, logits, labels, "loss_family"},
		{"type", with(func(c *Config) { c.Type = "MSFE" }), counts, logits, labels, "loss_type"},
		{"MFE type", Config{Family: FamilyMFE, Type: TypeCE}, counts, logits, labels, "loss_type"},
		{"weighting", with(func(c *Config) { c.Weighting = "ens" }), counts, logits, labels, "weighting"},
		{"zero count INS", with(func(c *Config) { c.Weighting = WeightINS }), []int{5, 0}, logits, labels, "counts"},
		{"zero count ISNS", with(func(c *Config) { c.Weighting = WeightISNS }), []int{0, 3}, logits, labels, "counts"},
		{"zero count ENS", ok, []int{0, 3}, logits, labels, "counts"},
		{"tau<0", Config{Family: FamilyLA, Type: TypeCE, Tau: -1}, counts, logits, labels, "tau"},
		{"LA type", Config{Family: FamilyLA, Type: TypeFocal, Tau: 1}, counts, logits, labels, "loss_type"},
		{"LA zero count", Config{Family: FamilyLA, Type: TypeCE, Tau: 1}, []int{5, 0}, logits, labels, "counts"},
		{"LA counts for other classes", Config{Family: FamilyLA, Type: TypeCE, Tau: 1}, []int{5, 3, 2}, logits, labels, "counts"},
		{"counts vs logits", ok, []int{5, 3, 1}, logits, labels, "counts"},
		{"label too big", ok, counts, logits, []int{0, 2}, "labels"},
		{"label negative", ok, counts, logits, []int{-1, 0}, "labels"},
		{"label count", ok, counts, logits, []int{0}, "labels"},
		{"ragged", ok, counts, [][]float64{{1, 2}, {0}}, labels, "logits"},
		{"empty", ok, counts, nil, nil, "logits"},
	}
	for _, tt := range tests {
		_, err := Evaluate(tt.cfg, tt.counts, tt.logits, tt.labels)
		var fe *config.FieldError
		if err == nil {
			t.Errorf("%s: no error", tt.name)
		} else if !errors.As(err, &fe) || fe.Key != tt.key || !strings.Contains(err.Error(), `"`+tt.key+`"`) {
			t.Errorf("%s: error %q does not name field %q", tt.name, err, tt.key)
		}
	}
	// ClassWeights and New report the same fields.
	if _, err := ClassWeights([]int{4, 0}, WeightINS, 0); err == nil || !strings.Contains(err.Error(), `"counts"`) {
		t.Errorf("ClassWeights zero count: %v", err)
	}
	if _, err := ClassWeights([]int{4, 2}, "inverse", 0); err == nil || !strings.Contains(err.Error(), `"weighting"`) {
		t.Errorf("ClassWeights unknown weighting: %v", err)
	}
	if _, err := New(with(func(c *Config) { c.Beta = 2 }), counts); err == nil || !strings.Contains(err.Error(), `"beta"`) {
		t.Errorf("New beta=2: %v", err)
	}
}

// TestBaselineIgnoresTypeAndWeighting: the study's baseline family is plain
// cross-entropy whatever loss_type and weighting say, and equals CB + CE
// with weighting none.
func TestBaselineIgnoresTypeAndWeighting(t *testing.T) {
	logits := [][]float64{{1, 2, 0}, {0, 1, 3}, {2, -1, 0}}
	labels := []int{0, 2, 1}
	counts := []int{10, 5, 1}
	ref, err := Evaluate(Config{Family: FamilyBaseline, Type: TypeCE}, nil, logits, labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{
		{Family: FamilyBaseline, Type: TypeFocal, Weighting: WeightINS, Gamma: 2},
		{Family: FamilyBaseline, Type: "anything", Weighting: "anything"},
		{Family: FamilyCB, Type: TypeCE, Weighting: WeightNone},
	} {
		got, err := Evaluate(cfg, counts, logits, labels)
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		if !near(got, ref, 1e-14) {
			t.Errorf("%+v: %g, want baseline %g", cfg, got, ref)
		}
	}
	// Weights do change CB: INS weighs the rare class's error more.
	ins, _ := Evaluate(Config{Family: FamilyCB, Type: TypeCE, Weighting: WeightINS}, counts, logits, labels)
	if near(ins, ref, 1e-6) {
		t.Errorf("CB INS %g equals unweighted %g", ins, ref)
	}
}

func TestFromConfig(t *testing.T) {
	c := config.Defaults()
	got := FromConfig(c)
	want := Config{Family: "baseline", Type: "CE", Weighting: "ENS", Beta: 0.999, Tau: 1, Margin: 0.5, Scale: 30}
	if got != want {
		t.Errorf("FromConfig(Defaults()) = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	c.LossFamily, c.LossType, c.Weighting, c.Beta, c.Gamma, c.Tau, c.LDAMMargin, c.LDAMScale = "CB", "focal", "none", 0.5, 2, 0.5, 1, 16
	if got := FromConfig(c); got != (Config{Family: "CB", Type: "focal", Weighting: "none", Beta: 0.5, Gamma: 2, Tau: 0.5, Margin: 1, Scale: 16}) {
		t.Errorf("FromConfig = %+v", got)
	}
	// JSON keys are config.Config's.
	data, _ := json.Marshal(FromConfig(c))
	var back config.Config
	if _, err := config.Decode(data, &back, true); err != nil {
		t.Errorf("losses.Config JSON is not config.Config JSON: %v", err)
	}
	if FromConfig(back) != FromConfig(c) {
		t.Errorf("round trip: %+v", FromConfig(back))
	}
}

func TestInitialBias(t *testing.T) {
	tests := []struct {
		cfg  Config
		c    int
		want float64
	}{
		{Config{Family: FamilyCB, Type: TypeFocal}, 4, -math.Log(3)},
		{Config{Family: FamilyCB, Type: TypeBCESigmoid}, 10, -math.Log(9)},
		{Config{Family: FamilyCB, Type: TypeCE}, 4, 0},
		{Config{Family: FamilyCB, Type: TypeBCESoftmax}, 4, 0},
		{Config{Family: FamilyBaseline, Type: TypeFocal}, 4, 0},
		{Config{Family: FamilyCB, Type: TypeFocal}, 1, 0},
	}
	for _, tt := range tests {
		got := InitialBias(tt.cfg, tt.c)
		if got != tt.want {
			t.Errorf("%+v C=%d: %g, want %g", tt.cfg, tt.c, got, tt.want)
		}
		if tt.want != 0 { // sigmoid(b) = 1/C
			if p := 1 / (1 + math.Exp(-got)); math.Abs(p-1/float64(tt.c)) > 1e-12 {
				t.Errorf("sigmoid(%g) = %g, want 1/%d", got, p, tt.c)
			}
		}
	}
}

func TestLDAMMargins(t *testing.T) {
	tests := []struct {
		counts []int
		max    float64
		want   []float64 // nil: an error naming counts
	}{
		{[]int{16, 1}, 0.5, []float64{0.25, 0.5}}, // 16^-1/4 = 1/2 of 1^-1/4
		{[]int{81, 16, 1}, 1, []float64{1.0 / 3, 0.5, 1}},
		{[]int{5, 5}, 0.5, []float64{0.5, 0.5}},
		{[]int{100, 10}, 0, []float64{0, 0}},
		{[]int{10, 0}, 0.5, nil},
		{nil, 0.5, nil},
	}
	for _, tt := range tests {
		got, err := LDAMMargins(tt.counts, tt.max)
		if tt.want == nil {
			var fe *config.FieldError
			if !errors.As(err, &fe) || fe.Key != "counts" {
				t.Errorf("%v: err = %v, want a counts field error", tt.counts, err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%v, %g: %v, %v", tt.counts, tt.max, got, err)
			continue
		}
		for c := range got {
			if math.Abs(got[c]-tt.want[c]) > 1e-12 {
				t.Errorf("%v, %g: %v, want %v", tt.counts, tt.max, got, tt.want)
				break
			}
		}
	}
}
