"""Train, evaluate, export and write references for the tiny KandiSuperRes-style x4 model.

    /usr/bin/python3 tools/tiny-models/sr/build.py [--reuse] [--steps N]

Writes models/tiny/kandisuperres-x4/ (ONNX, configs, model card, reference/). The trained
state is cached in tools/tiny-models/.cache/sr/ (not committed); --reuse skips training when
the cache is there. Deterministic for a given torch build (fixed seeds, one thread).
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

sys.path.insert(0, os.path.join(REPO, 'tools'))
import world  # noqa: E402  (tools/tiny-models/world.py, the shared synthetic world)
from export import export_component, write_json, write_model_index  # noqa: E402  (tools/export)
from model import (DPM_TIMESTEPS, FLASH_TIMESTEPS, TinySuperResUNet, dpm_solver_coefficients,  # noqa: E402
                   dpm_solver_sr, flash_sr, linear_alphas_cumprod)

OUT_DIR = os.path.join(REPO, 'models', 'tiny', 'kandisuperres-x4')
CACHE_DIR = os.path.join(os.environ.get('TINY_CACHE') or os.path.join(REPO, 'tools', 'tiny-models', '.cache'), 'sr')
SCALE = 4
TRAIN_SEED = world.TRAIN_SEED_BASE + 400_000  # SR's own slice of the training stream
EVAL_SEED = world.EVAL_SEED_BASE + 400_000
TRAIN_POOL = 6144
CROP = 32
BATCH = 16
LEARNING_RATE = 2e-3
TILE_WINDOW = 64  # px, MultiDiffusion view for this tiny model (real: 1024, spec §4.8.1)
TILE_STRIDE = 48  # px (real: 800)


def upsample(low_res, size):
    """Spec §2.10 / §4.8.1 step 3: bilinear, align_corners=False, no antialias."""
    return F.interpolate(low_res, size=size, mode='bilinear', align_corners=False)


def make_pairs(n, seed, two_shape_probability=0.5):
    """HR [n,3,64,64] and LR [n,3,16,16] in [-1, 1] from the shared world (LR = 4x4 box average)."""
    batch = world.sample_batch(n, seed, two_shape_probability)
    return world.to_model_range(batch.images), world.to_model_range(batch.low_res)


def make_large_canvas(n, seed, rows=2, cols=3):
    """A bigger canvas (rows*64 x cols*64) made of world tiles, and its 4x box-averaged LR."""
    images = world.sample_batch(n * rows * cols, seed, 0.5).images  # uint8 NHWC
    images = images.view(n, rows, cols, 64, 64, 3).permute(0, 1, 3, 2, 4, 5).reshape(n, rows * 64, cols * 64, 3)
    low = world.downsample(images, SCALE)
    return world.to_model_range(images), world.to_model_range(low)


def train(steps, log):
    torch.manual_seed(0)
    model = TinySuperResUNet()
    hr, lr = make_pairs(TRAIN_POOL, TRAIN_SEED)
    lowres_up = upsample(lr, hr.shape[-2:])
    alphas_cumprod = linear_alphas_cumprod()
    sampler_timesteps = torch.tensor(DPM_TIMESTEPS + FLASH_TIMESTEPS)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, LEARNING_RATE, total_steps=steps, pct_start=0.05)
    generator = torch.Generator().manual_seed(1)
    started = time.time()
    running = None
    for step in range(steps):
        index = torch.randint(TRAIN_POOL, (BATCH,), generator=generator)
        # Random crops (one offset per batch) so the net never relies on the canvas size;
        # every 8th batch is a whole 64x64 image so true image borders are seen too.
        if step % 8 == 7:
            top = left = 0
            size = 64
            index = index[:BATCH // 4]  # same pixel count as a batch of crops
        else:
            top, left = torch.randint(64 - CROP + 1, (2,), generator=generator).tolist()
            size = CROP
        count = index.shape[0]
        x0 = hr[index, :, top:top + size, left:left + size]
        cond = lowres_up[index, :, top:top + size, left:left + size]
        if torch.rand((), generator=generator) < 0.5:  # flips keep the world's statistics
            x0, cond = x0.flip(-1), cond.flip(-1)
        # Half uniform t, half the exact timesteps the DPM and Flash samplers call the net at.
        uniform = torch.randint(1000, (count,), generator=generator)
        exact = sampler_timesteps[torch.randint(len(sampler_timesteps), (count,), generator=generator)]
        t = torch.where(torch.rand(count, generator=generator) < 0.5, uniform, exact)
        ab = alphas_cumprod[t].view(-1, 1, 1, 1)
        noise = torch.randn(x0.shape, generator=generator)
        x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        prediction = model(x_t, t.float(), cond)
        loss = F.mse_loss(prediction, x0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0 or step == steps - 1:
            log('step %d/%d loss %.5f (%.0fs)' % (step, steps, running, time.time() - started))
    return model, time.time() - started


def psnr(a, b):
    """PSNR in dB of images in [-1,1] compared in [0,1] after clipping, per image."""
    a = ((a.clamp(-1, 1) + 1) / 2)
    b = ((b.clamp(-1, 1) + 1) / 2)
    mse = ((a - b) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


def evaluate(model, log):
    model.eval()
    results = {}
    hr, lr = make_pairs(64, EVAL_SEED)
    lowres_up = upsample(lr, hr.shape[-2:])
    noise = torch.randn(hr.shape, generator=torch.Generator().manual_seed(0))
    sr = dpm_solver_sr(model, lowres_up, noise)
    flash = flash_sr(model, lowres_up, torch.Generator().manual_seed(0))
    bicubic = F.interpolate(lr, size=hr.shape[-2:], mode='bicubic', align_corners=False)
    results['held_out_64'] = {
        'images': hr.shape[0], 'lr_size': [16, 16], 'hr_size': [64, 64],
        'psnr_dpm_solver_5_steps': psnr(sr, hr).mean().item(),
        'psnr_flash_4_steps': psnr(flash, hr).mean().item(),
        'psnr_bicubic': psnr(bicubic, hr).mean().item(),
        'psnr_bilinear': psnr(lowres_up, hr).mean().item(),
        'fraction_sr_above_bicubic': (psnr(sr, hr) > psnr(bicubic, hr)).float().mean().item(),
    }
    hr, lr = make_large_canvas(8, EVAL_SEED + 1)
    lowres_up = upsample(lr, hr.shape[-2:])
    noise = torch.randn(hr.shape, generator=torch.Generator().manual_seed(0))
    sr = dpm_solver_sr(model, lowres_up, noise)
    bicubic = F.interpolate(lr, size=hr.shape[-2:], mode='bicubic', align_corners=False)
    results['large_canvas'] = {
        'images': hr.shape[0], 'lr_size': list(lr.shape[-2:]), 'hr_size': list(hr.shape[-2:]),
        'psnr_dpm_solver_5_steps': psnr(sr, hr).mean().item(),
        'psnr_bicubic': psnr(bicubic, hr).mean().item(),
        'psnr_bilinear': psnr(lowres_up, hr).mean().item(),
    }
    for key, value in results.items():
        log('%s: %s' % (key, json.dumps(value)))
    return results


class ReferenceWriter:
    """reference/<name>.json with tensorRefs {dtype, dims, file} to raw little-endian .bin files
    (docs/model-format.md §7)."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def tensor(self, name, tensor):
        tensor = tensor.detach().contiguous()
        if tensor.dtype in (torch.int64, torch.int32):
            data, dtype = tensor.long().numpy().astype('<i8'), 'int64'
        else:
            data, dtype = tensor.float().numpy().astype('<f4'), 'float32'
        data.tofile(os.path.join(self.directory, name + '.bin'))
        return {'dtype': dtype, 'dims': list(tensor.shape), 'file': name + '.bin'}

    def json(self, name, obj):
        write_json(os.path.join(self.directory, name + '.json'), obj)


