package bench

import (
	"bytes"
	gocontext "context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/models"
)

func TestMain(m *testing.M) {
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	os.Exit(m.Run())
}

// TestParseTorch reads real output of the anchor script (testdata: a CPU
// run, `python3 torch_resnet18_bench.py --batches 2,4 --size 32 --steps 2
// --warmup 1 --device cpu`).
func TestParseTorch(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "torch_cpu_output.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, header, err := ParseTorch(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 6 || len(header) != 3 {
		t.Fatalf("%d results, %d header lines; want 6 and 3", len(res), len(header))
	}
	want := TorchResult{Mode: "fp32_cl", Batch: 4, FirstStep: 1.75, MsEnd: 427.25, IPSEnd: 9.4, MsEach: 287.64, IPSEach: 13.9}
	if res[3] != want {
		t.Errorf("result 3 = %+v, want %+v", res[3], want)
	}
	if !strings.HasPrefix(header[0], "python 3.11") {
		t.Errorf("header %q", header)
	}
	if _, _, err := ParseTorch(strings.NewReader("RESULT torch fp32 b64 garbled\n")); err == nil {
		t.Error("a garbled RESULT line parsed")
	}
}

func TestCompare(t *testing.T) {
	ours := []Result{{Precision: "float32", Batch: 64, IPSEnd: 100}, {Precision: "bfloat16", Batch: 64, IPSEnd: 150},
		{Precision: "bfloat16", Variant: "bnop", Batch: 64, IPSEnd: 149},
		{Precision: "float32", Variant: "default", Batch: 128, IPSEnd: 80}, {Precision: "float32", Variant: "poolmask", Batch: 128, IPSEnd: 90},
		{Precision: "float32", Batch: 32, IPSEnd: 10}}
	torch := []TorchResult{{Mode: "fp32", Batch: 64, IPSEnd: 60}, {Mode: "bf16_cl", Batch: 64, IPSEnd: 120},
		{Mode: "fp32", Batch: 128, IPSEnd: 100}}
	got := Compare(ours, torch)
	want := []Ratio{
		{Batch: 64, Ours: 150, OursWhat: "bfloat16", OursVar: "default", Torch: 120, TorchWhat: "bf16_cl", Ratio: 1.25},
		{Batch: 128, Ours: 90, OursWhat: "float32", OursVar: "poolmask", Torch: 100, TorchWhat: "fp32", Ratio: 0.9},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ratio %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		o   Options
		key string
	}{
		{Options{Batches: []int{0}}, "batches"},
		{Options{Precisions: []string{"fp8"}}, "precision"},
		{Options{Size: 4}, "size"},
		{Options{Warmup: -1}, "warmup"},
		{Options{Steps: -2}, "steps"},
		{Options{Model: "vgg"}, "model"},
		{Options{Classes: 1}, "classes"},
		{Options{Variants: []string{"bnop+fastpool"}}, "variants"},
	} {
		var fe *config.FieldError
		if err := tc.o.Validate(); !errors.As(err, &fe) || fe.Key != tc.key {
			t.Errorf("%+v: %v, want a FieldError for %q", tc.o, err, tc.key)
		}
	}
	if err := Defaults().Validate(); err != nil {
		t.Error(err)
	}
	if err := (Options{Variants: []string{"default", "bnop", "poolmask", "bnop+poolmask"}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestApplyVariant(t *testing.T) {
	for _, tc := range []struct {
		v     string
		bn    string
		masks bool
		k     int
	}{
		{"default", models.BatchNormAuto, false, 1},
		{"bnop", models.BatchNormOp, false, 1},
		{"bnops", models.BatchNormOps, false, 1},
		{"poolmask", models.BatchNormAuto, true, 1},
		{"bnop+poolmask", models.BatchNormOp, true, 1},
		{"poolmask+default", models.BatchNormAuto, true, 1},
		{"steps4", models.BatchNormAuto, false, 4},
		{"bnops+steps16", models.BatchNormOps, false, 16},
	} {
		var o models.Options
		if k, err := ApplyVariant(tc.v, &o); err != nil || o.BatchNorm != tc.bn || o.MaxPoolMasks != tc.masks || k != tc.k {
			t.Errorf("%s: %+v, %d steps per call, %v", tc.v, o, k, err)
		}
	}
	for v, bad := range map[string]string{
		"bnop+fast+x": `"fast", "x"`, "steps1": `"steps1"`, "steps17": `"steps17"`,
		"steps2+steps4": `"steps4"`, "stepsx": `"stepsx"`,
	} {
		_, err := ApplyVariant(v, &models.Options{})
		if err == nil || !strings.Contains(err.Error(), "unknown knob "+bad) || !strings.Contains(err.Error(), "known: bnop, bnops, default, poolmask, stepsN") {
			t.Errorf("%s: %v", v, err)
		}
	}
}

// TestMultiStep checks that the stepsN program is N single steps: from the
// same weights, batch and random state, the losses of three steps in one
// call equal those of three calls of GoMLX's Trainer (dropout in the head
// draws from the random state each step), and so do the weights after
// them.
func TestMultiStep(t *testing.T) {
	b, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		model, precision string
		size             int
	}{
		{"small_cnn", "float32", 16},
		{"small_cnn", "bfloat16", 16},
		{"resnet18", "float32", 32},
	} {
		t.Run(tc.model+"_"+tc.precision, func(t *testing.T) {
			o := Options{Model: tc.model, Size: tc.size, Classes: 3}.withDefaults()
			single, err := newStepper(b, o, tc.precision, "default", 4)
			if err != nil {
				t.Fatal(err)
			}
			var want []float64
			for range 3 {
				loss, err := single.step(true)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, loss)
			}
			multi, err := newStepper(b, o, tc.precision, "steps3", 4)
			if err != nil {
				t.Fatal(err)
			}
			out, err := multi.multi.Exec(multi.x, multi.x, multi.x, multi.y, multi.y, multi.y)
			if err != nil {
				t.Fatal(err)
			}
			got := tensors.MustCopyFlatData[float32](out[0])
			if len(got) != 3 {
				t.Fatalf("losses %v, want 3", got)
			}
			for i := range want {
				if d := math.Abs(float64(got[i])-want[i]) / want[i]; d > 1e-5 {
					t.Errorf("step %d: loss %v in one call, %v step by step", i, got[i], want[i])
				}
			}
			if want[0] == want[2] {
				t.Errorf("losses %v do not change: the steps did not train", want)
			}
			sv, mv := variables(t, single.trainer.Context()), variables(t, multi.multi.Context())
			if len(mv) == 0 {
				t.Fatal("no variables after one call")
			}
			for name, m := range mv {
				s, ok := sv[name]
				if !ok {
					t.Errorf("variable %s only after one call", name)
					continue
				}
				if d := maxRelDiff(s, m); d > 1e-4 {
					t.Errorf("variable %s differs by %g (relative)", name, d)
				}
			}
			for name := range sv {
				if _, ok := mv[name]; !ok && !strings.HasPrefix(name, "/metrics") {
					t.Errorf("variable %s missing after one call", name)
				}
			}
		})
	}
}

// variables are the float32 values of ctx's variables, by scope and name.
func variables(t *testing.T, ctx *context.Context) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if !v.HasValue() || v.Shape().DType != dtypes.Float32 {
			continue
		}
		out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](v.MustValue())
	}
	return out
}

func maxRelDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var worst, scale float64
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i])-float64(b[i])))
		scale = max(scale, math.Abs(float64(a[i])))
	}
	if scale == 0 {
		return worst
	}
	return worst / scale
}

// TestRunTiny times a tiny configuration in both precisions on gofast;
// TestRunVariants the graph variants of ResNet-18 (batch 4, 64 px).
func TestRunTiny(t *testing.T) {
	b, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	o := Options{Model: "small_cnn", Batches: []int{4}, Size: 16, Precisions: []string{"float32", "bfloat16"}, Warmup: 1, Steps: 2}
	res, err := Run(gocontext.Background(), b, o, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[1].Precision != "bfloat16" {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		if r.IPSEnd <= 0 || r.IPSEach <= 0 || r.FirstStep <= 0 || r.Loss <= 0 {
			t.Errorf("result %+v", r)
		}
	}
	if strings.Count(progress.String(), "RESULT go") != 2 || res[0].Variant != "default" {
		t.Errorf("progress:\n%s", progress.String())
	}
	// Two steps per call: 3 timed steps are two calls, timed per step.
	o.Precisions, o.Variants, o.Steps = []string{"float32"}, []string{"default", "steps2"}, 3
	if res, err = Run(gocontext.Background(), b, o, &progress); err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].StepsPerCall != 1 || res[1].StepsPerCall != 2 || res[1].Variant != "steps2" || res[1].IPSEnd <= 0 || res[1].Loss <= 0 {
		t.Errorf("steps2 results %+v", res)
	}
	ctx, cancel := gocontext.WithCancel(gocontext.Background())
	cancel()
	if _, err := Run(ctx, b, o, nil); !errors.Is(err, gocontext.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
}

func TestRunVariants(t *testing.T) {
	b, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	variants := []string{"default", "bnop", "poolmask", "bnop+poolmask"}
	o := Options{Model: "resnet18", Batches: []int{4}, Size: 64, Precisions: []string{"float32"}, Variants: variants, Warmup: 0, Steps: 1}
	res, err := Run(gocontext.Background(), b, o, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(variants) {
		t.Fatalf("results %+v", res)
	}
	for i, r := range res {
		if r.Variant != variants[i] || r.IPSEnd <= 0 || r.Loss <= 0 {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	// Same weights, batch and steps: the formulations agree (batch 4 at
	// 64 px; at batch 2 the last stage's batch norm sees two values and
	// Adam amplifies rounding noise).
	for _, r := range res[1:] {
		if d := math.Abs(r.Loss-res[0].Loss) / res[0].Loss; d > 1e-3 {
			t.Errorf("%s loss %v, default's %v", r.Variant, r.Loss, res[0].Loss)
		}
	}
	if !strings.Contains(progress.String(), "RESULT go float32  bnop+poolmask b4") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

// TestRunTorch runs a stand-in for the script (sh printing recorded
// output) and a failing one.
func TestRunTorch(t *testing.T) {
	dir := t.TempDir()
	recorded, _ := filepath.Abs(filepath.Join("testdata", "torch_cpu_output.txt"))
	ok := filepath.Join(dir, "ok.sh")
	os.WriteFile(ok, []byte("echo \"$@\" >"+filepath.Join(dir, "args")+"\ncat "+recorded+"\n"), 0o755)
	res, _, err := RunTorch(gocontext.Background(), Options{Batches: []int{2, 4}, Size: 32}, TorchOptions{Python: "sh", Script: ok, Device: "cpu"})
	if err != nil || len(res) != 6 {
		t.Fatalf("%d results, %v", len(res), err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if want := "--batches 2,4 --size 32 --classes 4 --warmup 0 --steps 20 --device cpu"; strings.TrimSpace(string(args)) != want {
		t.Errorf("script got %q, want %q", args, want)
	}
	bad := filepath.Join(dir, "bad.sh")
	os.WriteFile(bad, []byte("echo CUDA not available to torch\nexit 1\n"), 0o755)
	if _, _, err := RunTorch(gocontext.Background(), Options{}, TorchOptions{Python: "sh", Script: bad}); err == nil || !strings.Contains(err.Error(), "CUDA not available") {
		t.Errorf("failing script: %v", err)
	}
}

func TestWriteReport(t *testing.T) {
	var out bytes.Buffer
	ours := []Result{{Model: "resnet18", Precision: "bfloat16", Variant: "bnop", Batch: 64, IPSEnd: 150, IPSEach: 140},
		{Model: "resnet18", Precision: "bfloat16", Batch: 64, IPSEnd: 140, IPSEach: 130}}
	torch := []TorchResult{{Mode: "bf16_cl", Batch: 64, IPSEnd: 120}}
	if err := WriteReport(&out, "backend gofast", ours, torch, []string{"python 3"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ours: backend gofast", "torch: python 3", "RATIO batch 64: debiaser bfloat16 (bnop) 150.0 img/s / pytorch bf16_cl 120.0 img/s = 1.250x",
		"resnet18 bfloat16 bnop", "resnet18 bfloat16 default"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
