#!/usr/bin/env python3
"""Kernel times of PyTorch's ResNet-18 training step, for `debiaser kernels`.

The step of ../shared/anchors/torch_resnet18_bench.py (torchvision resnet18(weights=None), fc =
ReLU -> Dropout(0.5) -> Linear(512, classes), Adam(lr=1e-5), CrossEntropyLoss, random data), in
one of its modes (fp32, fp32_cl, bf16_cl), run --warmup steps, then --steps steps under
torch.profiler. Writes every GPU kernel of those steps in launch order as CSV:

    # steps=3
    # mode=bf16_cl batch=128 size=224 device=cuda torch=2.11.0
    name,duration_ns
    "void cudnn::bn_fw_tr_1C11_singleread_spec<...>",41216

and prints the wall time per step (sync at end) measured just before, without the profiler.
--device cpu (only for testing this script where there is no GPU) records the CPU operators instead.
"""
import argparse
import csv
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="bf16_cl", choices=["fp32", "fp32_cl", "bf16_cl"])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--timed", type=int, default=20, help="steps timed without the profiler first")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    import torch
    import torch.nn as nn
    import torchvision
    from torch.profiler import ProfilerActivity, profile

    on_cuda = args.device == "cuda"
    if on_cuda and not torch.cuda.is_available():
        print("CUDA not available to torch", file=sys.stderr)
        return 1
    dev = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    model.fc = nn.Sequential(nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, args.classes))
    channels_last = args.mode.endswith("_cl")
    use_bf16 = args.mode.startswith("bf16")
    model = model.to(dev)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-5)
    crit = nn.CrossEntropyLoss()
    x = torch.randn(args.batch, 3, args.size, args.size, device=dev)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, args.classes, (args.batch,), device=dev)

    def sync():
        if on_cuda:
            torch.cuda.synchronize()

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use_bf16):
            out = model(x)
            loss = crit(out.float(), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    sync()
    t0 = time.time()
    for _ in range(args.timed):
        step()
    sync()
    ms = (time.time() - t0) / max(args.timed, 1) * 1e3
    print(f"TORCH {args.mode} b{args.batch}: {ms:.2f} ms/step (sync at end, {args.timed} steps, no profiler)")

    activities = [ProfilerActivity.CUDA] if on_cuda else [ProfilerActivity.CPU]
    with profile(activities=activities) as prof:
        for _ in range(args.steps):
            step()
        sync()

    rows = kernels(prof, on_cuda)
    if not rows:
        print("the profiler recorded no kernels", file=sys.stderr)
        return 1
    with open(args.out, "w", newline="") as f:
        f.write(f"# steps={args.steps}\n")
        f.write(f"# mode={args.mode} batch={args.batch} size={args.size} device={args.device} torch={torch.__version__}\n")
        f.write(f"# wall_ms_per_step={ms:.4f}\n")
        w = csv.writer(f)
        w.writerow(["name", "duration_ns"])
        for name, ns in rows:
            w.writerow([name, ns])
    total = sum(ns for _, ns in rows) / args.steps / 1e6
    print(f"TORCH {args.mode} b{args.batch}: {len(rows)} kernels in {args.steps} steps, "
          f"{total:.2f} ms of kernel time per step -> {args.out}")
    return 0


def kernels(prof, on_cuda):
    """(name, duration in ns) of each kernel (CPU: top-level operator), in start order."""
    out = []
    if on_cuda:
        try:  # kineto's raw events: nanosecond durations
            for e in prof.profiler.kineto_results.events():
                if e.device_type() == _cuda_type():  # kernels, copies and memsets on the GPU
                    out.append((e.start_ns() if hasattr(e, "start_ns") else e.start_us() * 1000,
                                e.name(), _duration_ns(e)))
        except AttributeError:
            out = []
        if out:
            out.sort(key=lambda r: r[0])
            return [(n, d) for _, n, d in out]
    for evt in prof.events():
        dt = getattr(evt, "device_type", None)
        if on_cuda:
            if dt != _cuda_type():
                continue
        elif evt.cpu_parent is not None:
            continue
        out.append((evt.time_range.start, evt.name, int(round(evt.time_range.elapsed_us() * 1000))))
    out.sort(key=lambda r: r[0])
    return [(n, d) for _, n, d in out]


def _cuda_type():
    import torch
    return torch.autograd.DeviceType.CUDA


def _duration_ns(e):
    if hasattr(e, "duration_ns"):
        return int(e.duration_ns())
    return int(round(e.duration_us() * 1000))


if __name__ == "__main__":
    sys.exit(main())
