"""Reference fixtures for packages/core/src/image (spec §2.7, §4.4, §4.5, §4.8.1, §5).

Run with Debian's interpreter (torch 1.13 CPU, Pillow 9.4):

    /usr/bin/python3 tools/reference/image.py

Writes packages/core/src/image/fixtures/image.json. Deterministic: inputs come from a seeded
numpy RandomState; float32 arrays are stored as base64 of little-endian float32 bytes, uint8
images as base64 of their raw RGB bytes (row-major, 3 bytes per pixel).
"""

import base64
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "core", "src", "image", "fixtures", "image.json")

rng = np.random.RandomState(20261125)


def f32(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def u8(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode("ascii")


# --- torch F.interpolate on float NCHW tensors --------------------------------------------------
# (batch, channels, in_h, in_w, out_h, out_w): up and down by non-integer factors, ×4 both ways,
# odd aspect ratios, one axis unchanged.
INTERPOLATE_CASES = [
    (2, 2, 9, 13, 23, 17),
    (2, 3, 23, 17, 9, 13),
    (1, 1, 8, 8, 32, 32),
    (1, 1, 64, 64, 16, 16),
    (1, 1, 4, 100, 3, 37),
    (1, 1, 37, 5, 100, 4),
    (1, 1, 32, 32, 20, 48),
    (1, 2, 5, 7, 5, 11),
    (1, 1, 1, 6, 4, 1),
]

interpolate = []
for n, c, ih, iw, oh, ow in INTERPOLATE_CASES:
    x = torch.from_numpy(rng.uniform(-1.0, 1.0, size=(n, c, ih, iw)).astype(np.float32))
    outputs = {}
    for mode, align in (("bilinear", False), ("bilinear", True), ("bicubic", False), ("bicubic", True)):
        y = F.interpolate(x, size=(oh, ow), mode=mode, align_corners=align)
        outputs[f"{mode}-{'align' if align else 'noalign'}"] = f32(y.numpy())
    interpolate.append({"dims": [n, c, ih, iw], "height": oh, "width": ow, "input": f32(x.numpy()),
                        "outputs": outputs})

# Nearest: feed the flat index as the value, so the output *is* the chosen source index.
NEAREST_SIZES = [(9, 23), (23, 9), (16, 64), (64, 16), (37, 100), (100, 37), (13, 17), (17, 13),
                 (7, 14), (14, 7), (1, 5), (5, 1), (64, 37), (127, 128), (128, 127), (3, 1000),
                 (999, 1000), (1000, 999), (96, 32), (32, 96)]
nearest = []
for in_size, out_size in NEAREST_SIZES:
    x = torch.arange(in_size, dtype=torch.float32).reshape(1, 1, 1, in_size)
    y = F.interpolate(x, size=(1, out_size), mode="nearest")
    nearest.append({"in": in_size, "out": out_size, "indices": [int(v) for v in y.flatten().tolist()]})
# A 2-D nearest case on a real tensor (both axes at once, batch and channels).
x = torch.from_numpy(rng.uniform(-1.0, 1.0, size=(2, 3, 9, 13)).astype(np.float32))
nearest_2d = {"dims": [2, 3, 9, 13], "height": 20, "width": 6, "input": f32(x.numpy()),
              "output": f32(F.interpolate(x, size=(20, 6), mode="nearest").numpy())}

# --- Pillow resize on uint8 RGB and float "F" images ---------------------------------------------


def random_rgb(width, height, smooth):
    if smooth:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
        base = np.stack([
            128 + 100 * np.sin(xx / 3.1 + yy / 5.3),
            128 + 100 * np.cos(xx / 4.7 - yy / 2.9),
            255 * (xx + yy) / (width + height),
        ], axis=-1)
        noise = rng.uniform(-20, 20, size=base.shape)
        return np.clip(np.round(base + noise), 0, 255).astype(np.uint8)
    return rng.randint(0, 256, size=(height, width, 3)).astype(np.uint8)


# (in_w, in_h, out_w, out_h, smooth)
PIL_CASES = [
    (13, 9, 17, 23, False),
    (17, 23, 13, 9, False),
    (16, 16, 64, 64, True),
    (64, 64, 16, 16, False),
    (100, 8, 37, 5, True),
    (8, 37, 5, 100, False),
    (32, 32, 32, 20, False),
    (32, 32, 45, 32, True),
    (64, 48, 21, 17, True),
    (13, 9, 13, 9, False),
    (3, 2, 200, 1, False),
    (200, 3, 3, 1, False),
    (7, 5, 1, 1, True),
]
PIL_FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS,
               "box": Image.BOX, "hamming": Image.HAMMING}
pillow = []
for iw, ih, ow, oh, smooth in PIL_CASES:
    pixels = random_rgb(iw, ih, smooth)
    image = Image.fromarray(pixels, "RGB")
    outputs = {}
    for name, flt in PIL_FILTERS.items():
        # The other filters share bicubic's code path; keep the fixture small for big outputs.
        if name in ("bicubic", "bilinear") or ow * oh <= 1200:
            outputs[name] = u8(np.asarray(image.resize((ow, oh), flt)))
    pillow.append({"width": iw, "height": ih, "outWidth": ow, "outHeight": oh, "input": u8(pixels),
                   "outputs": outputs})

# Pillow's float ("F") path: same weights, double accumulation, no 8-bit rounding.
pillow_float = []
for iw, ih, ow, oh in [(13, 9, 17, 23), (64, 48, 21, 17), (37, 20, 12, 50)]:
    plane = rng.uniform(-1.0, 1.0, size=(ih, iw)).astype(np.float32)
    image = Image.fromarray(plane, "F")
    outputs = {name: f32(np.asarray(image.resize((ow, oh), flt))) for name, flt in PIL_FILTERS.items()}
    pillow_float.append({"width": iw, "height": ih, "outWidth": ow, "outHeight": oh,
                         "input": f32(plane), "outputs": outputs})

# --- CLIP preprocessing as transformers' CLIPImageProcessor does it (spec §2.7), small size -------
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float64)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float64)
clip = []
for iw, ih, size in [(45, 31, 24), (31, 45, 24), (50, 27, 16)]:
    pixels = random_rgb(iw, ih, True)
    short, long = (iw, ih) if iw <= ih else (ih, iw)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if iw <= ih else (new_long, new_short)
    resized = np.asarray(Image.fromarray(pixels, "RGB").resize((new_w, new_h), Image.BICUBIC))
    top = (new_h - size) // 2
    left = (new_w - size) // 2
    cropped = resized[top:top + size, left:left + size]
    scaled = cropped.astype(np.float64) * (1 / 255)
    normalized = ((scaled - MEAN) / STD).astype(np.float32).transpose(2, 0, 1)
    clip.append({"width": iw, "height": ih, "size": size, "input": u8(pixels),
                 "resizedWidth": new_w, "resizedHeight": new_h, "resized": u8(resized),
                 "pixelValues": f32(normalized)})

