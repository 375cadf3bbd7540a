#!/usr/bin/env bash
# A dry run of the GPU scripts on a machine without a GPU (CI runs it): probe.sh, check.sh and profile.sh
# against stand-ins for the binaries, nvidia-smi, ncu and the plugin, in a temporary copy, so that
# a device call is not spent on a shell mistake. The stand-in binary prints its arguments and
# XLA_FLAGS, rejects the first autotuning flag as XLA does with flags it does not know (profile.sh
# must fall back to the next), writes what --json and the XLA dump would, and fails nothing else.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/repo/bin" "$tmp/path" "$tmp/out"
cp -r deploy "$tmp/repo/"
cat >"$tmp/repo/bin/debiaser-xla" <<'EOF'
#!/usr/bin/env bash
if [ "$1" = backends ] && [[ " $* " == *" --exports "* ]]; then echo "export DEBIASER_STUB_ENV=set"; exit 0; fi
echo "STUB $(basename "$0") $* | env=${DEBIASER_STUB_ENV:-} ${GODEBUG:-} | XLA_FLAGS=${XLA_FLAGS:-}"
case "${XLA_FLAGS:-}" in *xla_gpu_dump_autotune_results_to*)
  echo "Unknown flag in XLA_FLAGS: --xla_gpu_dump_autotune_results_to"; exit 1 ;;
esac
case "${XLA_FLAGS:-}" in *--xla_dump_to=*)
  d=${XLA_FLAGS#*--xla_dump_to=}; d=${d%% *}
  mkdir -p "$d" && echo HloModule >"$d/module_0001.train.sm_9.0_gpu_after_optimizations.txt" && echo ptx >"$d/module_0001.ptx" ;;
esac
prev=
for a in "$@"; do [ "$prev" = --json ] && echo '{}' >"$a"; prev=$a; done
exit 0
EOF
chmod +x "$tmp/repo/bin/debiaser-xla"
cp "$tmp/repo/bin/debiaser-xla" "$tmp/repo/bin/debiaser-xla-async"
gzip "$tmp/repo/bin/debiaser-xla" "$tmp/repo/bin/debiaser-xla-async"
printf '#!/bin/sh\necho "NVIDIA H200, stand-in"\n' >"$tmp/path/nvidia-smi"
cat >"$tmp/path/ncu" <<'EOF'
#!/usr/bin/env bash
log= prev=
for a in "$@"; do [ "$prev" = --log-file ] && log=$a; prev=$a; done
while [ $# -gt 0 ] && [ "$1" != bin/debiaser-xla ]; do shift; done
"$@" && printf '"ID","Kernel Name","Metric Name","Metric Unit","Metric Value"\n"0","k","gpu__time_duration.sum","nsecond","1"\n' >"$log"
EOF
# python: the real one for profile.sh's one-liners, a stand-in for the PyTorch scripts
printf '#!/bin/sh\n[ "$1" = -c ] && exec /usr/bin/python3 "$@"\necho "python stand-in: $*"\n' >"$tmp/path/python3"
chmod +x "$tmp/path/"*
touch "$tmp/plugin.so"

fail() { echo "dryrun: $*" >&2; exit 1; }
(cd "$tmp/repo" && PATH="$tmp/path:$PATH" PLUGIN="$tmp/plugin.so" PYTHON="$tmp/path/python3" OUT="$tmp/out" BUDGET=120 \
  bash deploy/gpu/profile.sh) >"$tmp/profile.txt" 2>&1 || fail "profile.sh exited $?: $(cat "$tmp/profile.txt")"
for f in profile.log bench-wait.json bench-async.json xla-dump.tgz ncu-ours.csv; do
  [ -s "$tmp/out/$f" ] || fail "profile.sh wrote no $f"
done
grep -q "autotuning results for step 3: --xla_gpu_per_fusion_autotune_cache_dir" "$tmp/out/profile.log" ||
  fail "profile.sh did not fall back to the second autotuning flag"
grep -q "STUB debiaser-xla bench .*--steps 1 | env=set asyncpreemptoff=1 | XLA_FLAGS=--xla_gpu_per_fusion" "$tmp/out/profile.log" ||
  fail "profile.sh did not run the bench under ncu with the backend's environment set beforehand"
if grep "STUB debiaser-xla bench .*--steps 40 " "$tmp/out/profile.log" | grep -q "env=set"; then fail "the environment set for ncu leaked into other steps"; fi
grep -q "STUB debiaser-xla kernels --top 25 --label ours --wall-ms - " "$tmp/out/profile.log" || fail "profile.sh did not run debiaser kernels"
grep -q "STUB debiaser-xla bench .*--batches 128 --variants default .*XLA_FLAGS=--xla_gpu_enable_command_buffer=$" "$tmp/out/profile.log" ||
  fail "profile.sh did not run the bench with CUDA graphs off"
[ "$(ls "$tmp/out"/bench-flags-*.json | wc -l)" = 5 ] || fail "profile.sh did not run the 5 XLA flag sets"
grep -q "STUB debiaser-xla-async study" "$tmp/out/profile.log" || fail "profile.sh did not run the async study"
grep -q "STUB debiaser-xla study .*--steps-per-call 4 --eval-batch-size 512" "$tmp/out/profile.log" || fail "profile.sh did not run the study with 4 steps per call and one validation call"
tar tzf "$tmp/out/xla-dump.tgz" | grep -q after_optimizations || fail "xla-dump.tgz lacks the optimised HLO"
if tar tzf "$tmp/out/xla-dump.tgz" | grep -q ptx; then fail "xla-dump.tgz holds more than the HLO"; fi
(cd "$tmp/repo" && PATH="$tmp/path:$PATH" PLUGIN="$tmp/plugin.so" PYTHON="$tmp/path/python3" OUT="$tmp/out" BUDGET=120 \
  bash deploy/gpu/check.sh) >"$tmp/check.txt" 2>&1 || fail "check.sh exited $?: $(cat "$tmp/check.txt")"
grep -q "STUB debiaser-xla study .*--parallel 4" "$tmp/out/check.log" || fail "check.sh did not run the parallel study"
(cd "$tmp/repo" && PATH="$tmp/path:$PATH" PLUGIN="$tmp/plugin.so" PYTHON="$tmp/path/python3" OUT="$tmp/out" \
  bash deploy/gpu/probe.sh) >"$tmp/probe.txt" 2>&1 || fail "probe.sh exited $?: $(cat "$tmp/probe.txt")"
grep -q "STUB debiaser-xla study" "$tmp/out/probe.log" || fail "probe.sh did not run the study"
echo "dryrun: probe.sh, profile.sh and check.sh ran their steps against stand-ins ($(cat "$tmp/out/"*.log | grep -c '^STUB') commands)"
