"""The seeded synthetic world of the tiny Kandinsky-format models (issue 3).

64x64 RGB images of one or two flat-coloured shapes on a flat-coloured background, with a caption
in one of a few sentence forms, plus masks, edge maps and 16x16/64x64 pairs for super-resolution.

Pure torch, vectorised over the batch: ``sample_batch(1024, seed)`` takes a few milliseconds.

Stable API (other tools import it; keep these names):

* ``COLORS`` (name -> RGB uint8 triple), ``SHAPES``, ``POSITIONS`` (name -> (cx, cy) in pixels),
  ``IMAGE_SIZE`` (64), ``LOW_RES_SIZE`` (16), ``VOCABULARY`` (every word a caption may contain),
  ``TRAIN_SEED_BASE`` / ``EVAL_SEED_BASE`` (disjoint seed streams for training and held-out data).
* ``sample_batch(n, seed, two_shape_probability=0.25) -> WorldBatch``.
* ``render(scenes) -> WorldBatch`` for explicit scenes (lists of ``Scene``).
* ``caption_for(scene, form)``, ``parse_caption(text) -> dict`` (the colour/shape the prompt asks for).
* ``to_model_range(uint8 NHWC) -> float NCHW in [-1, 1]`` and ``from_model_range``.
* ``downsample(images, factor)`` — area (box) average, the 64 -> 16 SR input.
"""
from __future__ import annotations

import dataclasses
import math
import random
from typing import Dict, List, Optional, Sequence, Tuple

import torch

IMAGE_SIZE = 64
LOW_RES_SIZE = 16
TRAIN_SEED_BASE = 1_000_000
EVAL_SEED_BASE = 9_000_000

# Saturated, well-separated colours so that a nearest-colour rule classifies them unambiguously.
COLORS: Dict[str, Tuple[int, int, int]] = {
    'red': (220, 40, 40),
    'green': (40, 180, 70),
    'blue': (40, 80, 230),
    'yellow': (240, 220, 40),
    'orange': (245, 140, 30),
    'purple': (150, 60, 190),
    'white': (245, 245, 245),
    'black': (25, 25, 25),
}
COLOR_NAMES: List[str] = list(COLORS)
SHAPES: List[str] = ['circle', 'square', 'triangle']
# Background colours are drawn from the whole palette; the shape colour always differs.
POSITIONS: Dict[str, Tuple[float, float]] = {
    'top left': (18, 18), 'top': (32, 18), 'top right': (46, 18),
    'left': (18, 32), 'center': (32, 32), 'right': (46, 32),
    'bottom left': (18, 46), 'bottom': (32, 46), 'bottom right': (46, 46),
}
POSITION_NAMES: List[str] = list(POSITIONS)
# Half-extent ranges in pixels. Even a small shape spans 2–3 cells of the /8 latent grid: below that
# an 8×8×4 autoencoder cannot draw a triangle's corners and every small shape decodes as a blob.
SIZES = {'small': (9.0, 12.0), 'big': (13.0, 17.0)}

# Caption forms. {c}=colour, {s}=shape, {b}=background colour, {p}=position, {z}=size word.
FORMS_ONE = [
    'a {c} {s} on a {b} background',
    '{c} {s}, {p}',
    'a {c} {s}',
    'a {z} {c} {s} on a {b} background',
    'a {c} {s} in the {p} on a {b} background',
]
FORM_TWO = 'a {c} {s} and a {c2} {s2} on a {b} background'

VOCABULARY: List[str] = sorted(
    set(COLOR_NAMES) | set(SHAPES) | set(SIZES)
    | {w for p in POSITION_NAMES for w in p.split()}
    | {'a', 'on', 'background', 'in', 'the', 'and', ','}
)


@dataclasses.dataclass
class Shape:
    """One shape: kind, colour name, centre (pixels) and half-extent (pixels)."""
    kind: str
    color: str
    cx: float
    cy: float
    radius: float
    position: str = 'center'
    size: str = 'big'


@dataclasses.dataclass
class Scene:
    background: str
    shapes: List[Shape]
    form: int = 0


