#!/usr/bin/env bash
# The GPU check of issue 10, prepared for two device calls (carry ["bin"]; steps as arguments):
#   bash deploy/gpu/check.sh 1 2 3     (timeout_s ~330: about 4 minutes expected)
#   bash deploy/gpu/check.sh 4         (timeout_s ~480)
# Steps, each under its own timeout so one failure leaves the others' output:
#   1. the machine, and what `debiaser backends` says of the CUDA plugin (env, device line);
#   2. a bf16 ResNet-18 step compiles and runs (the go-xla bf16 literal fix, toolkit/xlafix);
#   3. `debiaser bench`: our ResNet-18 training step, float32 and bfloat16, batches 64 and 128,
#      224x224, and the PyTorch anchor in the same call, with the ratio;
#   4. the full study: 13 methods x 50 epochs, ResNet-18 at 224, 1,500 train / 500 valid
#      (generated shapes-study data: the flowers are not on that machine), bfloat16, training
#      batches augmented on the GPU (AUGMENT_ON=host for the host pipeline), whole batches only
#      (--drop-last: one training-step compile per run; DROP_LAST= keeps the study's partial
#      batch), wall time and the compile count and time.
# check.log and bench.json go to $OUT (or out/gpu; the device tool returns at most 8 files), the
# 13 study logs to $STUDY_DIR (default /tmp/debiaser-study); everything is printed.
set -u
cd "$(dirname "$0")/../.."
steps=" ${*:-1 2 3 4} "
want() { [[ "$steps" == *" $1 "* ]]; }
out=${OUT:-out/gpu}
mkdir -p "$out"
bin=bin/debiaser-xla
plugin=${PLUGIN:-$(ls /opt/torch/.venv/lib/python3*/site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so 2>/dev/null | head -1)}
python=${PYTHON:-$(command -v python3)}
log() { echo "== $* ($(date +%T))" | tee -a "$out/check.log"; }
run() { local t=$1; shift; timeout "$t" "$@" 2>&1 | tee -a "$out/check.log"; echo "exit ${PIPESTATUS[0]}" | tee -a "$out/check.log"; }

log machine
run 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
run 10 nproc
if [ ! -x "$bin" ] || [ -z "$plugin" ]; then log "missing: binary $bin (run deploy/gpu/build.sh, carry bin) or plugin '$plugin'"; exit 1; fi
backend="xla:$plugin"

if want 1; then
log "1. backends"
run 60 "$bin" backends --backend "$backend"
fi

if want 2; then
log "2. bf16 ResNet-18 step (compile check)"
run 120 "$bin" bench --backend "$backend" --model resnet18 --batches 32 --size 224 --precision bfloat16 --warmup 1 --steps 3
fi

if want 3; then
log "3. bench against PyTorch"
torch=()
[ -f bin/torch_resnet18_bench.py ] && torch=(--torch bin/torch_resnet18_bench.py --python "$python" --torch-device cuda --torch-modes fp32,fp32_cl,bf16_cl)
run 300 "$bin" bench --backend "$backend" --model resnet18 --batches 64,128 --size 224 --precision float32,bfloat16 \
  --warmup 5 --steps 20 --max-seconds 200 --json "$out/bench.json" "${torch[@]}"
fi

if want 4; then
log "4. full study (augment_on ${AUGMENT_ON:-device})"
run "${STUDY_TIMEOUT:-420}" "$bin" study --backend "$backend" --dataset shapes-study --model resnet18 --pretrained false \
  --epochs 50 --image-size 224 --precision bfloat16 --augment-on "${AUGMENT_ON:-device}" ${DROP_LAST---drop-last} --logdir "${STUDY_DIR:-/tmp/debiaser-study}"
fi
log done