def export(model, folder):
    example = (torch.zeros(1, 3, 64, 64), torch.tensor([999.0]), torch.zeros(1, 3, 64, 64))
    config = {'kind': 'sr_unet', 'scale': SCALE, 'prediction_type': 'sample', 'size_multiple': 8,
              # MultiDiffusion views (spec §4.8.2) scaled for the tiny model: the real 1024/800 px keeps
              # 224 px of overlap on a 1024 window; 64/48 keeps a quarter of the window as overlap.
              'tile_window': TILE_WINDOW, 'tile_stride': TILE_STRIDE,
              'num_inference_steps': len(DPM_TIMESTEPS), 'flash_timesteps': FLASH_TIMESTEPS,
              'parameters': sum(p.numel() for p in model.parameters()),
              'channels': list(model.channels)}
    export_component('sr_unet', model.eval(), folder, example, config)


def write_references(model, directory):
    references = ReferenceWriter(directory)
    model.eval()
    generator = torch.Generator().manual_seed(1234)
    for index, (height, width, t) in enumerate([(16, 16, 999.0), (16, 24, 400.0), (32, 32, 200.0)]):
        sample = torch.randn(1, 3, height, width, generator=generator)
        lowres = torch.rand(1, 3, height, width, generator=generator) * 2 - 1
        timestep = torch.tensor([t])
        with torch.no_grad():
            x0 = model(sample, timestep, lowres)
        name = 'sr-unet-call-%d' % index
        references.json(name, {
            'description': 'One sr_unet call, PyTorch float32 on CPU.',
            'inputs': {'sample': references.tensor(name + '-sample', sample),
                       'timestep': references.tensor(name + '-timestep', timestep),
                       'lowres': references.tensor(name + '-lowres', lowres)},
            'outputs': {'x0': references.tensor(name + '-x0', x0)}})

    hr, lr = make_pairs(1, EVAL_SEED + 7)
    lowres_up = upsample(lr, hr.shape[-2:])
    seed = 0
    noise = torch.randn(hr.shape, generator=torch.Generator().manual_seed(seed))
    record = []
    final = dpm_solver_sr(model, lowres_up, noise, record)
    name = 'sr-run-5-steps'
    outputs = {}
    for r in record:
        outputs['step%d_sample' % r['step']] = references.tensor('%s-step%d-sample' % (name, r['step']), r['sample'])
        outputs['step%d_x0' % r['step']] = references.tensor('%s-step%d-x0' % (name, r['step']), r['x0'])
    assert torch.equal(final, record[-1]['x0'])
    outputs['image'] = dict(outputs['step%d_x0' % record[-1]['step']])  # same file: final sigma 0
    references.json(name, {
        'description': 'Whole 5-step DPM-Solver++ x4 SR run (spec §3.6, §4.8.1, one view: the whole image) on '
                       'one held-out 16x16 world image. noise = torch.randn([1,3,64,64], '
                       'generator=torch.Generator().manual_seed(seed)) = step0_sample. low_res = world uint8 LR image / 127.5 - 1; lowres_up = bilinear '
                       '(align_corners=False) of low_res. stepN_sample is the x fed to the UNet at '
                       'timesteps[N], stepN_x0 its output; image = the final x (equal to step4_x0, final sigma 0), '
                       'in [-1,1] before clipping.',
        'seed': seed,
        'timesteps': DPM_TIMESTEPS,
        'solver_coefficients': [list(c) for c in dpm_solver_coefficients()],
        'psnr_db_vs_ground_truth': psnr(final, hr).item(),
        'inputs': {'low_res': references.tensor(name + '-low-res', lr), 'lowres_up': references.tensor(name + '-lowres-up', lowres_up),
                   'noise': references.tensor(name + '-noise', noise)},
        'outputs': outputs,
        'ground_truth': references.tensor(name + '-ground-truth', hr),
    })