@dataclasses.dataclass
class WorldBatch:
    """A rendered batch. Tensors are CPU torch tensors.

    images: uint8 [N, 64, 64, 3]; masks: bool [N, 64, 64] (union of shapes);
    first_mask: bool [N, 64, 64] (first shape only, the one a one-shape caption names);
    edges: float32 [N, 64, 64] in {0, 1} (outline of every shape, 1 px inside the boundary);
    low_res: uint8 [N, 16, 16, 3] (4x4 box average of images); captions: list of str;
    scenes: list of Scene.
    """
    images: torch.Tensor
    masks: torch.Tensor
    first_mask: torch.Tensor
    edges: torch.Tensor
    low_res: torch.Tensor
    captions: List[str]
    scenes: List[Scene]


def caption_for(scene: Scene, form: Optional[int] = None) -> str:
    """Caption of a scene; ``form`` indexes FORMS_ONE (ignored for two shapes)."""
    s = scene.shapes[0]
    if len(scene.shapes) > 1:
        t = scene.shapes[1]
        return FORM_TWO.format(c=s.color, s=s.kind, c2=t.color, s2=t.kind, b=scene.background)
    f = FORMS_ONE[scene.form if form is None else form]
    return f.format(c=s.color, s=s.kind, b=scene.background, p=s.position, z=s.size)


def parse_caption(text: str) -> dict:
    """The first colour and shape a caption names (what evaluation checks), and the background."""
    words = text.replace(',', ' ,').split()
    color = next((w for w in words if w in COLORS), None)
    shape = next((w for w in words if w in SHAPES), None)
    background = None
    if 'background' in words:
        i = words.index('background')
        if i > 0 and words[i - 1] in COLORS:
            background = words[i - 1]
    return {'color': color, 'shape': shape, 'background': background}


def random_scenes(n: int, seed: int, two_shape_probability: float = 0.25) -> List[Scene]:
    g = random.Random(seed)

    def randint(k: int) -> int:
        return g.randrange(k)

    def uniform(a: float, b: float) -> float:
        return g.uniform(a, b)

    scenes = []
    for _ in range(n):
        bg = COLOR_NAMES[randint(len(COLOR_NAMES))]
        count = 2 if g.random() < two_shape_probability else 1
        shapes: List[Shape] = []
        used_positions = set()
        for _k in range(count):
            color = bg
            while color == bg:
                color = COLOR_NAMES[randint(len(COLOR_NAMES))]
            pos = POSITION_NAMES[randint(len(POSITION_NAMES))]
            while count == 2 and (pos in used_positions or pos == 'center'):
                pos = POSITION_NAMES[randint(len(POSITION_NAMES))]
            used_positions.add(pos)
            size = 'small' if count == 2 else ('small', 'big')[randint(2)]
            lo, hi = SIZES[size]
            r = uniform(lo, hi)
            cx, cy = POSITIONS[pos]
            cx += uniform(-3, 3)
            cy += uniform(-3, 3)
            shapes.append(Shape(SHAPES[randint(len(SHAPES))], color, cx, cy, r, pos, size))
        scenes.append(Scene(bg, shapes, randint(len(FORMS_ONE))))
    return scenes