# --- tensor -> uint8 post-processing (spec §5) ---------------------------------------------------
values = np.concatenate([
    rng.uniform(-1.2, 1.2, size=2000),
    (2 * np.arange(256) / 255 - 1),  # exactly the values an image -> tensor conversion produces
    np.array([-1.0, 1.0, 0.0, -1.5, 1.5, -0.99999994, 0.99999994, 0.5, -0.5]),  # 2265 = 3·755
]).astype(np.float32)
t = torch.from_numpy(values.copy())
# ai-forever: torch.clip((x + 1) / 2, 0, 1) then ToPILImage (pic.mul(255).byte(): truncation).
truncated = torch.clip((t + 1.0) / 2.0, 0.0, 1.0).mul(255).byte().numpy()
# diffusers: (x / 2 + 0.5).clamp(0, 1) -> numpy -> (images * 255).round().astype("uint8").
rounded = (((t / 2 + 0.5).clamp(0, 1)).numpy() * 255).round().astype(np.uint8)
to_unit = (torch.arange(256, dtype=torch.uint8).float().div(255)).numpy()  # ToTensor
postprocess = {"values": f32(values), "truncate": u8(truncated), "round": u8(rounded),
               "toUnit": f32(to_unit)}

# --- padding (torch F.pad modes) -----------------------------------------------------------------
x = torch.from_numpy(rng.uniform(-1.0, 1.0, size=(2, 3, 5, 7)).astype(np.float32))
pads = []
for left, right, top, bottom in [(1, 2, 3, 0), (0, 6, 4, 4), (2, 2, 2, 2)]:
    outputs = {
        "constant": f32(F.pad(x, (left, right, top, bottom), mode="constant", value=0.25).numpy()),
        "reflect": f32(F.pad(x, (left, right, top, bottom), mode="reflect").numpy()),
        "replicate": f32(F.pad(x, (left, right, top, bottom), mode="replicate").numpy()),
    }
    pads.append({"left": left, "right": right, "top": top, "bottom": bottom, "outputs": outputs})
pad = {"dims": [2, 3, 5, 7], "input": f32(x.numpy()), "cases": pads}

fixture = {
    "generator": "tools/reference/image.py",
    "versions": {"torch": torch.__version__, "pillow": Image.__version__, "numpy": np.__version__},
    "interpolate": interpolate,
    "nearest": nearest,
    "nearest2d": nearest_2d,
    "pillow": pillow,
    "pillowFloat": pillow_float,
    "clip": clip,
    "postprocess": postprocess,
    "pad": pad,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as handle:
    json.dump(fixture, handle, separators=(",", ":"))
print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")
