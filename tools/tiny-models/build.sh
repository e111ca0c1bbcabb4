#!/bin/sh
# Rebuild the tiny Kandinsky-format models: train (finished stages are skipped; delete
# tools/tiny-models/.cache/<stage>.pt to retrain one), export to models/tiny/, evaluate, write the
# PyTorch references and the model cards, then check the folders in onnxruntime-node.
#
# Training runs in two lanes of one torch thread each (this machine has 2 cores):
#   lane 1: movq → base → flash → inpainting
#   lane 2: super-resolution (sr/build.py) → beautifier LM (lm/build.py) → ip_adapter → controlnet
#           (the last two start once base exists)
# Logs: .cache/lane-*.log.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
# One thread per lane: OpenBLAS's own thread pool on top of torch's oversubscribes 2 cores.
export TINY_THREADS=1 OPENBLAS_NUM_THREADS=1
mkdir -p .cache

# Debian's python3-torch calls the system BLAS; the reference libblas3 makes training ~3× slower than OpenBLAS.
case "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" in
  *openblas*) ;;
  *) echo "warning: libblas.so.3 is not OpenBLAS; training will be slow (apt-get install -y libopenblas0-pthread)" >&2 ;;
esac

start=$(date +%s)
(
  $PY sr/build.py && $PY lm/build.py
  while [ ! -f .cache/base.pt ]; do
    [ -f .cache/lane-1.failed ] && exit 1
    sleep 10
  done
  $PY train.py ip_adapter controlnet
) > .cache/lane-2.log 2>&1 &
lane2=$!
( $PY train.py movq base flash inpainting || { touch .cache/lane-1.failed; exit 1; } ) > .cache/lane-1.log 2>&1 &
lane1=$!
wait $lane1
wait $lane2
rm -f .cache/lane-1.failed
end=$(date +%s)
echo "{\"training_wall_seconds\": $((end - start))}" > .cache/train-wall.json
echo "training took $((end - start)) s (wall clock, both lanes)"

$PY export_tiny.py
$PY evaluate.py
$PY reference.py
$PY cards.py
cd ../.. && node tools/tiny-models/check-onnx.mjs models/tiny/kandinsky3-tiny models/tiny/kandinsky3-tiny-ip-adapter models/tiny/kandinsky3-tiny-controlnet-hed
