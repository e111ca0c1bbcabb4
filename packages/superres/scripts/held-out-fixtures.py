"""Writes the held-out test images of @kandinsky/superres's quality tests (src/fixtures/).

    /usr/bin/python3 packages/superres/scripts/held-out-fixtures.py

The same held-out sets as the tiny model card (tools/tiny-models/sr/build.py, `evaluate`): 64
world images 64x64 with their 16x16 LR (eval seed stream, never trained on), and 8 canvases
128x192 (2x3 grids of world images) with their 32x48 LR. Stored as PNG sheets (flat shapes
compress well) plus the PyTorch bicubic PSNR of every image, the independent baseline the tests
compare the TypeScript SR output against.
"""
import json
import os
import sys
import zlib
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'tools', 'tiny-models'))
import world  # noqa: E402

OUT = os.path.join(HERE, '..', 'src', 'fixtures')
EVAL_SEED = world.EVAL_SEED_BASE + 400_000  # tools/tiny-models/sr/build.py
SCALE = 4


def write_png(path, rgb):
    """rgb: uint8 HWC tensor."""
    height, width, _ = rgb.shape
    raw = b''.join(b'\x00' + bytes(rgb[row].flatten().tolist()) for row in range(height))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(raw, 9)))
        f.write(chunk(b'IEND', b''))


def psnr(a, b):
    a = (a.clamp(-1, 1) + 1) / 2
    b = (b.clamp(-1, 1) + 1) / 2
    mse = ((a - b) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


def bicubic_psnr(hr_uint8, lr_uint8):
    hr = world.to_model_range(hr_uint8)
    lr = world.to_model_range(lr_uint8)
    bicubic = F.interpolate(lr, size=hr.shape[-2:], mode='bicubic', align_corners=False)
    bilinear = F.interpolate(lr, size=hr.shape[-2:], mode='bilinear', align_corners=False)
    return psnr(bicubic, hr).tolist(), psnr(bilinear, hr).tolist()


def main():
    os.makedirs(OUT, exist_ok=True)
    summary = {'description': __doc__.strip().splitlines()[0], 'eval_seed': EVAL_SEED}

    batch = world.sample_batch(64, EVAL_SEED, 0.5)  # build.py make_pairs(64, EVAL_SEED)
    hr, lr = batch.images, batch.low_res  # uint8 NHWC
    sheet = lambda images, size: images.view(8, 8, size, size, 3).permute(0, 2, 1, 3, 4).reshape(8 * size, 8 * size, 3)
    write_png(os.path.join(OUT, 'held-out-64-hr.png'), sheet(hr, 64))
    write_png(os.path.join(OUT, 'held-out-64-lr.png'), sheet(lr, 16))
    bicubic, bilinear = bicubic_psnr(hr, lr)
    summary['held_out_64'] = {'images': 64, 'grid': [8, 8], 'hr_size': 64, 'lr_size': 16,
                              'psnr_bicubic': bicubic, 'psnr_bilinear': bilinear}

    # build.py make_large_canvas(8, EVAL_SEED + 1)
    n, rows, cols = 8, 2, 3
    images = world.sample_batch(n * rows * cols, EVAL_SEED + 1, 0.5).images
    images = images.view(n, rows, cols, 64, 64, 3).permute(0, 1, 3, 2, 4, 5).reshape(n, rows * 64, cols * 64, 3)
    low = world.downsample(images, SCALE)
    write_png(os.path.join(OUT, 'large-canvas-hr.png'), images.reshape(n * rows * 64, cols * 64, 3))
    write_png(os.path.join(OUT, 'large-canvas-lr.png'), low.reshape(n * rows * 16, cols * 16, 3))
    bicubic, bilinear = bicubic_psnr(images, low)
    summary['large_canvas'] = {'images': n, 'hr_size': [128, 192], 'lr_size': [32, 48],
                               'psnr_bicubic': bicubic, 'psnr_bilinear': bilinear}
    with open(os.path.join(OUT, 'held-out.json'), 'w') as f:
        json.dump(summary, f, indent=1)
        f.write('\n')
    for key in ('held_out_64', 'large_canvas'):
        values = summary[key]
        print(key, 'bicubic %.2f bilinear %.2f' % (sum(values['psnr_bicubic']) / len(values['psnr_bicubic']),
                                                   sum(values['psnr_bilinear']) / len(values['psnr_bilinear'])))


if __name__ == '__main__':
    main()
