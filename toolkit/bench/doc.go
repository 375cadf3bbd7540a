// Package bench times the toolkit's training step and compares it with
// PyTorch's on the same machine, in the same call.
//
// Run times our step: the model of a run config (ResNet-18 by default, 4
// classes, the study's head with dropout 0.5, cross-entropy, Adam 1e-5, full
// fine-tuning), built by the same packages a run uses (models, losses,
// optim) and stepped by GoMLX's Trainer on one fixed random batch, as
// ../shared/anchors/torch_resnet18_bench.py does for PyTorch. Per batch size
// and precision it reports the first step (graph build and XLA compile),
// then the mean of Steps steps after Warmup steps, timed twice: reading
// the loss only after the last step ("sync at end": pure throughput) and
// after every step ("sync per step", what a training loop that logs the
// loss pays).
//
// Options.Variants times graph formulations of the same model side by side
// (each a '+'-joined list of Knobs: "default" for what a run builds,
// "bnop" and "bnops" for models.Options.BatchNorm op and ops, "poolmask"
// for models.Options.MaxPoolMasks);
// each (precision, batch, variant) is one Result.
//
// RunTorch runs the PyTorch script with the same batch sizes and image
// size and parses its RESULT lines; Compare divides our best images/s by
// PyTorch's best at each batch size (both "sync at end"; ours the best
// precision and variant, named in the RATIO line), and WriteReport
// prints both tables and the ratios. `debiaser bench` is the command.
//
// Where a step's GPU time goes: ReadKernels reads a kernel profile, either
// Nsight Compute's CSV (`ncu --csv --metrics gpu__time_duration.sum
// --print-units base`) or name,duration_ns rows written from
// torch.profiler; Summarize finds one training step in it (a "# steps=N"
// line, else StepPeriod: the period of the profile's end) and sums its
// kernels' time by Kind (convolution, matmul, batch norm, ...) and by
// name; WriteKernelTable prints profiles side by side, ours beside
// PyTorch's, with the wall time per step and the gap (wall minus GPU
// busy) where it is known. `debiaser kernels` is the command. By default
// ncu locks the clocks at base (--clock-control base) and flushes the
// caches before each kernel (--cache-control all), which lengthens
// kernels against a normal run and against torch.profiler's timings:
// profile with --clock-control none --cache-control none to compare
// either with the other or with wall time.
package bench
