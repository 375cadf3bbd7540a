#!/usr/bin/env bash
# Builds, on the CPU VM, what deploy/gpu/check.sh runs on a GPU machine: the CLI linked with
# GoMLX's XLA backend (cgo; needs glibc >= 2.34 there) into bin/ (git-ignored: carry it), and a
# copy of the PyTorch anchor into bin/ too (the ../shared beside the checkout does not travel).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bin
CGO_ENABLED=1 GOEXPERIMENT=simd go build -tags xla -o bin/debiaser-xla ./cmd/debiaser
anchor=${ANCHOR:-../shared/anchors/torch_resnet18_bench.py}
if [ -f "$anchor" ]; then cp "$anchor" bin/torch_resnet18_bench.py; else echo "no PyTorch anchor at $anchor: check.sh will time ours only"; fi
ls -l bin/