def _shape_masks(kind: List[str], cx: torch.Tensor, cy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """bool [N, 64, 64] masks for N shapes, vectorised; pixel centres at i + 0.5."""
    n = len(kind)
    coords = torch.arange(IMAGE_SIZE, dtype=torch.float32) + 0.5
    y = coords.view(1, -1, 1)
    x = coords.view(1, 1, -1)
    cx = cx.view(n, 1, 1)
    cy = cy.view(n, 1, 1)
    r = r.view(n, 1, 1)
    circle = (x - cx) ** 2 + (y - cy) ** 2 <= r ** 2
    square = ((x - cx).abs() <= r * 0.85) & ((y - cy).abs() <= r * 0.85)
    # Upward triangle: apex at (cx, cy - r), base at y = cy + 0.8 r, half-width 1.1 r at the base.
    top = cy - r
    base = cy + 0.8 * r
    frac = (y - top) / (base - top)
    triangle = (y >= top) & (y <= base) & ((x - cx).abs() <= frac * 1.1 * r)
    k = torch.tensor([SHAPES.index(s) for s in kind]).view(n, 1, 1)
    return torch.where(k == 0, circle, torch.where(k == 1, square, triangle))


def _outline(mask: torch.Tensor) -> torch.Tensor:
    """Pixels of the mask whose 4-neighbourhood leaves the mask."""
    m = mask.float().unsqueeze(1)
    eroded = -torch.nn.functional.max_pool2d(-m, 3, stride=1, padding=1)
    return (m - eroded).squeeze(1).clamp(0, 1)


def render(scenes: Sequence[Scene]) -> WorldBatch:
    n = len(scenes)
    palette = torch.tensor([COLORS[c] for c in COLOR_NAMES], dtype=torch.uint8)
    bg = torch.tensor([COLOR_NAMES.index(s.background) for s in scenes])
    images = palette[bg].view(n, 1, 1, 3).expand(n, IMAGE_SIZE, IMAGE_SIZE, 3).clone()
    union = torch.zeros(n, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.bool)
    edges = torch.zeros(n, IMAGE_SIZE, IMAGE_SIZE)
    first = None
    for layer in range(max(len(s.shapes) for s in scenes)):
        idx = [i for i, s in enumerate(scenes) if len(s.shapes) > layer]
        sh = [scenes[i].shapes[layer] for i in idx]
        m = _shape_masks([s.kind for s in sh], torch.tensor([s.cx for s in sh]),
                         torch.tensor([s.cy for s in sh]), torch.tensor([s.radius for s in sh]))
        full = torch.zeros(n, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.bool)
        full[idx] = m
        if first is None:
            first = full.clone()
        col = torch.zeros(n, 3, dtype=torch.uint8)
        col[idx] = palette[torch.tensor([COLOR_NAMES.index(s.color) for s in sh])]
        images = torch.where(full.unsqueeze(-1), col.view(n, 1, 1, 3), images)
        union |= full
        edges = torch.maximum(edges, _outline(full))
    low = downsample(images, IMAGE_SIZE // LOW_RES_SIZE)
    return WorldBatch(images, union, first, edges, low, [caption_for(s) for s in scenes], list(scenes))


def sample_batch(n: int, seed: int, two_shape_probability: float = 0.25) -> WorldBatch:
    """A deterministic batch of n random scenes for a seed."""
    return render(random_scenes(n, seed, two_shape_probability))


def downsample(images: torch.Tensor, factor: int) -> torch.Tensor:
    """Box-average uint8 NHWC images by an integer factor (rounded to nearest)."""
    x = images.permute(0, 3, 1, 2).float()
    x = torch.nn.functional.avg_pool2d(x, factor)
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def to_model_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 NHWC -> float32 NCHW in [-1, 1] (spec §5: x/127.5 - 1)."""
    return images.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def from_model_range(x: torch.Tensor) -> torch.Tensor:
    """float NCHW ≈[-1, 1] -> uint8 NHWC, clip((x+1)/2)·255 truncated like the original code (§3.9)."""
    y = ((x.clamp(-1, 1) + 1) / 2 * 255).to(torch.uint8)
    return y.permute(0, 2, 3, 1).contiguous()


def nearest_color(rgb: torch.Tensor) -> List[str]:
    """Name of the nearest palette colour for each RGB row [N, 3] (0..255)."""
    palette = torch.tensor([COLORS[c] for c in COLOR_NAMES], dtype=torch.float32)
    d = ((rgb.float().unsqueeze(1) - palette.unsqueeze(0)) ** 2).sum(-1)
    return [COLOR_NAMES[i] for i in d.argmin(1).tolist()]


if __name__ == '__main__':
    import time
    t = time.time()
    b = sample_batch(1024, TRAIN_SEED_BASE)
    print('1024 scenes in %.3fs' % (time.time() - t))
    for c in b.captions[:8]:
        print(c, parse_caption(c))
    print('vocabulary', VOCABULARY)
