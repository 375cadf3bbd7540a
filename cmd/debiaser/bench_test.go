package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBench runs the bench command with a stand-in for the PyTorch script
// (sh printing its recorded CPU output) and checks the report and JSON.
func TestBench(t *testing.T) {
	dir := t.TempDir()
	recorded, _ := filepath.Abs("../../toolkit/bench/testdata/torch_cpu_output.txt")
	script := filepath.Join(dir, "torch.sh")
	if err := os.WriteFile(script, []byte("cat "+recorded+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "bench.json")
	out, _, err := runCLI(t, "bench", "--model", "resnet18", "--size", "16", "--batches", "2", "--precision", "float32",
		"--variants", "default,bnop+poolmask", "--warmup", "0", "--steps", "1", "--torch", script, "--python", "sh", "--torch-device", "cpu", "--json", jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "RATIO batch 2: debiaser float32") || !strings.Contains(out, "pytorch fp32 8.6 img/s") ||
		!strings.Contains(out, "resnet18 float32 bnop+poolmask") {
		t.Errorf("report:\n%s", out)
	}
	var got struct {
		Ours   []map[string]any `json:"ours"`
		Ratios []map[string]any `json:"ratios"`
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil || len(got.Ours) != 2 || len(got.Ratios) != 1 || got.Ours[1]["variant"] != "bnop+poolmask" {
		t.Errorf("json %s: %v", data, err)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--batches", "x"}, `"x" is not a number`},
		{[]string{"--precision", "fp8"}, `"precision"`},
		{[]string{"--model", "small_cnn", "--torch", "t.py"}, "--torch times ResNet-18"},
		{[]string{"--backend", "nope"}, `"backend"`},
		{[]string{"--variants", "default,bnop+pool"}, `unknown knob "pool"`},
	} {
		_, _, err := runCLI(t, append([]string{"bench", "--size", "16", "--batches", "2", "--steps", "1"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

func TestStudyCommand(t *testing.T) {
	dir := t.TempDir()
	out, progress, err := runCLI(t, "study", "--dataset", "shapes-study", "--model", "small_cnn", "--pretrained", "false",
		"--epochs", "1", "--image-size", "16", "--methods", "baseline,MSFE", "--augment-on", "device", "--drop-last", "--parallel", "2", "--steps-per-call", "4",
		"--eval-batch-size", "64", "--logdir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress, "2 methods at a time") {
		t.Errorf("progress lacks the parallel line:\n%s", progress)
	}
	for _, want := range []string{"baseline", "MSFE", "study: 2 methods in"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "MSFE.json"))
	if err != nil || !strings.Contains(string(data), `"augment_on":"device"`) || !strings.Contains(string(data), `"drop_last":true`) ||
		!strings.Contains(string(data), `"steps_per_call":4`) || !strings.Contains(string(data), `"eval_batch_size":64`) {
		t.Errorf("MSFE log: %v, augment_on device, drop_last true, steps_per_call 4 or eval_batch_size 64 not in its var_dict", err)
	}
	for _, want := range []string{"graph compiles"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := runCLI(t, "study", "--methods", "SMOTE", "--logdir", dir); err == nil || !strings.Contains(err.Error(), `"SMOTE"`) {
		t.Errorf("unknown method: %v", err)
	}
	if _, _, err := runCLI(t, "study", "--parallel", "0", "--logdir", dir); err == nil || !strings.Contains(err.Error(), "--parallel 0") {
		t.Errorf("--parallel 0: %v", err)
	}
	if _, _, err := runCLI(t, "study", "--steps-per-call", "-1", "--logdir", dir); err == nil || !strings.Contains(err.Error(), "--steps-per-call -1") {
		t.Errorf("--steps-per-call -1: %v", err)
	}
	if _, _, err := runCLI(t, "study", "--steps-per-call", "17", "--logdir", dir); err == nil || !strings.Contains(err.Error(), `"steps_per_call"`) {
		t.Errorf("--steps-per-call 17: %v", err)
	}
	if _, _, err := runCLI(t, "study", "--eval-batch-size", "48", "--logdir", dir); err == nil || !strings.Contains(err.Error(), `"eval_batch_size"`) {
		t.Errorf("--eval-batch-size 48 (batch 32): %v", err)
	}
}