def write_scheduler_config(folder):
    scheduler_config = {  # spec §3.6: diffusers defaults with linear betas and prediction_type "sample"
        '_class_name': 'DPMSolverMultistepScheduler',
        'num_train_timesteps': 1000,
        'beta_start': 0.0001,
        'beta_end': 0.02,
        'beta_schedule': 'linear',
        'trained_betas': None,
        'solver_order': 2,
        'prediction_type': 'sample',
        'thresholding': False,
        'dynamic_thresholding_ratio': 0.995,
        'sample_max_value': 1.0,
        'algorithm_type': 'dpmsolver++',
        'solver_type': 'midpoint',
        'lower_order_final': True,
        'euler_at_final': False,
        'use_karras_sigmas': False,
        'use_exponential_sigmas': False,
        'use_beta_sigmas': False,
        'use_lu_lambdas': False,
        'final_sigmas_type': 'zero',
        # lambda_min_clipped is left out: diffusers' default is -inf (no clipping), which JSON cannot hold.
        'variance_type': None,
        'timestep_spacing': 'linspace',
        'steps_offset': 0,
        'rescale_betas_zero_snr': False,
    }
    write_json(os.path.join(folder, 'scheduler_config.json'), scheduler_config)


def write_png(path, rgb):
    """Minimal RGB8 PNG writer (uint8 HWC tensor), so the tools need nothing beyond torch."""
    import struct
    import zlib
    height, width, _ = rgb.shape
    raw = b''.join(b'\x00' + bytes(rgb[y].flatten().tolist()) for y in range(height))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def write_sample_sheet(model, path, rows=4):
    """Rows of: LR (nearest x4) | bicubic | SR 5 steps | ground truth, held-out images."""
    hr, lr = make_pairs(rows, EVAL_SEED + 3)
    sr = dpm_solver_sr(model, upsample(lr, hr.shape[-2:]), torch.randn(hr.shape, generator=torch.Generator().manual_seed(0)))
    columns = [F.interpolate(lr, scale_factor=SCALE, mode='nearest'),
               F.interpolate(lr, size=hr.shape[-2:], mode='bicubic', align_corners=False), sr, hr]
    sheet = torch.cat([torch.cat([world.from_model_range(c)[i] for c in columns], dim=1) for i in range(rows)], dim=0)
    write_png(path, sheet)


