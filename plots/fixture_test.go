package plots

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/metrics"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// -regen (registered by cmpimg) rewrites the fixture logs and golden images.
var regen = cmpimg.GenerateTestData

// fixtureClasses mimic the study's four flower classes at a fifth of its size.
var (
	fixtureClasses = []string{"Lotus", "Orchid", "Sunflower", "Tulip"}
	fixtureTrain   = []int{150, 85, 50, 15}
	fixtureValid   = []int{50, 30, 15, 5}
)

// method is how a simulated run differs: its sampler and how well it
// learns the rare classes.
type method struct {
	note     string
	sampling string
	lossFam  string
	skill    float64 // overall separation of the true class's logit
	rareGain float64 // extra separation for the rare classes
	lr       float64
	beta     float64
	seed     uint64
}

// simulate builds a deterministic run log whose every number is
// consistent: predictions are the argmax of simulated class scores,
// precision/recall/accuracy are computed from those labels, loss is the
// mean cross-entropy of the scores.
func simulate(m method, nEpochs, stopAt int, withRun bool) *runlog.Log {
	rng := rand.New(rand.NewPCG(m.seed, 7))
	n := len(fixtureClasses)
	cfg := config.Defaults()
	cfg.SamplingStrategy = m.sampling
	cfg.LossFamily = m.lossFam
	cfg.NClass = n
	cfg.Epochs = nEpochs
	cfg.Patience = 3
	cfg.LearningRate = m.lr
	cfg.Beta = m.beta
	cfg.Seed = int64(m.seed)
	l := &runlog.Log{Note: m.note, Date: "20230609-134532", VarDict: cfg}
	l.Results.TrainPrecision, l.Results.TrainRecall = map[string]runlog.Series{}, map[string]runlog.Series{}
	l.Results.ValidPrecision, l.Results.ValidRecall = map[string]runlog.Series{}, map[string]runlog.Series{}
	l.Y.Train = runlog.SplitLabels{True: map[string][]int{}, Pred: map[string][]int{}}
	l.Y.Valid = runlog.SplitLabels{True: map[string][]int{}, Pred: map[string][]int{}}
	var validTrue []int
	for c, k := range fixtureValid {
		for range k {
			validTrue = append(validTrue, c)
		}
	}
	var scoresAt [][][]float64
	for e := range stopAt {
		progress := 1 - math.Exp(-float64(e+1)/3)
		// The sampler's draws for this epoch.
		trainTrue := drawTrain(rng, m.sampling)
		for _, split := range []string{"train", "valid"} { // fixed order: one rng stream
			yt := validTrue
			if split == "train" {
				yt = trainTrue
			}
			skill := m.skill * progress
			if split == "train" {
				skill *= 1.3
			}
			pred := make([]int, len(yt))
			scores := make([][]float64, len(yt))
			loss := 0.0
			for i, y := range yt {
				z := make([]float64, n)
				for c := range z {
					z[c] = rng.NormFloat64()
				}
				gain := skill
				if c := y; c >= 2 {
					gain += m.rareGain*progress - 0.8
				}
				z[y] += gain
				p := softmax(z)
				scores[i] = p
				pred[i] = argmax(p)
				loss -= math.Log(p[y])
			}
			loss /= float64(len(yt))
			prec, rec, acc := prf(yt, pred, n)
			key := strconv.Itoa(e)
			if split == "train" {
				l.Results.TrainLoss = append(l.Results.TrainLoss, round(loss))
				l.Results.TrainAccuracy = append(l.Results.TrainAccuracy, round(acc))
				appendClasses(l.Results.TrainPrecision, prec)
				appendClasses(l.Results.TrainRecall, rec)
				l.Y.Train.True[key], l.Y.Train.Pred[key] = yt, pred
			} else {
				l.Results.ValidLoss = append(l.Results.ValidLoss, round(loss))
				l.Results.ValidAccuracy = append(l.Results.ValidAccuracy, round(acc))
				appendClasses(l.Results.ValidPrecision, prec)
				appendClasses(l.Results.ValidRecall, rec)
				l.Y.Valid.True[key], l.Y.Valid.Pred[key] = yt, pred
				scoresAt = append(scoresAt, scores)
			}
		}
	}
	if !withRun {
		return l
	}
	best, _ := BestEpoch(l)
	for i := range scoresAt[best] {
		for c := range scoresAt[best][i] {
			scoresAt[best][i][c] = round(scoresAt[best][i][c])
		}
	}
	reason := "epochs"
	if stopAt < nEpochs {
		reason = "early_stopping"
	}
	l.Run = &runlog.RunInfo{
		Classes: fixtureClasses, TrainCounts: fixtureTrain, ValidCounts: fixtureValid,
		Status: runlog.StatusFinished, StopReason: reason, BestEpoch: best, EpochsDone: stopAt,
		Backend: "go", ValidScores: scoresAt[best],
	}
	return l
}

