#!/usr/bin/python3
"""Generates the parity fixtures of toolkit/models from torchvision's own classes
(and, for resnet32 and small_cnn, which torchvision does not have, from the
reference PyTorch ports below).

Run with Debian's python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 toolkit/models/testdata/gen_fixtures.py            # small, committed fixtures
    /usr/bin/python3 toolkit/models/testdata/gen_fixtures.py --full DIR # full-size, not committed

For every model it writes
  <name>.weights.safetensors  the state_dict (head replaced as in the study:
                              ReLU -> Dropout(0.5) -> Linear(features, n_class))
  <name>.io.safetensors       "input" (NHWC float32), "logits" (float32, eval mode),
                              "logits_train" (training mode, dropout and stochastic
                              depth off) and "after.<bn>.running_*" (batch-norm
                              running averages after that training-mode pass)
and for ResNet it also writes <name>.weights.pth (torch.save, zip format) and
<name>.weights.legacy.pth (the legacy pickle format, float32) so the .pth
reader is checked on the same weights.

Weights are random (fixed seed; no ImageNet download here) and batch-norm
statistics are set to random non-trivial values so that inference-mode batch
norm is really exercised. Committed fixtures are stored in float16 to stay
small; the reference logits are computed with the float16-rounded weights, so
the comparison in Go is a float32 one.
"""
import argparse
import json
import math
import os
import struct

import torch
import torchvision
from torch import nn
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
from torchvision.models.resnet import BasicBlock, ResNet
from torchvision.ops import StochasticDepth

N_CLASS = 5
SEED = 1234


