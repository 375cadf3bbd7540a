"""PyTorch CPU twin of gobench: the same two networks, Adam, cross-entropy, random data.

Prints one JSON line: {"model", "img_per_s", "step_s", "peak_rss_mib", "threads", "torch"}.
Run with /usr/bin/python3 (Debian's torch 1.13 + torchvision).
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torchvision


def small_cnn(classes):
    layers, cin = [], 3
    for ch in (32, 64, 128):
        layers += [nn.Conv2d(cin, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(), nn.MaxPool2d(2)]
        cin = ch
    return nn.Sequential(*layers, nn.Flatten(), nn.LazyLinear(classes))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["small", "resnet18"], required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    classes = 10
    model = small_cnn(classes) if a.model == "small" else torchvision.models.resnet18(num_classes=classes)
    x = torch.rand(a.batch, 3, a.size, a.size)
    y = torch.randint(0, classes, (a.batch,))
    model(x)  # Materialise lazy layers before building the optimiser.
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    print(json.dumps({
        "model": a.model,
        "img_per_s": a.batch / dt,
        "step_s": dt,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
