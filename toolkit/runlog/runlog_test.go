package runlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/metrics"
)

var regen = flag.Bool("regen", false, "rewrite the golden files in testdata/golden")

var start = time.Date(2023, 6, 9, 13, 45, 32, 0, time.UTC)

// smallLog is a deterministic three-class, three-epoch run.
func smallLog(t testing.TB) *Log {
	t.Helper()
	cfg := config.Defaults()
	cfg.Epochs = 3
	cfg.NClass = 3
	cfg.SamplingStrategy = config.SamplingWeighted
	l, err := New("golden run", cfg, []string{"Lotus", "Orchid", "Tulip"}, []int{6, 3, 1}, []int{3, 2, 1}, start)
	if err != nil {
		t.Fatal(err)
	}
	validTrue := []int{0, 0, 0, 1, 1, 2}
	preds := [][]int{{0, 0, 1, 1, 0, 0}, {0, 0, 0, 1, 1, 0}, {0, 0, 0, 1, 1, 2}}
	trainTrue := []int{0, 0, 1, 1, 2, 2, 0, 1}
	trainPreds := [][]int{{0, 1, 1, 0, 0, 2, 0, 0}, {0, 0, 1, 1, 0, 2, 0, 1}, {0, 0, 1, 1, 2, 2, 0, 1}}
	for e := range 3 {
		scores := make([][]float64, len(validTrue))
		for i, p := range preds[e] {
			scores[i] = []float64{0.125, 0.125, 0.125}
			scores[i][p] = 0.75
			scores[i][validTrue[i]] += 0.0625 * float64(e)
		}
		rec := EpochRecord{
			TrainLoss: 1.5 / float64(e+1), ValidLoss: 1.25 / float64(e+1),
			TrainTrue: trainTrue, TrainPred: trainPreds[e],
			ValidTrue: validTrue, ValidPred: preds[e], ValidScores: scores,
			SampledCounts: []int{3, 3, 2}, LR: 1e-5, Seconds: 2.5,
		}
		if e == 1 {
			rec.LR = 0 // not given: null in the log
		}
		if err := l.AddEpoch(rec); err != nil {
			t.Fatal(err)
		}
	}
	l.Run.Backend = "go"
	l.Finish(StopEpochs, nil)
	return l
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	l := smallLog(t)
	if err := Write(path, l); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, data, "", " "); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/golden/run.json"
	if *regen {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -regen to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("log differs from %s (run with -regen after checking the change):\n%s", golden, pretty.String())
	}

	// The study's keys, in the study's order, come first.
	var keys []string
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if want := []string{"note", "date", "results", "y", "var_dict", "run"}; !slices.Equal(keys, want) {
		t.Errorf("top-level keys %v, want %v", keys, want)
	}

	// Round trip: reading the file and writing it again gives the same bytes.
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("round trip changed the log:\n%s\n%s", data, again)
	}
	if len(back.UnknownVarDictKeys) != 0 {
		t.Errorf("unknown var_dict keys %v", back.UnknownVarDictKeys)
	}
}

func TestAddEpochFillsEverything(t *testing.T) {
	l := smallLog(t)
	r := l.Results
	if l.Epochs() != 3 || l.Run.EpochsDone != 3 || l.Run.WallSeconds != 7.5 {
		t.Errorf("epochs %d, done %d, wall %v", l.Epochs(), l.Run.EpochsDone, l.Run.WallSeconds)
	}
	// Epoch 2 is perfect on validation.
	if r.ValidAccuracy[2] != 1 || r.ValidRecall["Tulip"][2] != 1 || r.ValidRecall["Tulip"][0] != 0 {
		t.Errorf("valid accuracy %v, Tulip recall %v", r.ValidAccuracy, r.ValidRecall["Tulip"])
	}
	// Epoch 0: valid preds 0,0,1,1,0,0 against 0,0,0,1,1,2: 3 of 6 right.
	if r.ValidAccuracy[0] != 0.5 {
		t.Errorf("valid accuracy[0] = %v, want 0.5", r.ValidAccuracy[0])
	}
	if !math.IsNaN(r.LearningRate[1]) || r.LearningRate[0] != 1e-5 {
		t.Errorf("learning rate %v, want [1e-05 NaN 1e-05]", r.LearningRate)
	}
	if got := l.Y.Valid.Pred["1"]; !slices.Equal(got, []int{0, 0, 0, 1, 1, 0}) {
		t.Errorf("y.valid.pred.1 = %v", got)
	}
	if l.Run.BestEpoch != 2 || len(l.Run.ValidScores) != 6 {
		t.Errorf("best epoch %d, %d scores kept", l.Run.BestEpoch, len(l.Run.ValidScores))
	}
	if len(r.ValidConfusionMatrix) != 3 || r.ValidConfusionMatrix[0][2][0] != 1 {
		t.Errorf("confusion %v", r.ValidConfusionMatrix)
	}
	if r.ValidROCAUC["Tulip"][2] != 1 {
		t.Errorf("Tulip AUC %v", r.ValidROCAUC["Tulip"])
	}
	if err := l.Validate(); err != nil {
		t.Error(err)
	}
}