class ReducedResNet(ResNet):
    """torchvision's ResNet (BasicBlock, _make_layer, forward) with every width divided by `div`.

    torchvision hard-codes the widths 64/128/256/512; this only rescales them, the
    block structure, strides, padding and key names are torchvision's own.
    """

    def __init__(self, layers, div):
        self._div = div
        self._first = True
        super().__init__(BasicBlock, layers)
        self.fc = nn.Linear(512 // div, 1000)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if self._first:
            self._first = False
            self.inplanes = 64 // self._div
            self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = self._norm_layer(self.inplanes)
        return super()._make_layer(block, planes // self._div, blocks, stride, dilate)


class CifarBasicBlock(nn.Module):
    """He et al. 2016's CIFAR basic block with an option-A shortcut, as in the
    common PyTorch port (akamaster/pytorch_resnet_cifar10)."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes - in_planes
        self.stride = stride

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x
        if self.stride != 1 or self.pad:
            sc = nn.functional.pad(x[:, :, ::self.stride, ::self.stride],
                                   (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return torch.relu(out + sc)


class CifarResNet(nn.Module):
    """Reference (not torchvision) CIFAR ResNet: depth 6*blocks+2; ResNet-32 has blocks=5."""

    def __init__(self, blocks, widths=(16, 32, 64)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        in_planes = widths[0]
        for i, w in enumerate(widths):
            layer = []
            for j in range(blocks):
                layer.append(CifarBasicBlock(in_planes, w, 2 if i > 0 and j == 0 else 1))
                in_planes = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.fc = nn.Linear(in_planes, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean((2, 3)))


class SmallCNN(nn.Module):
    """Reference of toolkit/models' small_cnn: (conv3x3 no bias, BN, ReLU, maxpool 2) x 3."""

    def __init__(self, widths=(16, 32, 64)):
        super().__init__()
        c = 3
        for i, w in enumerate(widths):
            setattr(self, f"block{i + 1}", nn.ModuleDict({"conv": nn.Conv2d(c, w, 3, 1, 1, bias=False),
                                                         "bn": nn.BatchNorm2d(w)}))
            c = w
        self.n = len(widths)
        self.classifier = nn.Linear(c, 10)

    def forward(self, x):
        for i in range(self.n):
            b = getattr(self, f"block{i + 1}")
            x = nn.functional.max_pool2d(torch.relu(b["bn"](b["conv"](x))), 2)
        return self.classifier(x.mean((2, 3)))


def study_head(features):
    # The study's replacement head (debiaser.general.load_model).
    return nn.Sequential(nn.ReLU(), nn.Dropout(0.5), nn.Linear(features, N_CLASS))


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean.data = torch.randn(n, generator=gen) * 0.1
            m.running_var.data = torch.rand(n, generator=gen) + 0.5


def build(name, full):
    if name == "resnet18":
        m = torchvision.models.resnet18() if full else ReducedResNet([1, 1, 1, 1], 8)
        m.fc = study_head(m.fc.in_features)
    elif name == "mobilenet_v2":
        m = torchvision.models.mobilenet_v2() if full else torchvision.models.MobileNetV2(width_mult=0.25)
        m.classifier = study_head(m.last_channel)
    elif name == "efficientnet_b0":
        if full:
            m = torchvision.models.efficientnet_b0()
        else:
            setting, last = _efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.5)
            m = EfficientNet(setting, 0.2, last_channel=last)
        m.classifier = study_head(m.classifier[1].in_features)
    elif name == "resnet_cifar":
        # Reference port, not torchvision: 2 blocks per stage (ResNet-14) keeps
        # the fixture small; ResNet-32 is the same code with 5.
        m = CifarResNet(5 if full else 2)
        m.fc = study_head(64)
    elif name == "small_cnn":
        m = SmallCNN()
        m.classifier = study_head(64)
    else:
        raise ValueError(name)
    return m


def write_safetensors(path, tensors):
    """The safetensors format: u64 header length, JSON header, raw little-endian data."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[key] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def make(name, outdir, full, size, batch):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    m = build(name, full)
    randomize_bn(m, gen)
    m.eval()
    dtype = torch.float32 if full else torch.float16
    sd = {k: v for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")}
    stored = {k: v.to(dtype).clone() for k, v in sd.items()}  # clone: the train-mode pass below updates buffers in place
    # Reference computed with exactly the stored (rounded) values.
    m.load_state_dict({k: v.float() for k, v in stored.items()}, strict=False)
    x = torch.randn(batch, 3, size, size, generator=gen)
    with torch.no_grad():
        logits = m(x)
    # Training mode, made deterministic (dropout and stochastic depth off):
    # batch norm normalises with batch statistics and updates its running
    # averages; "after.<key>" are the running averages after this one pass.
    m.train()
    for mod in m.modules():
        if isinstance(mod, (nn.Dropout, StochasticDepth)):
            mod.p = 0.0
    with torch.no_grad():
        logits_train = m(x)
    after = {"after." + k: v.float() for k, v in m.state_dict().items() if "running_" in k}
    n_params = sum(p.numel() for p in m.parameters())
    base = os.path.join(outdir, name)
    write_safetensors(base + ".weights.safetensors", stored)
    if name == "resnet18":
        torch.save(stored, base + ".weights.pth")
        # The pre-1.6 pickle format (some official torchvision files still use it), float32.
        torch.save({k: v.float() for k, v in stored.items()}, base + ".weights.legacy.pth",
                   _use_new_zipfile_serialization=False)
    write_safetensors(base + ".io.safetensors",
                      {"input": x.permute(0, 2, 3, 1).contiguous(), "logits": logits.float(),
                       "logits_train": logits_train.float(), **after})
    print(f"{name}: full={full} params={n_params} input={list(x.shape)} dtype={dtype} "
          f"logits[0]={[round(v, 5) for v in logits[0].tolist()]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", metavar="DIR", help="write full-size fixtures into DIR (not committed)")
    ap.add_argument("--size", type=int, default=0, help="input size (default 32 small, 64 full)")
    args = ap.parse_args()
    full = args.full is not None
    outdir = args.full if full else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    size = args.size or (64 if full else 32)
    for name in ["resnet18", "mobilenet_v2", "efficientnet_b0", "resnet_cifar", "small_cnn"]:
        make(name, outdir, full, size, 2)


if __name__ == "__main__":
    main()