def write_model_card(folder, summary):
    held = summary['metrics']['held_out_64']
    large = summary['metrics']['large_canvas']
    text = f"""# Tiny KandiSuperRes-style x4 super-resolution model

A KandiSuperRes-format (spec §2.10) pixel-space x4 SR UNet trained from scratch on the synthetic
world of coloured shapes (`tools/tiny-models/world.py`). It exists so that the SDK's SR pipeline
(DPM-Solver++ 5 steps, spec §3.6 and §4.8.1; MultiDiffusion tiling, §4.8.2) runs a real model in tests
and demos. It only knows flat coloured shapes.

Rebuild: `/usr/bin/python3 tools/tiny-models/sr/build.py` (`--reuse` skips training when
`tools/tiny-models/.cache/sr/model.pt` exists). Check: `node tools/tiny-models/sr/check-onnx.mjs`
(onnxruntime-node replays `reference/`, including the whole 5-step run, and runs a 128×192 canvas).

## Files

| path | what |
|---|---|
| `model_index.json` | `KandiSuperResPipeline`, one component `sr_unet` |
| `sr_unet/model.onnx` | opset 17, float32; inputs `sample` [B,3,H,W], `timestep` [B], `lowres` [B,3,H,W]; output `x0` [B,3,H,W] (docs/model-format.md §3.8) |
| `sr_unet/config.json` | kind `sr_unet`, scale 4, prediction_type `sample`, size_multiple 8, tile_window {TILE_WINDOW}, tile_stride {TILE_STRIDE} |
| `sr_unet/scheduler_config.json` | diffusers `DPMSolverMultistepScheduler` of spec §3.6 (linear betas, `sample` prediction, dpmsolver++ order 2 midpoint, lower_order_final, final sigma zero). `lambda_min_clipped` is omitted (diffusers' default −inf, i.e. no clipping; JSON cannot hold −inf). |
| `reference/` | PyTorch reference I/O (docs/model-format.md §7): three single calls (`sr-unet-call-0..2`: 16×16 t=999, 16×24 t=400, 32×32 t=200) and a whole 5-step SR run (`sr-run-5-steps.json`) on one held-out 16×16 image with noise from `torch.Generator().manual_seed(0)`, every intermediate x and x0 stored |

## Architecture

Same blocks as ai-forever/KandiSuperRes `unet_sr.py`, scaled down: input = concat(noisy HR, lowres) → 6
channels → conv 3×3 → {len(summary['channels'])} levels with widths {summary['channels']}, one ResNet block per level on the way
down and one (with skip concatenation) on the way up, conv k4 s2 p1 down, transposed conv k4 s2 p1 up, a
middle block; ResNet blocks use affine GroupNorm (8 groups) and a time scale/shift on the second norm;
time embedding sinusoidal({2 * summary['channels'][0]}) → Linear → SiLU → Linear(64). Out: GroupNorm → SiLU → conv 3×3 → 3.
**{summary['parameters']:,} parameters.** Fully convolutional: H and W must be multiples of 8.
One difference from the original: the output is added to `lowres` inside the graph (the net learns
x0 − lowres); the ONNX output is still x0 in [−1, 1].

`lowres` is the LR image in [−1, 1] upsampled ×4 with bilinear interpolation, align_corners=False,
no antialias, done by the caller (spec §2.10).

## Training

{summary['training_steps']} steps of AdamW (one-cycle LR, peak {LEARNING_RATE}), batch {BATCH} random {CROP}×{CROP} crops (one
batch in 8 is {BATCH // 4} whole 64×64 images, so true image borders are seen), random horizontal flips, from a pool of
{summary['train_pool_images']} world images (half with two shapes); LR = 4×4 box average of the 64×64 image (world
`low_res`). Loss: MSE on x0. t: half uniform in 0…999, half the exact timesteps of the DPM (§3.6) and Flash (§3.7)
samplers. Training time: **{summary['training_seconds'] / 60:.1f} min** wall on the shared 2-core CPU machine (one torch thread;
wall time there varies with the machine's load).

## Measured quality (DPM-Solver++ 5 steps, `tools/tiny-models/sr/build.py`)

PSNR in dB on [0, 1] images after clipping, mean over held-out world images (eval seed stream,
never trained on), noise seed 0:

| set | SR 5 steps | bicubic | bilinear |
|---|---|---|---|
| {held['images']} images, 16×16 → 64×64 | **{held['psnr_dpm_solver_5_steps']:.2f}** | {held['psnr_bicubic']:.2f} | {held['psnr_bilinear']:.2f} |
| {large['images']} canvases, {large['lr_size'][0]}×{large['lr_size'][1]} → {large['hr_size'][0]}×{large['hr_size'][1]} (2×3 grid of world images) | **{large['psnr_dpm_solver_5_steps']:.2f}** | {large['psnr_bicubic']:.2f} | {large['psnr_bilinear']:.2f} |

SR beats bicubic on {100 * held['fraction_sr_above_bicubic']:.0f} % of the 64×64 images. The Flash SR loop
(spec §3.7, timesteps 979/729/479/229, same weights) gives {held['psnr_flash_4_steps']:.2f} dB on the 64×64 set.

Bicubic = PyTorch `interpolate(mode='bicubic', align_corners=False)`; bilinear = the `lowres` input itself.

![held-out samples](samples.png)

`samples.png`: held-out images; columns = 16×16 input (nearest ×4), bicubic, SR 5 steps (seed 0), ground truth.
"""
    with open(os.path.join(folder, 'README.md'), 'w') as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reuse', action='store_true', help='reuse the cached trained weights if present')
    parser.add_argument('--steps', type=int, default=1600, help='training steps (default 1600)')
    parser.add_argument('--out', default=OUT_DIR)
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(CACHE_DIR, exist_ok=True)
    log_lines = []

    def log(line):
        print('[sr] ' + line, flush=True)
        log_lines.append(line)

    checkpoint = os.path.join(CACHE_DIR, 'model.pt')
    if args.reuse and os.path.exists(checkpoint):
        state = torch.load(checkpoint)
        model = TinySuperResUNet()
        model.load_state_dict(state['model'])
        training_seconds = state['training_seconds']
        steps = state['steps']
        log('reusing %s' % checkpoint)
    else:
        model, training_seconds = train(args.steps, log)
        steps = args.steps
        if args.out == OUT_DIR:  # trial runs elsewhere leave the cache alone
            torch.save({'model': model.state_dict(), 'training_seconds': training_seconds, 'steps': steps}, checkpoint)
    model.eval()
    metrics = evaluate(model, log)
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)  # the folder is generated as a whole
    export(model, os.path.join(args.out, 'sr_unet'))
    write_scheduler_config(os.path.join(args.out, 'sr_unet'))
    write_model_index(args.out, 'KandiSuperResPipeline', None,
                      {'name': 'kandisuperres-x4-tiny', 'family': 'kandisuperres', 'tiny': True,
                       'source': 'trained from scratch by tools/tiny-models/sr/build.py'},
                      {'sr_unet': 'sr_unet'})
    write_references(model, os.path.join(args.out, 'reference'))
    summary = {
        'parameters': sum(p.numel() for p in model.parameters()),
        'training_steps': steps, 'batch': BATCH, 'crop': CROP, 'training_seconds': training_seconds,
        'train_pool_images': TRAIN_POOL, 'metrics': metrics, 'channels': list(model.channels),
    }
    write_model_card(args.out, summary)
    write_sample_sheet(model, os.path.join(args.out, 'samples.png'))
    with open(os.path.join(CACHE_DIR, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    log('summary: %s' % json.dumps(summary))


if __name__ == '__main__':
    main()
