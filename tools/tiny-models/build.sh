#!/bin/sh
# Rebuild the tiny Kandinsky-format models: train (finished stages are skipped; delete
# tools/tiny-models/.cache/<stage>.pt to retrain one), export to models/tiny/, evaluate, write the
# PyTorch references and the model cards, then check the folders in onnxruntime-node.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
mkdir -p .cache
$PY train.py
$PY export_tiny.py
$PY evaluate.py
$PY reference.py
$PY cards.py
cd ../.. && node tools/tiny-models/check-onnx.mjs models/tiny/kandinsky3-tiny models/tiny/kandinsky3-tiny-ip-adapter models/tiny/kandinsky3-tiny-controlnet-hed
