"""Reference fixture for packages/core/src/image/canny-edges.ts: OpenCV's Canny on 3-channel
images, as controlnet_aux's CannyDetector calls it (`cv2.Canny(image, low, high)`, aperture 3,
L1 gradient; spec §2.8 "canny fallback").

Run with Debian's interpreter and python3-opencv (OpenCV 4.6):

    /usr/bin/python3 tools/reference/canny.py

Writes packages/core/src/image/fixtures/canny.json: per case the RGB input and the uint8 edge
map (one byte per pixel, 0 or 255), base64, row-major. Deterministic (seeded numpy RandomState).
"""

import base64
import json
import os

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "core", "src", "image", "fixtures", "canny.json")
rng = np.random.RandomState(20261206)


def u8(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode("ascii")


def shapes(width, height):
    """Flat shapes on a flat background touching the border: the tiny world's kind of image."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = (245, 245, 245)
    cv2.circle(image, (width // 3, height // 2), min(width, height) // 4, (220, 40, 40), -1)
    cv2.rectangle(image, (width // 2, 0), (width - 1, height // 3), (40, 80, 230), -1)
    pts = np.array([[width // 2, height - 1], [width - 5, height - 1], [3 * width // 4, height // 2]], np.int32)
    cv2.fillPoly(image, [pts], (40, 180, 70))
    return image


def smooth_noise(width, height):
    noise = rng.randint(0, 256, size=(height // 4 + 1, width // 4 + 1, 3)).astype(np.uint8)
    return cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)


cases = []
for name, image, thresholds in [
    ("shapes 64x64", shapes(64, 64), [(100, 200), (10, 30)]),
    ("shapes 80x48", shapes(80, 48), [(100, 200)]),
    ("smooth noise 64x64", smooth_noise(64, 64), [(100, 200), (50, 120), (200, 100)]),
    ("uniform noise 33x21", rng.randint(0, 256, size=(21, 33, 3)).astype(np.uint8), [(100, 200), (400, 800)]),
    ("flat 16x16", np.full((16, 16, 3), 77, np.uint8), [(100, 200)]),
]:
    for low, high in thresholds:
        edges = cv2.Canny(image, low, high)
        cases.append({"name": name, "width": image.shape[1], "height": image.shape[0], "low": low, "high": high,
                      "input": u8(image), "edges": u8(edges), "edgeCount": int((edges > 0).sum())})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"source": "tools/reference/canny.py", "opencv": cv2.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", OUT, [(c["name"], c["low"], c["high"], c["edgeCount"]) for c in cases])
