"""Rebuild the tiny PyTorch networks from the committed ONNX files, for references that need the
networks when the training cache (.cache/*.pt) is not at hand.

The exporter wraps each net as ``net`` and stores large initializers as float16 with a ``__fp16``
suffix (tools/export/contract.py store_weights_fp16); ``torch.onnx.export`` renames Linear weights
that became MatMul operands (``onnx::MatMul_N``, transposed). Named initializers map by name; the
renamed ones map in graph order onto the state-dict entries left over, by transposed shape
(MatMul weights) or by shape without unit dimensions (GroupNorm affine as Mul/Add on [C, 1, 1]).
``check_against_component_references`` proves the mapping on the committed component references.
"""
from __future__ import annotations

import json
import os
from typing import Dict

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def _initializers(path: str) -> Dict[str, np.ndarray]:
    model = onnx.load(path)
    out = {}
    for init in model.graph.initializer:
        name = init.name[:-len('__fp16')] if init.name.endswith('__fp16') else init.name
        out[name] = numpy_helper.to_array(init).astype(np.float32)
    return out


def load_into(module: torch.nn.Module, path: str) -> torch.nn.Module:
    """Loads the weights of the ONNX file at ``path`` into ``module`` (strict: every entry is set)."""
    inits = _initializers(path)
    state = module.state_dict()
    loaded: Dict[str, torch.Tensor] = {}
    leftover_inits = []
    for name, value in inits.items():
        key = name[len('net.'):] if name.startswith('net.') else None
        if key is not None and key in state and tuple(state[key].shape) == value.shape:
            loaded[key] = torch.from_numpy(value.copy())
        else:
            leftover_inits.append((name, value))
    leftover_keys = [k for k in state if k not in loaded]
    for key in list(leftover_keys):
        shape = tuple(state[key].shape)
        for i, (name, value) in enumerate(leftover_inits):
            squeezed = tuple(d for d in value.shape if d != 1)
            if len(shape) == 2 and value.shape == shape[::-1]:
                loaded[key] = torch.from_numpy(value.T.copy())
            elif squeezed == tuple(d for d in shape if d != 1):  # GroupNorm affine as Mul/Add [C, 1, 1]
                loaded[key] = torch.from_numpy(value.reshape(shape).copy())
            else:
                continue
            leftover_inits.pop(i)
            leftover_keys.remove(key)
            break
    # Parameters the graph never reads (the projection's null embedding lives in null_embedding.bin).
    missing = [k for k in leftover_keys if k != 'null_embedding']
    if missing:
        raise RuntimeError(f'{path}: no initializer for {missing}; left: {[n for n, _ in leftover_inits]}')
    module.load_state_dict(loaded, strict=False)
    module.eval()
    return module


def load_null_embedding(projection: torch.nn.Module, folder: str) -> None:
    data = np.fromfile(os.path.join(folder, 'null_embedding.bin'), dtype='<f4')
    with torch.no_grad():
        projection.null_embedding.copy_(torch.from_numpy(data))


def _read(ref_dir: str, t: dict) -> torch.Tensor:
    dtype = {'float32': '<f4', 'int64': '<i8', 'uint8': 'u1'}[t['dtype']]
    return torch.from_numpy(np.fromfile(os.path.join(ref_dir, t['file']), dtype=dtype).reshape(t['dims']))


def check_against_component_references(folder: str, nets: Dict[str, torch.nn.Module], calls) -> None:
    """Runs each role's committed component reference through the rebuilt net; raises past 1e-4."""
    ref_dir = os.path.join(folder, 'reference')
    for role, net in nets.items():
        doc = json.load(open(os.path.join(ref_dir, role + '.json')))
        inputs = {k: _read(ref_dir, v) for k, v in doc['inputs'].items()}
        outputs = {k: _read(ref_dir, v) for k, v in doc['outputs'].items()}
        with torch.no_grad():
            got = calls[role](net, **inputs)
        (name, expected), = outputs.items()
        err = float((got - expected).abs().max())
        if err > 1e-4:
            raise RuntimeError(f'{role}: rebuilt net differs from its component reference by {err}')
        print(f'{role}: max |Δ| vs component reference {err:.2e}')