func TestDerivedAveragesMatchStored(t *testing.T) {
	l := smallLog(t)
	for _, name := range []string{
		"valid_precision_macro", "valid_recall_macro", "valid_precision_weighted",
		"valid_recall_weighted", "valid_precision_inverse_weighted", "valid_recall_inverse_weighted",
		"valid_balanced_accuracy",
	} {
		stored, err := l.Series(name)
		if err != nil {
			t.Fatal(err)
		}
		study := *l
		study.Results = Results{
			TrainLoss: l.Results.TrainLoss, ValidPrecision: l.Results.ValidPrecision,
			ValidRecall: l.Results.ValidRecall,
		}
		study.Run = nil // supports come from y
		got, err := study.Series(name)
		if err != nil {
			t.Fatal(err)
		}
		for e := range stored {
			if math.Abs(got[e]-stored[e]) > 1e-12 {
				t.Errorf("%s: derived %v, stored %v", name, got, stored)
				break
			}
		}
	}
}

func TestBestEpochAndSeriesNames(t *testing.T) {
	l := smallLog(t)
	tests := []struct {
		metric string
		want   int
	}{
		{"valid_loss", 2}, {"valid_accuracy", 2}, {"train_loss", 2},
		{"valid_recall:minority", 2}, {"valid_recall:Tulip", 2}, {"valid_recall:majority", 1},
	}
	for _, tt := range tests {
		got, err := l.BestEpoch(tt.metric)
		if err != nil || got != tt.want {
			t.Errorf("BestEpoch(%q) = %d, %v; want %d", tt.metric, got, err, tt.want)
		}
	}
	for _, bad := range []string{"valid_lose", "valid_recall:Rose", "val_recall:Tulip"} {
		if _, err := l.Series(bad); err == nil {
			t.Errorf("Series(%q): no error", bad)
		}
	}
}

func TestStudyLog(t *testing.T) {
	l, err := Read("testdata/study_log.json")
	if err != nil {
		t.Fatal(err)
	}
	v := l.VarDict
	if v.ImageSize != 224 || v.SamplingStrategy != "" || v.RegStrategy != "" || !v.Rotate || v.VFlip ||
		!slices.Equal(v.NormalizeMean, []float64{0.5}) || v.LearningRate != 1e-5 || v.Patience != 5 || v.NClass != 4 {
		t.Errorf("var_dict decoded as %+v", v)
	}
	if !slices.Equal(l.UnknownVarDictKeys, []string{"scheduler_step", "weights"}) {
		t.Errorf("unknown var_dict keys %v", l.UnknownVarDictKeys)
	}
	if l.Run != nil || l.Epochs() != 3 || !math.IsNaN(l.Results.TrainLoss[2]) {
		t.Errorf("run %v, epochs %d, train loss %v (Python's NaN should read as NaN)", l.Run, l.Epochs(), l.Results.TrainLoss)
	}
	if got := l.Classes(); !slices.Equal(got, []string{"Lotus", "Orchid", "Sunflower", "Tulip"}) {
		t.Errorf("classes %v", got)
	}
	// The minority class is Tulip by validation support (y.valid.true.0).
	rec, err := l.Series("valid_recall:minority")
	if err != nil || rec[1] != 0.5 {
		t.Errorf("minority recall %v, %v", rec, err)
	}
	// Supports 4, 3, 3, 2 from y; precisions at epoch 1: 0.75, 1, 0.5, 1.
	iw, err := l.Series("valid_precision_inverse_weighted")
	want := (0.75/4 + 1.0/3 + 0.5/3 + 1.0/2) / (1.0/4 + 1.0/3 + 1.0/3 + 1.0/2)
	if err != nil || math.Abs(iw[1]-want) > 1e-12 {
		t.Errorf("inverse-weighted precision %v, %v; want %v at epoch 1", iw, err, want)
	}
	if best, err := l.BestEpoch("valid_loss"); err != nil || best != 1 {
		t.Errorf("best valid_loss epoch %d, %v; want 1", best, err)
	}
}

