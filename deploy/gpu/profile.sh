#!/usr/bin/env bash
# The profiling call of issue 10: where do the 10.21 ms of our batch-128 bf16 ResNet-18 step go,
# against PyTorch's 10.80 ms? One device call, after `bash deploy/gpu/build.sh` here:
#   run: BUDGET=560 bash deploy/gpu/profile.sh     carry ["bin"], timeout_s 590
#   bash deploy/gpu/profile.sh 1 3                 (some steps only; for example step 4 in a second call
#                                                   when the first left device time: the machine stays warm)
# Steps, in this order, each under its own timeout within the shared budget:
#   1. waiting or not: `debiaser bench`, bf16, batches 32 and 128, the default graph, built as usual
#      (the host waits for every step), also with 4 training steps per call (variant steps4: one wait
#      per 4 steps), and with build.sh's async build (it queues the next step while the GPU runs),
#      with the PyTorch anchor's bf16 channels-last beside them;
#   2. XLA's optimised program: one bench run at batch 128 with XLA_FLAGS dumping the HLO before
#      and after optimisation (xla-dump.tgz: the fusions that become the kernels of step 3) and
#      saving the autotuning results for step 3 (the first of three flag sets this XLA accepts);
#   3. kernel times: Nsight Compute's gpu__time_duration of every kernel of a short bench run
#      (variable initialisation, then 4 training steps; autotuning results loaded, so that no
#      autotuning kernels run under the profiler) -> ncu-ours.csv; PyTorch's bf16_cl step under
#      torch.profiler -> torch-kernels.csv; `debiaser kernels` on both: GPU time per step (against
#      the wall time per step of step 1: the rest is the host's gap) and by kernel kind, side by side;
#   4. XLA's flags: the batch-128 bench (default graph, usual build) once per flag set of FLAGSETS
#      (';'-separated; the first empty: this step's own baseline), each in a process of its own: CUDA
#      graphs off, CUDA graphs for every kind of kernel from one kernel up, Triton GEMMs off, cuDNN
#      runtime fusion. A flag this XLA does not know stops that process at once (logged, next set);
#   5. the full study (13 methods x 50 epochs, shapes-study data, --parallel 4): the usual build
#      (unmeasured since the last call: the batch-norm op by default, variables initialised once,
#      one read per step, programs shared), then with fewer calls of the backend (4 training steps
#      per call, the 500 validation images in one call: --eval-batch-size 512), then the async
#      build, and their summaries (the same numbers?).
# $OUT (or out/gpu) gets profile.log, bench-wait.json, bench-async.json, xla-dump.tgz,
# autotune.txt, ncu-ours.csv, torch-kernels.csv, bench-flags-N.json; everything is printed.
set -u
cd "$(dirname "$0")/../.."
STEPS=${*:-1 2 3 4 5}
LOG=profile.log
source deploy/gpu/lib.sh
ncu=${NCU:-$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)}

machine
async=bin/debiaser-xla-async
bench() { # bench TIMEOUT BINARY FLAGS...: our ResNet-18 bf16 step (the default graph unless --variants)
  local t=$1 b=$2; shift 2
  run "$t" "$b" bench --backend "$backend" --model resnet18 --size 224 --precision bfloat16 "$@"
}

if want 1; then
  log "1a. bench, the host waits for each step (the usual build), PyTorch bf16_cl beside it"
  torch=()
  [ -f bin/torch_resnet18_bench.py ] && torch=(--torch bin/torch_resnet18_bench.py --python "$python" --torch-device cuda --torch-modes bf16_cl)
  bench 200 "$bin" --batches 128,32 --variants default,steps4 --warmup 8 --steps 40 --max-seconds 150 \
    --json "$out/bench-wait.json" "${torch[@]}"
  log "1b. bench, the async build"
  if [ -x "$async" ]; then bench 90 "$async" --batches 128,32 --warmup 8 --steps 40 --json "$out/bench-async.json"
  else log "no $async (ASYNC=0 in build.sh?)"; fi
fi

