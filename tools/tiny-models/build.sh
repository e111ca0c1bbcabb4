#!/bin/sh
# Rebuild the tiny Kandinsky-format models: train (finished stages are skipped; delete
# tools/tiny-models/.cache/<stage>.pt to retrain one), export to models/tiny/, evaluate, write the
# PyTorch references and the model cards, then check the folders in onnxruntime-node.
#
# Training, on this machine's 2 cores:
#   phase 1: movq → base, one process with two torch threads (everything else needs them);
#   phase 2: two lanes of one thread each:
#     lane 1: flash (its teacher bank first) → inpainting → beautifier LM (lm/build.py)
#     lane 2: ip_adapter → controlnet → super-resolution (sr/build.py)
#   (The shipped models' timed run, 2026-11-28 16:15, had SR in lane 1: lane 1 took 20.1 min and
#   lane 2 16.7 min.)
# Logs: <cache>/phase-1.log, <cache>/lane-*.log; wall clock in <cache>/train-wall.json.
#
# TINY_CACHE=DIR trains into another cache; with TINY_TRAIN_ONLY=1 the run stops after training
# (SR and LM then export into DIR/sr-out and DIR/lm-out instead of models/tiny/): a timing or
# reproducibility run that leaves the committed models alone. `evaluate.py` with the same
# TINY_CACHE measures what it trained.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
CACHE=${TINY_CACHE:-$PWD/.cache}
export TINY_CACHE="$CACHE"
# OpenBLAS's own thread pool on top of torch's oversubscribes 2 cores.
export OPENBLAS_NUM_THREADS=1
mkdir -p "$CACHE"
SR_ARGS=""
LM_ARGS=""
if [ "${TINY_TRAIN_ONLY:-0}" = 1 ]; then
  SR_ARGS="--out $CACHE/sr-out"
  LM_ARGS="--out $CACHE/lm-out"
fi

# Debian's python3-torch calls the system BLAS; the reference libblas3 makes training ~3× slower than OpenBLAS.
case "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" in
  *openblas*) ;;
  *) echo "warning: libblas.so.3 is not OpenBLAS; training will be slow (apt-get install -y libopenblas0-pthread)" >&2 ;;
esac

start=$(date +%s)
TINY_THREADS=2 $PY train.py movq base > "$CACHE/phase-1.log" 2>&1
phase1=$(date +%s)
(
  export TINY_THREADS=1
  ( $PY train.py flash inpainting && $PY lm/build.py $LM_ARGS ) > "$CACHE/lane-1.log" 2>&1 &
  lane1=$!
  ( $PY train.py ip_adapter controlnet && $PY sr/build.py $SR_ARGS ) > "$CACHE/lane-2.log" 2>&1 &
  lane2=$!
  status=0
  wait $lane1 || status=1
  wait $lane2 || status=1
  exit $status
)
end=$(date +%s)
echo "{\"training_wall_seconds\": $((end - start)), \"phase_1_seconds\": $((phase1 - start)), \"phase_2_seconds\": $((end - phase1))}" > "$CACHE/train-wall.json"
echo "training took $((end - start)) s (wall clock: phase 1 $((phase1 - start)) s, phase 2 $((end - phase1)) s)"
[ "${TINY_TRAIN_ONLY:-0}" = 1 ] && exit 0

$PY export_tiny.py
$PY evaluate.py
$PY reference.py
# reference.py rewrites reference/; the IP-Adapter and ControlNet whole-pipeline references follow.
$PY k3d_pipeline_references.py
$PY cards.py
cd ../.. && node tools/tiny-models/check-onnx.mjs models/tiny/kandinsky3-tiny models/tiny/kandinsky3-tiny-ip-adapter models/tiny/kandinsky3-tiny-controlnet-hed
