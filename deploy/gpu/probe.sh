#!/usr/bin/env bash
# A short first GPU call (carry ["bin"], timeout_s ~360): where does the time of a study run go?
#   bash deploy/gpu/probe.sh
# 1. the machine and `debiaser backends`;
# 2. `debiaser bench`: ResNet-18 224x224 training step at batches 32 (the study's) and 128 (the
#    issue's goal), float32 and bfloat16, and the PyTorch anchor (fp32, fp32_cl, bf16_cl) beside it;
# 3. two study methods with equal graphs (baseline, oversampling), 50 epochs each, verbose (each
#    epoch's train/valid split), with a Go CPU profile (study.pprof) and nvidia-smi dmon (GPU use)
#    beside it.
# Everything goes to $OUT (probe.log, bench.json, study.pprof, dmon.txt) and is printed.
set -u
cd "$(dirname "$0")/../.."
LOG=probe.log
source deploy/gpu/lib.sh

machine
run 10 nproc
log backends
run 60 "$bin" backends --backend "$backend"

log "bench (ours and PyTorch)"
torch=()
[ -f bin/torch_resnet18_bench.py ] && torch=(--torch bin/torch_resnet18_bench.py --python "$python" --torch-device cuda --torch-modes fp32,fp32_cl,bf16_cl)
run "${BENCH_TIMEOUT:-170}" "$bin" bench --backend "$backend" --model resnet18 --batches 32,128 --size 224 --precision bfloat16,float32 \
  --warmup 5 --steps 20 --max-seconds 100 --json "$out/bench.json" "${torch[@]}"

log "study probe: ${METHODS:-baseline,oversampling}"
nvidia-smi dmon -s u -d 1 >"$out/dmon.txt" 2>&1 &
dmon=$!
DEBIASER_CPUPROFILE="$out/study.pprof" run "${STUDY_TIMEOUT:-130}" "$bin" study --backend "$backend" --dataset shapes-study --model resnet18 \
  --pretrained false --epochs "${EPOCHS:-50}" --image-size 224 --precision bfloat16 --augment-on "${AUGMENT_ON:-device}" --drop-last \
  --methods "${METHODS:-baseline,oversampling}" --verbose --logdir /tmp/debiaser-probe
kill $dmon 2>/dev/null
log done