func TestMalformedLogs(t *testing.T) {
	study, err := os.ReadFile("testdata/study_log.json")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(string(study), old) {
			t.Fatalf("study_log.json lacks %q", old)
		}
		return strings.Replace(string(study), old, new, 1)
	}
	tests := []struct {
		name, json, wantErr string
	}{
		{"truncated", string(study[:len(study)/2]), "truncated"},
		{"not JSON", "{\"note\": 'x'}", "invalid JSON at line 1"},
		{"array", "[1, 2]", "want a JSON object, got JSON array"},
		{"missing results", `{"date": "20230609-134532", "var_dict": {}}`, `missing key "results"`},
		{"missing train_loss", edit(`"train_loss"`, `"train_lost"`), `"results.train_loss": missing`},
		{"bad date", edit(`"20230609-134532"`, `"2023-06-09"`), `key "date"`},
		{"string loss", edit(`"valid_loss": [`, `"valid_loss": ["x", `), `"results.valid_loss"`},
		{"short list", edit(`"valid_accuracy": [0.5, `, `"valid_accuracy": [`), `"results.valid_accuracy": 2 epochs`},
		{"short class list", edit(`"Tulip": [0.0, 0.5, 1.0]`, `"Tulip": [0.0, 0.5]`), `results.valid_recall.Tulip": 2 epochs`},
		{"class mismatch", edit(`"Sunflower": [0.0, 0.5, 1.0]`, `"Rose": [0.0, 0.5, 1.0]`), `"results.train_recall": classes`},
		{"y length", edit(`"0": [0, 0, 0, 0, 0, 1,`, `"0": [0, 0, 0, 0, 1,`), `"y.valid.pred.0": 11 predictions for 12 labels`},
		{"y key", edit(`"true": {"0":`, `"true": {"first":`), `"y.train.true.first": not an epoch`},
		{"var_dict type", edit(`"batch_size": 32`, `"batch_size": "32"`), `var_dict: config: field "batch_size"`},
		{"var_dict fraction", edit(`"epochs": 40`, `"epochs": 40.5`), `field "epochs": want an integer`},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want the path and %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadDirSkipsTempAndReportsBadFiles(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "a.json"), smallLog(t)); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "fold1"), 0o755)
	if err := Write(filepath.Join(dir, "fold1", "b.json"), smallLog(t)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".runlog-tmp-123"), []byte("{"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	bad := filepath.Join(dir, "c.json")
	os.WriteFile(bad, []byte(`{"note": "half`), 0o644)
	// Not run logs: a run's checkpoint folder, a search's manifest.
	os.MkdirAll(filepath.Join(dir, "a.ckpt"), 0o755)
	os.WriteFile(filepath.Join(dir, "a.ckpt", "checkpoint-n0000001.json"), []byte(`{"variables": []}`), 0o644)
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"base": {}, "grid": {}, "k": 3}`), 0o644)
	// A run log that lacks a required key is still an error.
	noDate := filepath.Join(dir, "d.json")
	os.WriteFile(noDate, []byte(`{"note": "x", "results": {}, "y": {}, "var_dict": {}}`), 0o644)
	logs, err := ReadDir(dir)
	if len(logs) != 2 || err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), noDate) ||
		strings.Contains(err.Error(), "ckpt") || strings.Contains(err.Error(), "manifest") {
		t.Errorf("%d logs, error %v; want 2 logs and errors naming %s and %s only", len(logs), err, bad, noDate)
	}
}

func TestNonFiniteToNull(t *testing.T) {
	in := `{"a": [NaN, 1, -Infinity, Infinity], "NaN": "x NaN \" Infinity"}`
	want := `{"a": [null, 1, null, null], "NaN": "x NaN \" Infinity"}`
	if got := string(nonFiniteToNull([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAddEpochErrors(t *testing.T) {
	l := smallLog(t)
	tests := []struct {
		name string
		rec  EpochRecord
	}{
		{"no labels", EpochRecord{}},
		{"label out of range", EpochRecord{TrainTrue: []int{3}, TrainPred: []int{0}, ValidTrue: []int{0}, ValidPred: []int{0}}},
		{"scores width", EpochRecord{TrainTrue: []int{0}, TrainPred: []int{0}, ValidTrue: []int{0}, ValidPred: []int{0},
			ValidScores: [][]float64{{1, 0}}}},
		{"predictions missing", EpochRecord{Train: threeClassReport(t), Valid: threeClassReport(t), TrainTrue: []int{0, 1}}},
		{"sampled counts", EpochRecord{TrainTrue: []int{0}, TrainPred: []int{0}, ValidTrue: []int{0}, ValidPred: []int{0},
			SampledCounts: []int{1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := l.AddEpoch(tt.rec); err == nil {
				t.Error("no error")
			}
			if l.Epochs() != 3 {
				t.Errorf("a failed AddEpoch changed the log: %d epochs", l.Epochs())
			}
		})
	}
	if _, err := New("x", config.Defaults(), []string{"a", "a"}, nil, nil, start); err == nil {
		t.Error("New accepted a repeated class")
	}
	var empty Log
	if err := empty.AddEpoch(EpochRecord{}); err == nil {
		t.Error("AddEpoch on a log without Run: no error")
	}
	if err := Write(filepath.Join(t.TempDir(), "no", "such", "dir.json"), l); err == nil || errors.Is(err, nil) {
		t.Error("Write into a missing directory: no error")
	}
}

// threeClassReport is a valid three-class report, to test AddEpoch with reports given.
func threeClassReport(t *testing.T) metrics.Report {
	r, err := metrics.Compute([]int{0, 1, 2}, []int{0, 1, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run.best_from leaves the epochs before a deferred method's switch out of
// every metric's best epoch, unless none after it has a value.
func TestBestFrom(t *testing.T) {
	for _, tt := range []struct {
		from      int
		validLoss Series
		want      int
	}{
		{0, Series{0.5, 0.9, 0.7}, 0},
		{1, Series{0.5, 0.9, 0.7}, 2},
		{2, Series{0.5, 0.6, 0.7}, 2},
		{1, Series{0.5, math.NaN(), 0.7}, 2},
		{3, Series{0.5, 0.9, 0.7}, 0}, // stopped before the switch: the epochs it has
	} {
		l := smallLog(t)
		l.Results.ValidLoss = tt.validLoss
		l.Run.BestFrom = tt.from
		if got, err := l.Best(); err != nil || got != tt.want {
			t.Errorf("best_from %d, valid loss %v: best epoch %d, %v; want %d", tt.from, tt.validLoss, got, err, tt.want)
		}
	}
	cfg := config.Defaults()
	cfg.SamplingStrategy, cfg.DRSEpoch, cfg.LossFamily, cfg.DRWEpoch = config.SamplingWeighted, 30, "CB", 40
	l, err := New("deferred", cfg, []string{"a", "b"}, []int{3, 1}, []int{1, 1}, start)
	if err != nil {
		t.Fatal(err)
	}
	if l.Run.BestFrom != 40 {
		t.Errorf("drs_epoch 30, drw_epoch 40: best_from %d, want 40", l.Run.BestFrom)
	}
}
