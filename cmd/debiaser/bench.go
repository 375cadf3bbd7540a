package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/debiaser/debiaser/toolkit"
	"github.com/debiaser/debiaser/toolkit/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	d := bench.Defaults()
	model := fs.String("model", d.Model, "model to time")
	batches := fs.String("batches", "64,128", "batch sizes, comma-separated")
	size := fs.Int("size", d.Size, "image size (square)")
	precision := fs.String("precision", "float32,bfloat16", "precisions to time, comma-separated: float32, bfloat16")
	variants := fs.String("variants", bench.VariantDefault+",steps4", "graph variants of the same model to time side by side, comma-separated; each a '+'-joined list of knobs: default (what a run builds), bnop (batch norm through the backend's batch-norm op: the default on XLA and gofast), bnops (batch norm as separate ops: the default on SimpleGo), poolmask (max pool without SelectAndScatter), stepsN (N training steps in one call of the backend, 2 to 16: what a run with steps_per_call N builds), e.g. bnops,bnop,poolmask,steps4")
	warmup := fs.Int("warmup", d.Warmup, "untimed steps after the first")
	steps := fs.Int("steps", d.Steps, "timed steps (each timing)")
	maxSeconds := fs.Float64("max-seconds", 0, "stop starting new configurations after this long (0: no limit)")
	backend := fs.String("backend", "", backendUsage)
	torch := fs.String("torch", "", "PyTorch anchor script (e.g. shared/anchors/torch_resnet18_bench.py) to run in the same call with the same batches and size; empty: ours only")
	python := fs.String("python", "python3", "Python interpreter for --torch")
	torchDevice := fs.String("torch-device", "cuda", "device for --torch: cuda or cpu")
	torchModes := fs.String("torch-modes", "", "PyTorch modes (the script's --modes), e.g. fp32,fp32_cl,bf16_cl; empty: the script's default")
	jsonOut := fs.String("json", "", "also write every result and ratio to this JSON file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser bench [flags]\n\nTimes our training step (random data, Adam, cross-entropy, full fine-tuning) and,\nwith --torch, PyTorch's on the same machine in the same call; prints the ratio\nof our best precision and variant to PyTorch's best mode per batch size.")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	o := bench.Options{Model: *model, Size: *size, Warmup: *warmup, Steps: *steps, MaxSeconds: *maxSeconds, Classes: d.Classes}
	for _, b := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(b))
		if err != nil {
			return usageError{fmt.Sprintf("--batches: %q is not a number", b)}
		}
		o.Batches = append(o.Batches, n)
	}
	for _, p := range strings.Split(*precision, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.Precisions = append(o.Precisions, p)
		}
	}
	for _, v := range strings.Split(*variants, ",") {
		if v = strings.TrimSpace(v); v != "" {
			o.Variants = append(o.Variants, v)
		}
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if *torch != "" && o.Model != "resnet18" {
		return usageError{fmt.Sprintf("--torch times ResNet-18; --model is %q (use --model resnet18)", o.Model)}
	}
	b, info, err := toolkit.SelectBackend(*backend)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, info)
	ours, err := bench.Run(ctx, b, o, stderr)
	if err != nil {
		return err
	}
	var torchRes []bench.TorchResult
	var header []string
	if *torch != "" {
		topts := bench.TorchOptions{Python: *python, Script: *torch, Device: *torchDevice}
		if *torchModes != "" {
			topts.Args = []string{"--modes", *torchModes}
		}
		var out string
		torchRes, out, err = bench.RunTorch(ctx, o, topts)
		fmt.Fprint(stderr, out)
		if err != nil {
			return err
		}
		_, header, _ = bench.ParseTorch(strings.NewReader(out))
	}
	if err := bench.WriteReport(stdout, info, ours, torchRes, header); err != nil {
		return err
	}
	if *jsonOut != "" {
		data, err := json.MarshalIndent(map[string]any{
			"backend": info, "options": o, "ours": ours, "torch": torchRes, "torch_header": header,
			"ratios": bench.Compare(ours, torchRes),
		}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: --json: %w", err)
		}
	}
	return nil
}