// drawTrain returns the training labels the sampler draws in one epoch.
func drawTrain(rng *rand.Rand, sampling string) []int {
	var out []int
	total := 0
	for _, k := range fixtureTrain {
		total += k
	}
	switch sampling {
	case config.SamplingWeighted:
		for range total {
			out = append(out, rng.IntN(len(fixtureTrain)))
		}
	case config.SamplingOversampling:
		for c := range fixtureTrain {
			for range fixtureTrain[0] {
				out = append(out, c)
			}
		}
	case config.SamplingUndersampling:
		for c := range fixtureTrain {
			for range fixtureTrain[len(fixtureTrain)-1] {
				out = append(out, c)
			}
		}
	default:
		for c, k := range fixtureTrain {
			for range k {
				out = append(out, c)
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func softmax(z []float64) []float64 {
	m := z[argmax(z)]
	p := make([]float64, len(z))
	s := 0.0
	for i, v := range z {
		p[i] = math.Exp(v - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

func argmax(z []float64) int {
	best := 0
	for i, v := range z {
		if v > z[best] {
			best = i
		}
	}
	return best
}

// prf returns per-class precision and recall (rounded) and the accuracy.
func prf(yt, yp []int, n int) (prec, rec []float64, acc float64) {
	r, err := metrics.Compute(yt, yp, n)
	if err != nil {
		panic(err) // the simulation's labels are in range
	}
	prec, rec = make([]float64, n), make([]float64, n)
	for c := range n {
		prec[c], rec[c] = round(r.Precision[c]), round(r.Recall[c])
	}
	return prec, rec, r.Accuracy
}

func appendClasses(m map[string]runlog.Series, v []float64) {
	for c, name := range fixtureClasses {
		m[name] = append(m[name], v[c])
	}
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// fixtureMethods are the simulated runs of the many-runs charts, named as
// in the study's results.
var fixtureMethods = []method{
	{note: "baseline", sampling: "none", lossFam: "baseline", skill: 3.0, rareGain: 0.2, lr: 1e-5, beta: 0.999, seed: 1},
	{note: "oversampling", sampling: "oversampling", lossFam: "baseline", skill: 3.1, rareGain: 1.4, lr: 1e-5, beta: 0.999, seed: 2},
	{note: "weighted", sampling: "weighted", lossFam: "baseline", skill: 3.1, rareGain: 1.2, lr: 1e-5, beta: 0.999, seed: 3},
	{note: "undersampling", sampling: "undersampling", lossFam: "baseline", skill: 2.2, rareGain: 1.5, lr: 1e-5, beta: 0.999, seed: 4},
	{note: "focal_opt", sampling: "none", lossFam: "CB", skill: 3.0, rareGain: 0.7, lr: 1e-5, beta: 0.999, seed: 5},
	{note: "maxnorm_opt", sampling: "none", lossFam: "baseline", skill: 3.2, rareGain: 1.0, lr: 1e-5, beta: 0.999, seed: 6},
}

// fixtures returns every fixture log by file name (under testdata/).
func fixtures() map[string]*runlog.Log {
	out := map[string]*runlog.Log{
		"run_weighted.json": simulate(method{note: "weighted_es", sampling: "weighted", lossFam: "baseline", skill: 2.0, rareGain: 1.2, lr: 1e-5, beta: 0.999, seed: 11}, 20, 12, true),
		"study_layout.json": simulate(method{note: "baseline-resnet", sampling: "none", lossFam: "baseline", skill: 3.0, rareGain: 0.2, lr: 1e-5, beta: 0.999, seed: 12}, 10, 10, false),
	}
	for _, m := range fixtureMethods {
		out["methods/"+m.note+".json"] = simulate(m, 10, 10, true)
	}
	// A 2x2 grid search, 3 folds each.
	for _, lr := range []float64{1e-4, 1e-5} {
		for _, beta := range []float64{0.99, 0.999} {
			for fold := range 3 {
				skill := 2.6 + 0.5*math.Log10(lr/1e-5)*-1 + 20*(beta-0.99)
				m := method{note: fmt.Sprintf("cv_lr%g_beta%g_fold%d", lr, beta, fold), sampling: "none", lossFam: "CB",
					skill: skill, rareGain: 0.8, lr: lr, beta: beta, seed: uint64(100 + fold + int(beta*1000) + int(lr*1e6))}
				out[fmt.Sprintf("cv/%s.json", m.note)] = simulate(m, 6, 6, true)
			}
		}
	}
	return out
}

// encodeFixture writes l as JSON; the study-layout fixture is written the
// way the study's Python package wrote it: no "run" object, null for an
// unset strategy, floats for integers and a scalar normalize_mean.
func encodeFixture(name string, l *runlog.Log) ([]byte, error) {
	if name != "study_layout.json" {
		return json.Marshal(l)
	}
	study := map[string]any{
		"note": l.Note, "date": l.Date, "results": l.Results, "y": l.Y,
		"var_dict": map[string]any{
			"batch_size": 32, "sampling_strategy": nil, "image_size": 224.0,
			"normalize_mean": 0.5, "normalize_std": 0.5, "vflip": false, "hflip": false,
			"rotate": true, "degrees": 30.0, "model_name": "resnet18", "n_class": 4,
			"loss_family": "baseline", "loss_type": nil, "beta": 0.999, "gamma": 0.5,
			"optimizer": "Adam", "reg_strategy": nil, "learning_rate": 1e-05, "epochs": 10, "patience": 5,
		},
	}
	return json.Marshal(study)
}

// readFixture loads a committed fixture with runlog.Read.
func readFixture(t testing.TB, name string) *runlog.Log {
	t.Helper()
	l, err := runlog.Read(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestFixturesUpToDate checks the committed fixture logs are what the
// generator makes (-regen rewrites them).
func TestFixturesUpToDate(t *testing.T) {
	for name, l := range fixtures() {
		want, err := encodeFixture(name, l)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name)
		if *regen {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -regen)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output (run go test -regen)", path)
		}
	}
}

// methodLogs loads the many-runs fixtures in fixtureMethods order.
func methodLogs(t testing.TB) []*runlog.Log {
	var logs []*runlog.Log
	for _, m := range fixtureMethods {
		logs = append(logs, readFixture(t, "methods/"+m.note+".json"))
	}
	return logs
}

// cvLogs loads the grid-search fixtures (2 x 2 combinations, 3 folds).
func cvLogs(t testing.TB) []*runlog.Log {
	logs, err := runlog.ReadDir(filepath.Join("testdata", "cv"))
	if err != nil || len(logs) != 12 {
		t.Fatalf("cv fixtures: %d logs, %v", len(logs), err)
	}
	return logs
}
