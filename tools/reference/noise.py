"""Reference fixtures for packages/core/src/noise (TorchGenerator).

Draws torch.randn / torch.rand from torch.Generator().manual_seed(seed) on CPU in float32 and
stores the float32 bits (base64, little-endian) so the TypeScript tests compare bit for bit.

Run: /usr/bin/python3 tools/reference/noise.py   (torch 1.13 CPU, deterministic, ~1 s)
"""
import base64
import json
import os
import platform
import sys

import numpy as np
import torch

torch.set_num_threads(1)

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'core', 'src', 'noise', 'fixtures')

SEEDS = [0, 1, 2, 42, 1234, 2**31 - 1, 2**32 - 1, 2**32 + 5, 123456789012345, 2**63 - 1, 2**64 - 1, -1, -42]
SIZES = [[1], [2], [7], [15], [16], [17], [31], [32], [33], [100], [1000], [1, 4, 3, 5], [2, 4, 5, 5], [0]]
# Several draws from one generator, mixing the scalar (< 16) and vectorised (>= 16) normal paths
# and uniform draws, to pin down the cached second Box-Muller value and stream continuation.
SEQUENCE = [
    ('randn', [1]), ('randn', [3]), ('randn', [16]), ('randn', [1]), ('rand', [5]),
    ('randn', [17]), ('randn', [5]), ('randn', [2]), ('rand', [1]), ('randn', [33]),
    ('randn', [1]), ('randn', [1, 4, 3, 5]), ('randn', [15]), ('rand', [20]), ('randn', [1]),
]
LARGE_DIMS = [1, 4, 128, 128]
LARGE_SEEDS = [0, 42, 2**32 + 5]


def bits(tensor):
    return base64.b64encode(tensor.detach().contiguous().numpy().astype('<f4').tobytes()).decode('ascii')


def fnv1a_words(tensor):
    """FNV-1a over the float32 bit patterns taken as 32-bit words (same as the TS test)."""
    h = 0x811C9DC5
    for word in tensor.numpy().view(np.uint32).tolist():
        h = ((h ^ word) * 0x01000193) & 0xFFFFFFFF
    return h


def generator(seed):
    return torch.Generator().manual_seed(seed)


def main():
    single = []
    for seed in SEEDS:
        for dims in SIZES:
            single.append({'seed': str(seed), 'kind': 'randn', 'dims': dims,
                           'bits': bits(torch.randn(dims, generator=generator(seed)))})
        for dims in ([1], [7], [16], [33], [100]):
            single.append({'seed': str(seed), 'kind': 'rand', 'dims': dims,
                           'bits': bits(torch.rand(dims, generator=generator(seed)))})
    sequences = []
    for seed in SEEDS[:6] + [2**64 - 1]:
        g = generator(seed)
        draws = []
        for kind, dims in SEQUENCE:
            fn = torch.randn if kind == 'randn' else torch.rand
            draws.append({'kind': kind, 'dims': dims, 'bits': bits(fn(dims, generator=g))})
        sequences.append({'seed': str(seed), 'draws': draws})
    large = []
    for seed in LARGE_SEEDS:
        t = torch.randn(LARGE_DIMS, generator=generator(seed))
        flat = t.reshape(-1)
        large.append({'seed': str(seed), 'dims': LARGE_DIMS, 'fnv1a': fnv1a_words(flat),
                      'head': bits(flat[:32]), 'tail': bits(flat[-32:]),
                      'mean': float(t.double().mean()), 'std': float(t.double().std())})
    fixture = {
        'source': 'tools/reference/noise.py',
        'torch': torch.__version__,
        'cpuCapability': 'AVX2' if 'CPU capability usage: AVX2' in torch.__config__.show() else 'other',
        'machine': platform.machine(),
        'single': single,
        'sequences': sequences,
        'large': large,
    }
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, 'torch-generator.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print(f'wrote {path} ({os.path.getsize(path)} bytes)', file=sys.stderr)


if __name__ == '__main__':
    main()
