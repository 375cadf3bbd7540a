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
	}{
		{"default", models.BatchNormAuto, false},
		{"bnop", models.BatchNormOp, false},
		{"bnops", models.BatchNormOps, false},
		{"poolmask", models.BatchNormAuto, true},
		{"bnop+poolmask", models.BatchNormOp, true},
		{"poolmask+default", models.BatchNormAuto, true},
	} {
		var o models.Options
		if err := ApplyVariant(tc.v, &o); err != nil || o.BatchNorm != tc.bn || o.MaxPoolMasks != tc.masks {
			t.Errorf("%s: %+v, %v", tc.v, o, err)
		}
	}
	err := ApplyVariant("bnop+fast+x", &models.Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown knob "fast", "x"`) || !strings.Contains(err.Error(), "known: bnop, bnops, default, poolmask") {
		t.Errorf("unknown knobs: %v", err)
	}
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