autotune_load=""
if want 2 || want 3; then
  log "2. XLA dump and autotuning results, batch 128"
  rm -rf /tmp/xla-dump /tmp/xla-autotune*
  # Flag sets tried in turn (this plugin's XLA rejects flags it does not know, and says so at once):
  # save|load of the autotuning results, then the per-fusion autotuning cache, then none.
  for pair in "--xla_gpu_dump_autotune_results_to=/tmp/xla-autotune.txt|--xla_gpu_load_autotune_results_from=/tmp/xla-autotune.txt" \
    "--xla_gpu_per_fusion_autotune_cache_dir=/tmp/xla-autotune-cache|--xla_gpu_per_fusion_autotune_cache_dir=/tmp/xla-autotune-cache" "|"; do
    seen=$(wc -l <"$out/$LOG")
    if XLA_FLAGS="--xla_dump_to=/tmp/xla-dump --xla_dump_hlo_as_text ${pair%%|*}" bench 90 "$bin" --batches 128 --warmup 0 --steps 1; then
      autotune_load=${pair#*|}
      break
    fi
    # failed for another reason than a flag: no point trying the others
    tail -n +$((seen + 1)) "$out/$LOG" | grep -q "Unknown flag" || break
  done
  [ -f /tmp/xla-autotune.txt ] && cp /tmp/xla-autotune.txt "$out/autotune.txt"
  if [ -d /tmp/xla-dump ]; then
    (cd /tmp/xla-dump && find . -name '*optimizations.txt' -o -name '*buffer-assignment.txt' -o -name '*memory-usage-report.txt' | sort | tar czf "$out/xla-dump.tgz" -T -)
    ls -l "$out/xla-dump.tgz" | tee -a "$out/$LOG"
  fi
  log "autotuning results for step 3: ${autotune_load:-none, so the profile of step 3 includes autotuning}"
fi

if want 3; then
  log "3a. Nsight Compute, our step (${ncu:-no ncu found})"
  if [ -n "$ncu" ]; then
    # The 2026-11-27 call: the process under ncu died at once ("Segmentation fault"), and a compile
    # under ncu was still running 2 minutes later. Two suspects taken out here: the CLI's restart
    # with LD_LIBRARY_PATH (its environment is set beforehand, so it does not restart), and the Go
    # runtime's preemption signals (GODEBUG=asyncpreemptoff=1, as for other injected tools).
    exports=$("$bin" backends --backend "$backend" --exports) || exports=""
    log "environment set before ncu: $(echo $exports)"
    (eval "$exports"; export GODEBUG=asyncpreemptoff=1
    XLA_FLAGS="$autotune_load" run 150 "$ncu" --target-processes all --clock-control none --cache-control none \
      --metrics gpu__time_duration.sum --csv --print-units base --log-file "$out/ncu-ours.csv" \
      "$bin" bench --backend "$backend" --model resnet18 --size 224 --precision bfloat16 --variants default \
      --batches 128 --warmup 0 --steps 1)
    ls -l "$out/ncu-ours.csv" | tee -a "$out/$LOG"
  fi
  log "3b. torch.profiler, PyTorch's bf16_cl step"
  run 90 "$python" deploy/gpu/torch_kernels.py --mode bf16_cl --batch 128 --warmup 5 --steps 3 --timed 20 --out "$out/torch-kernels.csv"
  log "3c. debiaser kernels"
  files=() labels=()
  [ -s "$out/ncu-ours.csv" ] && files+=("$out/ncu-ours.csv") && labels+=(ours)
  [ -s "$out/torch-kernels.csv" ] && files+=("$out/torch-kernels.csv") && labels+=(pytorch)
  # Ours: the wall time per step of step 1 (batch 128, sync at end); PyTorch's file carries its own.
  walls=()
  if [ -s "$out/ncu-ours.csv" ]; then
    walls+=("$("$python" -c 'import json, sys
r = [x for x in json.load(open(sys.argv[1]))["ours"] if x["batch"] == 128 and x["variant"] == "default"]
print(r[0]["ms_per_step_sync_end"] if r else "-")' "$out/bench-wait.json" 2>/dev/null || echo -)")
  fi
  [ -s "$out/torch-kernels.csv" ] && walls+=(-)
  if [ ${#files[@]} -gt 0 ]; then
    run 30 "$bin" kernels --top 25 --label "$(IFS=,; echo "${labels[*]}")" --wall-ms "$(IFS=,; echo "${walls[*]}")" "${files[@]}"
  fi
fi

if want 4; then
  log "4. XLA flag sets, batch 128, the default graph, one process each"
  flagsets=${FLAGSETS:-";--xla_gpu_enable_command_buffer=;--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL,CUDNN --xla_gpu_graph_min_graph_size=1;--xla_gpu_enable_triton_gemm=false;--xla_gpu_use_runtime_fusion=true"}
  IFS=';' read -r -a sets <<<"$flagsets"
  [[ "$flagsets" == *";" ]] && sets+=("")
  i=0
  for flags in "${sets[@]}"; do
    log "4.$i XLA_FLAGS='$flags'"
    XLA_FLAGS="$flags" bench 60 "$bin" --batches 128 --variants default --warmup 8 --steps 40 --max-seconds 40 \
      --json "$out/bench-flags-$i.json" || true
    i=$((i + 1))
  done
fi

if want 5; then
  study() { # study TIMEOUT BINARY LOGDIR [FLAGS...]
    local t=$1 b=$2 dir=$3; shift 3
    run "$t" "$b" study --backend "$backend" --dataset shapes-study --model resnet18 --pretrained false --image-size 224 \
      --precision bfloat16 --augment-on device --epochs 50 --parallel 4 --logdir "$dir" "$@"
  }
  log "5a. full study, --parallel 4, the usual build"
  study 200 "$bin" /tmp/debiaser-study-wait
  log "5b. full study, --parallel 4, 4 training steps per call, the validation set in one call"
  study 200 "$bin" /tmp/debiaser-study-steps4 --steps-per-call 4 --eval-batch-size 512
  log "5c. full study, --parallel 4, the async build"
  [ -x "$async" ] && study 200 "$async" /tmp/debiaser-study-async
  for d in /tmp/debiaser-study-wait /tmp/debiaser-study-steps4 /tmp/debiaser-study-async; do
    [ -d "$d" ] && run 30 "$bin" summary "$d"
  done
fi
log done
