"""Reference fixtures for packages/core/src/guidance (spec §3.8, §4.6).

Classifier-free guidance as the Kandinsky 3 pipelines compute it in float32 torch:
    noise_pred = (w + 1) * cond - w * uncond                                   (spec §3.8)
and, when guidance_rescale > 0 (K3D pipelines), the std-ratio rescale of Lin et al. 2023:
    std_text = cond.std(dim=non-batch dims, keepdim=True)   # torch default: unbiased
    std_cfg  = noise_pred.std(dim=non-batch dims, keepdim=True)
    noise_pred = phi * noise_pred * (std_text / std_cfg) + (1 - phi) * noise_pred
IP-Adapter image-embedding mixing (spec §4.6 step 2): e = sum_i w_i * e_i (no normalisation),
plus a normalised variant (weights divided by their sum) for the TS `normalize` option.

Run: /usr/bin/python3 tools/reference/guidance.py   (torch 1.13 CPU, deterministic, < 1 s)
Writes packages/core/src/guidance/fixtures/guidance.json; float32 arrays are base64 of
little-endian float32 bytes.
"""
import base64
import json
import os

import numpy as np
import torch

torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "core", "src", "guidance", "fixtures", "guidance.json")

generator = torch.Generator().manual_seed(20261125)


def f32(tensor):
    return base64.b64encode(np.ascontiguousarray(tensor.numpy(), dtype="<f4").tobytes()).decode("ascii")


def guidance(cond, uncond, scale, rescale):
    noise_pred = (scale + 1.0) * cond - scale * uncond
    if rescale > 0:
        dims = list(range(1, cond.ndim))
        std_text = cond.std(dim=dims, keepdim=True)
        std_cfg = noise_pred.std(dim=dims, keepdim=True)
        rescaled = noise_pred * (std_text / std_cfg)
        noise_pred = rescale * rescaled + (1 - rescale) * noise_pred
    return noise_pred


GUIDANCE_CASES = [
    # dims, guidance scale, guidance rescale
    ([1, 4, 8, 8], 3.0, 0.0),  # Kandinsky 3.1 default w = 3
    ([2, 4, 8, 8], 7.5, 0.0),  # K3D README scale, batch of two
    ([2, 4, 8, 8], 7.0, 0.7),  # rescale, per-item std
    ([1, 4, 6, 10], 0.5, 1.0),  # full rescale
    ([1, 3, 5, 5], -1.0, 0.0),  # w = -1: output equals uncond
]

guidance_cases = []
for dims, scale, rescale in GUIDANCE_CASES:
    cond = torch.randn(dims, generator=generator)
    # Make uncond close to cond with a different spread, like a real UNet pair.
    uncond = 0.8 * cond + 0.3 * torch.randn(dims, generator=generator)
    guidance_cases.append({
        "dims": dims,
        "guidanceScale": scale,
        "guidanceRescale": rescale,
        "conditional": f32(cond),
        "unconditional": f32(uncond),
        "expected": f32(guidance(cond, uncond, scale, rescale)),
    })

MIX_CASES = [
    # dims, weights, normalize
    ([1, 768], [1.0], False),  # variation mode
    ([1, 768], [0.5, 0.5], False),  # image mixing (README)
    ([1, 768], [0.3, 1.2, -0.4], False),  # negative weight (extrapolation)
    ([1, 768], [1.0, 3.0], True),  # normalised: 0.25 / 0.75
    ([2, 16], [2.0, -0.5], True),
]

mix_cases = []
for dims, weights, normalize in MIX_CASES:
    embeddings = [torch.randn(dims, generator=generator) for _ in weights]
    used = [w / sum(weights) for w in weights] if normalize else weights
    mixed = torch.zeros(dims)
    for w, e in zip(used, embeddings):
        mixed = mixed + w * e
    mix_cases.append({
        "dims": dims,
        "weights": weights,
        "normalize": normalize,
        "embeddings": [f32(e) for e in embeddings],
        "expected": f32(mixed),
    })

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as handle:
    json.dump({
        "generator": "tools/reference/guidance.py",
        "torch": torch.__version__,
        "guidance": guidance_cases,
        "mix": mix_cases,
    }, handle, indent=1)
print("wrote", OUT)
