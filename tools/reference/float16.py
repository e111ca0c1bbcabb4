"""Reference fixtures for packages/core/src/tensor/float16.ts.

float32 -> float16 with torch `.half()` on CPU (round-to-nearest-even), cross-checked against
numpy `astype(float16)`. Inputs are float32 bit patterns: hand-picked edge cases (ties, 65504,
65520, subnormals, 2^-24, 2^-25, infinities, NaN) plus, for every float32 exponent that maps
near the half range, the exact halfway points between neighbouring halves and the values one
float32 ulp either side of them, plus random patterns.

Run: /usr/bin/python3 tools/reference/float16.py
"""
import base64
import json
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'core', 'src', 'tensor', 'fixtures')


def f32_bits(values):
    return np.array(values, dtype=np.float32).view(np.uint32)


def main():
    rng = np.random.default_rng(20261125)
    edge = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 65504.0, -65504.0, 65505.0, 65519.0, 65519.996, 65520.0,
            -65520.0, 65536.0, 1e6, 3.4e38, np.inf, -np.inf, 2.0**-14, 2.0**-15, 2.0**-24, -(2.0**-24),
            2.0**-25, 2.0**-25 * 1.0000001, 3 * 2.0**-25, 2.0**-26, 1e-8, 1e-45, 1.4e-45, 2.0**-14 - 2.0**-25,
            2.0**-14 - 2.0**-24, 0.1, 0.2, 0.3, 1 / 3, np.pi, 1 + 2.0**-11, 1 + 3 * 2.0**-11, 2048.0, 2049.0,
            2051.0, 4097.0, 4098.0, 4099.0]
    bits = [int(b) for b in f32_bits(edge)]
    # Halfway points between consecutive halves and their float32 neighbours, every exponent.
    halves = np.arange(0, 0x7c00, dtype=np.uint16)
    step = 7  # every 7th half keeps the fixture small while touching all exponents
    lo = halves[:-1:step].view(np.float16).astype(np.float64)
    hi = (halves[:-1:step] + 1).view(np.float16).astype(np.float64)
    mid = ((lo + hi) / 2).astype(np.float32)  # exact: halfway between halves is a float32
    assert np.all(mid.astype(np.float64) == (lo + hi) / 2)
    mid_bits = mid.view(np.uint32)
    for m in mid_bits:
        bits.extend([int(m) - 1, int(m), int(m) + 1])
    # Random bit patterns, concentrated on the half range, both signs.
    exponents = rng.integers(127 - 26, 127 + 17, size=3000)
    mantissas = rng.integers(0, 1 << 23, size=3000)
    signs = rng.integers(0, 2, size=3000)
    bits.extend(int((s << 31) | (e << 23) | m) for s, e, m in zip(signs, exponents, mantissas))
    bits.extend(int(b) for b in rng.integers(0, 1 << 32, size=500, dtype=np.uint64))
    # NaNs with payloads (torch returns a canonical quiet NaN; only NaN-ness and sign are compared).
    bits.extend([0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000, 0xFFC12345, 0x7FFFFFFF])

    inputs = np.array(bits, dtype=np.uint32)
    values = inputs.view(np.float32)
    torch_half = torch.from_numpy(values.copy()).half().view(torch.int16).numpy().view(np.uint16)
    with np.errstate(over='ignore', invalid='ignore'):
        numpy_half = values.astype(np.float16).view(np.uint16)
    is_nan = np.isnan(values)
    disagree = np.count_nonzero((torch_half != numpy_half) & ~is_nan)
    assert disagree == 0, f'torch and numpy disagree on {disagree} non-NaN values'

    fixture = {
        'source': 'tools/reference/float16.py',
        'torch': torch.__version__,
        'numpy': np.__version__,
        'count': int(len(inputs)),
        'float32Bits': base64.b64encode(inputs.astype('<u4').tobytes()).decode('ascii'),
        'float16Bits': base64.b64encode(torch_half.astype('<u2').tobytes()).decode('ascii'),
    }
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, 'float16.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print(f'wrote {path}: {len(inputs)} values ({os.path.getsize(path)} bytes)', file=sys.stderr)


if __name__ == '__main__':
    main()
