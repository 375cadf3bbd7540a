#!/usr/bin/env bash
# Sourced by deploy/gpu/probe.sh, check.sh and profile.sh (run from the repository root, with LOG
# set, and STEPS: the steps to run, space-separated): the output folder, the binaries of build.sh, the
# CUDA plugin, run/log under one time budget, want (is a step asked for?) and machine (the GPU's
# line, and a stop if the binary or plugin is missing).
out=${OUT:-out/gpu}
mkdir -p "$out" && out=$(cd "$out" && pwd)
for gz in bin/debiaser-xla*.gz; do # build.sh gzips the binaries so that they travel under 64 MiB
  [ -f "$gz" ] && gunzip -kf "$gz" && chmod +x "${gz%.gz}"
done
bin=bin/debiaser-xla
plugin=${PLUGIN:-$(ls /opt/torch/.venv/lib/python3*/site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so 2>/dev/null | head -1)}
python=${PYTHON:-$(command -v python3)}
backend="xla:$plugin"
deadline=$((SECONDS + ${BUDGET:-560}))
log() { echo "== $* ($(date +%T), $((deadline - SECONDS)) s of the budget left)" | tee -a "$out/$LOG"; }
run() { # run TIMEOUT CMD...: the timeout is cut to what is left of the budget; under 15 s: skipped
  local t=$1 left=$((deadline - SECONDS)); shift
  [ "$left" -lt "$t" ] && t=$left
  if [ "$t" -lt 15 ]; then echo "skipped: budget spent" | tee -a "$out/$LOG"; return 1; fi
  # -k: SIGKILL 10 s after the SIGTERM. debiaser ends a run gracefully on SIGTERM (it finishes the
  # step or compile in flight); under ncu that compile took minutes, and the 2026-11-27 call's
  # ncu step ran on past its timeout to the end of the device call.
  timeout -k 10 "$t" "$@" 2>&1 | tee -a "$out/$LOG"; local rc=${PIPESTATUS[0]}
  echo "exit $rc" | tee -a "$out/$LOG"; return "$rc"
}
need_bin() {
  if [ ! -x "$bin" ] || [ -z "$plugin" ]; then
    log "missing: binary $bin (run deploy/gpu/build.sh, carry bin) or plugin '$plugin'"; exit 1
  fi
}
want() { [[ " ${STEPS:-} " == *" $1 "* ]]; }
machine() {
  log machine
  run 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  need_bin
}
