"""Reference fixtures for packages/core/src/tiling (spec §4.8.1 step 6, §4.8.2).

Independent float32 torch implementation of the KandiSuperRes view layout and MultiDiffusion
blend as the spec describes them (ai-forever/KandiSuperRes: KandiSuperRes/model/diffusion_sr.py):
  blocks per axis = ceil((S - win) / stride) + 1 if S > win else 1; start = i * stride; a window
  that would end past S is moved back to end at S; one whole-side view when S <= win;
  value/count accumulation, x = value / count where count > 0.
Also the MultiDiffusion paper layout (omerbt/MultiDiffusion: panorama.py): floor((S-win)/stride)+1
blocks, remainder dropped.

The blend case uses views that DISAGREE (each view's output is a different affine map of its
crop), so the average itself is what is compared.

Run: /usr/bin/python3 tools/reference/tiling.py   (torch 1.13 CPU, deterministic, < 1 s)
Writes packages/core/src/tiling/fixtures/tiling.json (float32 arrays as base64, little-endian).
"""
import base64
import json
import math
import os

import numpy as np
import torch

torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "core", "src", "tiling", "fixtures", "tiling.json")


def f32(tensor):
    return base64.b64encode(np.ascontiguousarray(tensor.numpy(), dtype="<f4").tobytes()).decode("ascii")


def snap_views(height, width, window, stride):
    blocks_h = math.ceil((height - window) / stride) + 1 if height > window else 1
    blocks_w = math.ceil((width - window) / stride) + 1 if width > window else 1
    views = []
    for i in range(blocks_h * blocks_w):
        top = (i // blocks_w) * stride
        left = (i % blocks_w) * stride
        view_h = min(window, height)
        view_w = min(window, width)
        if top + view_h > height:
            top = height - view_h
        if left + view_w > width:
            left = width - view_w
        views.append([top, left, view_h, view_w])
    return views


def drop_views(height, width, window, stride):
    blocks_h = (height - window) // stride + 1
    blocks_w = (width - window) // stride + 1
    return [[(i // blocks_w) * stride, (i % blocks_w) * stride, window, window] for i in range(blocks_h * blocks_w)]


LAYOUTS = []
for height, width in [(4096, 4096), (2048, 2048), (1024, 1024), (1020, 3000), (4096, 2560), (512, 512), (2049, 1825)]:
    LAYOUTS.append({"rule": "snap-to-edge", "height": height, "width": width, "window": 1024, "stride": 800,
                    "views": snap_views(height, width, 1024, 800)})
for height, width in [(64, 256), (64, 64), (100, 130)]:
    LAYOUTS.append({"rule": "drop-remainder", "height": height, "width": width, "window": 64, "stride": 8,
                    "views": drop_views(height, width, 64, 8)})

# Blend with disagreeing views: output_i = crop * (1 + 0.25 i) + 0.1 i, on a [1, 3, 40, 52] canvas,
# window 16, stride 12 (snap) and window 16, stride 5 (drop: up to 4 overlaps per axis).
generator = torch.Generator().manual_seed(4)
BLENDS = []
for rule, window, stride in [("snap-to-edge", 16, 12), ("drop-remainder", 16, 5)]:
    canvas = torch.randn([1, 3, 40, 52], generator=generator)
    views = snap_views(40, 52, window, stride) if rule == "snap-to-edge" else drop_views(40, 52, window, stride)
    value = torch.zeros_like(canvas)
    count = torch.zeros_like(canvas)
    for index, (top, left, view_h, view_w) in enumerate(views):
        crop = canvas[:, :, top:top + view_h, left:left + view_w]
        output = crop * (1 + 0.25 * index) + 0.1 * index
        value[:, :, top:top + view_h, left:left + view_w] += output
        count[:, :, top:top + view_h, left:left + view_w] += 1
    result = torch.where(count > 0, value / count, canvas)  # uncovered pixels keep the canvas value
    BLENDS.append({"rule": rule, "window": window, "stride": stride, "dims": [1, 3, 40, 52],
                   "canvas": f32(canvas), "expected": f32(result)})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as handle:
    json.dump({"generator": "tools/reference/tiling.py", "torch": torch.__version__,
               "layouts": LAYOUTS, "blends": BLENDS}, handle)
print("wrote", OUT)
