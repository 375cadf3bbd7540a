#!/usr/bin/env bash
# Builds, on the CPU VM, what deploy/gpu/check.sh and profile.sh run on a GPU machine: the CLI
# linked with GoMLX's XLA backend (cgo; needs glibc >= 2.34 there) into bin/ (git-ignored: carry
# it; gzipped), and a copy of the PyTorch anchor into bin/ too (the ../shared beside the checkout does not
# travel).
#
# It also builds bin/debiaser-xla-async (ASYNC=0 skips it): the same CLI with one line of go-xla
# changed at build time (a patched copy of the module in a temporary folder, through go build
# -modfile with a replace directive; nothing of go-xla is committed here). go-xla v0.1.4
# runs every XLA program with ExecuteAndWait: the host waits for each training step to finish on
# the GPU before it can launch the next, and the GPU idles while the host returns from that wait,
# updates GoMLX's variables and launches the next step. The async build asks PJRT for no
# completion event, so Execute returns once the step is queued; every later use of its outputs
# (the next step, a read to the host) still waits for them inside PJRT, as in JAX. Experimental:
# it is for timing the wait (profile.sh runs both), not for runs whose logs matter.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bin
export GOMLX_NO_AUTO_INSTALL=1 CGO_ENABLED=1 GOEXPERIMENT=simd
rm -f bin/debiaser-xla bin/debiaser-xla-async bin/*.gz
go build -tags xla -ldflags="-s -w" -o bin/debiaser-xla ./cmd/debiaser
if [ "${ASYNC:-1}" != 0 ]; then
  mod=$(go list -m -f '{{.Dir}}' github.com/gomlx/go-xla)
  src=pkg/pjrt/loadedexecutables.go
  line='args.device_complete_events = (**C.PJRT_Event)(unsafe.SliceData(perDeviceEvents))'
  if [ "$(grep -cF "$line" "$mod/$src")" != 1 ]; then
    echo "build.sh: $mod/$src no longer has the line the async build changes (go-xla upgraded?): not built" >&2
    exit 1
  fi
  # A patched copy of the module in a temporary folder, used through a temporary go.mod with a
  # replace directive (-modfile): the repository's go.mod and the module cache stay as they are.
  tmp=$(mktemp -d)
  cp -r "$mod" "$tmp/go-xla" && chmod -R u+w "$tmp/go-xla"
  # No completion events: the arena that holds args is zeroed, so the field stays NULL and
  # ExecuteAndWait returns after PJRT_LoadedExecutable_Execute without waiting.
  text=$(<"$mod/$src")
  printf '%s\n' "${text/"$line"/_ = perDeviceEvents // debiaser async build: no completion events, no wait}" >"$tmp/go-xla/$src"
  grep -q "debiaser async build" "$tmp/go-xla/$src"
  cp go.mod "$tmp/go.mod" && cp go.sum "$tmp/go.sum"
  go mod edit -modfile="$tmp/go.mod" -replace "github.com/gomlx/go-xla=$tmp/go-xla"
  go build -tags xla -ldflags="-s -w" -modfile="$tmp/go.mod" -o bin/debiaser-xla-async ./cmd/debiaser
  rm -rf "$tmp"
fi
anchor=${ANCHOR:-../shared/anchors/torch_resnet18_bench.py}
if [ -f "$anchor" ]; then cp "$anchor" bin/torch_resnet18_bench.py; else echo "no PyTorch anchor at $anchor: check.sh will time ours only"; fi
# The working tree and what is carried travel together under 64 MiB: the binaries go gzipped
# (about 10 MB each; deploy/gpu/lib.sh restores them there).
gzip -f bin/debiaser-xla
[ -f bin/debiaser-xla-async ] && gzip -f bin/debiaser-xla-async
ls -l bin/
