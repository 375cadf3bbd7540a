// Command gobench trains the benchmark networks (internal/benchnet) on the gofast backend and, in the
// same invocation, their PyTorch CPU twins (pytorch_bench.py), and prints images/second side by side.
// The method is described in docs/backend.md.
//
//	go run ./toolkit/gobackend/cmd/gobench -cpuprofile /tmp/cpu.pprof
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/gobackend/internal/benchnet"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// benchCase is one row of the benchmark.
type benchCase struct {
	Model string `json:"model"`
	Size  int    `json:"size"`
	Batch int    `json:"batch"`
}

// result is one measurement.
type result struct {
	ImgPerS    float64 `json:"img_per_s"`
	StepS      float64 `json:"step_s"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gobench:", err)
		os.Exit(1)
	}
}

func run() error {
	models := flag.String("models", "small:32,resnet18:64", "comma-separated model:size list")
	batch := flag.Int("batch", 32, "batch size")
	steps := flag.Int("steps", 10, "timed training steps per model")
	warmup := flag.Int("warmup", 2, "untimed steps first (the first one compiles)")
	pytorch := flag.String("pytorch", "/usr/bin/python3", "python with torch for the side-by-side run; empty to skip")
	script := flag.String("script", "toolkit/gobackend/cmd/gobench/pytorch_bench.py", "path of pytorch_bench.py")
	cpuProfile := flag.String("cpuprofile", "", "write CPU profiles of the timed Go steps to <this>.<model>")
	config := flag.String("config", "", "gofast backend config (e.g. emulate, parallelism=2)")
	ptThreads := flag.String("pytorch-threads", "1,2", "comma-separated torch.set_num_threads values to run; the table reports the best")
	flag.Parse()

	var cases []benchCase
	for _, m := range strings.Split(*models, ",") {
		name, sizeStr, ok := strings.Cut(m, ":")
		size, err := strconv.Atoi(sizeStr)
		if _, known := benchnet.Known[name]; !ok || err != nil || !known {
			return fmt.Errorf("-models: bad entry %q (want name:size, names: small, resnet18)", m)
		}
		cases = append(cases, benchCase{Model: name, Size: size, Batch: *batch})
	}

	bk, err := gobackend.NewBackend(*config)
	if err != nil {
		return err
	}
	backend := bk.(*gobackend.Backend)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("gobench: %s | GOMAXPROCS=%d | go %s | loadavg %s", backend.Description(), runtime.GOMAXPROCS(0), runtime.Version(), load)

	goResults := make([]result, len(cases))
	for i, c := range cases {
		profile := ""
		if *cpuProfile != "" {
			profile = *cpuProfile + "." + c.Model
		}
		r, err := runGo(backend, c, *steps, *warmup, profile)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Model, err)
		}
		goResults[i] = r
		fmt.Printf("  go      %-8s %dx%d b%d: %7.2f img/s (%.3f s/step, peak RSS %.0f MiB)\n", c.Model, c.Size, c.Size, c.Batch, r.ImgPerS, r.StepS, r.PeakRSSMiB)
	}

	// PyTorch's OpenMP threads degrade badly when the cores are shared, so several thread counts are
	// run and the best is compared against.
	ptResults := make([]*result, len(cases))
	ptBestThreads := make([]string, len(cases))
	if *pytorch != "" {
		for i, c := range cases {
			for _, th := range strings.Split(*ptThreads, ",") {
				r, err := runPyTorch(*pytorch, *script, c, *steps, *warmup, th)
				if err != nil {
					fmt.Printf("  pytorch %-8s threads=%s: %v\n", c.Model, th, err)
					continue
				}
				fmt.Printf("  pytorch %-8s %dx%d b%d threads=%s: %7.2f img/s (%.3f s/step, peak RSS %.0f MiB)\n", c.Model, c.Size, c.Size, c.Batch, th, r.ImgPerS, r.StepS, r.PeakRSSMiB)
				if ptResults[i] == nil || r.ImgPerS > ptResults[i].ImgPerS {
					ptResults[i], ptBestThreads[i] = r, th
				}
			}
		}
	}

	fmt.Printf("\n| model | input | batch | gofast img/s | best PyTorch img/s (threads) | PyTorch/gofast |\n|---|---|---|---|---|---|\n")
	for i, c := range cases {
		pt, ratio := "n/a", "n/a"
		if r := ptResults[i]; r != nil {
			pt = fmt.Sprintf("%.1f (%s)", r.ImgPerS, ptBestThreads[i])
			ratio = fmt.Sprintf("%.2fx", r.ImgPerS/goResults[i].ImgPerS)
		}
		fmt.Printf("| %s | %dx%d | %d | %.1f | %s | %s |\n", c.Model, c.Size, c.Size, c.Batch, goResults[i].ImgPerS, pt, ratio)
	}
	return nil
}

// runGo trains c's network with Adam and cross-entropy on one fixed random batch.
func runGo(b *gobackend.Backend, c benchCase, steps, warmup int, profile string) (result, error) {
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(0); err != nil {
		return result{}, err
	}
	images, labels := randomBatch(c.Batch, c.Size)
	trainer := train.NewTrainer(b, ctx, train.ModelFn(benchnet.Known[c.Model]), losses.SparseCategoricalCrossEntropyLogits,
		optimizers.Adam().LearningRate(1e-3).Done(), nil, nil)
	step := func() error {
		_, err := trainer.TrainStep(nil, []*tensors.Tensor{images}, []*tensors.Tensor{labels})
		return err
	}
	for range warmup {
		if err := step(); err != nil {
			return result{}, err
		}
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
	}
	start := time.Now()
	for range steps {
		if err := step(); err != nil {
			return result{}, err
		}
	}
	dt := time.Since(start).Seconds() / float64(steps)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	return result{ImgPerS: float64(c.Batch) / dt, StepS: dt, PeakRSSMiB: peakRSSMiB()}, nil
}

func randomBatch(n, size int) (images, labels *tensors.Tensor) {
	flat := make([]float32, n*size*size*3)
	for i := range flat {
		flat[i] = float32((i*7919)%1000) / 1000
	}
	lab := make([]int32, n)
	for i := range lab {
		lab[i] = int32(i % benchnet.NumClasses)
	}
	return tensors.FromFlatDataAndDimensions(flat, n, size, size, 3), tensors.FromFlatDataAndDimensions(lab, n, 1)
}

// peakRSSMiB reads the process's peak resident set size (VmHWM) on Linux; 0 elsewhere.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func runPyTorch(python, script string, c benchCase, steps, warmup int, threads string) (*result, error) {
	script, _ = filepath.Abs(script)
	cmd := exec.Command(python, script, "--model", c.Model, "--size", strconv.Itoa(c.Size),
		"--batch", strconv.Itoa(c.Batch), "--steps", strconv.Itoa(steps), "--warmup", strconv.Itoa(warmup),
		"--threads", threads)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", python, script, err)
	}
	var r result
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return nil, fmt.Errorf("parse pytorch output %q: %w", out, err)
	}
	return &r, nil
}
