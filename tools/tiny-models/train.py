"""Train every tiny component in sequence, with fixed seeds; checkpoints go to .cache/ so a rerun
skips finished stages. Usage: /usr/bin/python3 train.py [stage ...]  (default: all stages)."""
from __future__ import annotations

import copy
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get('TINY_THREADS', '1')))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import nets  # noqa: E402
import world  # noqa: E402

C = common.CACHE
os.makedirs(C, exist_ok=True)
D = 64  # context width (real: 4096)
UNET_KW = dict(context_dim=D, channels=(32, 48, 48), time_dim=64, groups=8, head_dim=16)
STEPS = {'movq': 700, 'base': 750, 'base_more': 900, 'base_cont': 0, 'flash': 300, 'inpainting': 180, 'ip_adapter': 200, 'controlnet': 180}
# Overrides, e.g. TINY_STEPS="flash=200": per-stage step counts. base_cont = 0 means "as many steps
# as fit in TINY_BASE_CONT_SECONDS" (the LR follows the clock; the step count is saved in the checkpoint).
for _kv in filter(None, os.environ.get('TINY_STEPS', '').split(',')):
    _k, _v = _kv.split('=')
    STEPS[_k.strip()] = int(_v)
if os.environ.get('TINY_SMOKE'):
    STEPS = {k: 3 for k in STEPS}
TIMES = {}


def log(*a):
    print(time.strftime('%H:%M:%S'), *a, flush=True)


def dataset(n: int = 8000):
    path = os.path.join(C, 'train-data.pt')
    if os.path.exists(path):
        return torch.load(path)
    b = world.sample_batch(n, world.TRAIN_SEED_BASE)
    data = {'images': b.images, 'captions': b.captions, 'first_mask': b.first_mask, 'edges': b.edges}
    torch.save(data, path)
    return data


def unet_data(n: int = 5000):
    """The first n scenes: the UNet stages need their latents, and encoding costs CPU."""
    return {k: v[:n] for k, v in dataset().items()}


def done(stage):
    return os.path.exists(os.path.join(C, stage + '.pt'))


def save(stage, obj, seconds):
    obj['seconds'] = seconds
    torch.save(obj, os.path.join(C, stage + '.pt'))
    times_path = os.path.join(C, 'times.json')
    t = json.load(open(times_path)) if os.path.exists(times_path) else {}
    t[stage] = round(seconds, 1)
    json.dump(t, open(times_path, 'w'), indent=1)


def load(stage):
    return torch.load(os.path.join(C, stage + '.pt'))


# ------------------------------------------------------------------ MoVQ (spec §2.6)

def train_movq():
    torch.manual_seed(1)
    data = dataset()
    enc, dec = nets.MoVQEncoder(), nets.MoVQDecoder()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=2e-3)
    steps = STEPS['movq']
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    t0 = time.time()
    n = len(data['captions'])
    for step in range(steps):
        idx = torch.randint(n, (16,))
        x = world.to_model_range(data['images'][idx])
        z = enc(x)
        # Noise on the latent makes the decoder forgiving to imperfect diffusion samples.
        z = z + 0.03 * torch.randn_like(z)
        r = dec(z)
        loss = (r - x).abs().mean() + F.mse_loss(r, x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            log('movq', step, float(loss), 'latent std %.3f' % float(z.std()))
    save('movq', {'encoder': enc.state_dict(), 'decoder': dec.state_dict()}, time.time() - t0)


def latents_of(data):
    """Encode the whole training set once with the frozen MoVQ encoder."""
    path = os.path.join(C, 'train-latents.pt')
    if os.path.exists(path):
        return torch.load(path)
    enc = nets.MoVQEncoder()
    enc.load_state_dict(load('movq')['encoder'])
    with torch.no_grad():
        z = torch.cat([enc(world.to_model_range(data['images'][i:i + 256])) for i in range(0, len(data['images']), 256)])
    torch.save(z, path)
    return z


def buckets(captions):
    """Indices grouped by token count so that each batch shares n and L = n+1 exactly (spec §4.1)."""
    groups = {}
    for i, c in enumerate(captions):
        groups.setdefault(len(common.tokenize(c)), []).append(i)
    return [torch.tensor(v) for v in groups.values() if len(v) >= 8]


def pick(groups, batch, gen):
    weights = torch.tensor([float(len(g)) for g in groups])
    g = groups[int(torch.multinomial(weights, 1, generator=gen))]
    return g[torch.randint(len(g), (batch,), generator=gen)]


def uncond_a(proj, ctx, mask):
    u, um = common.null_context_a(proj, ctx.shape[0], ctx.shape[1])
    return u, um


def mix_uncond(ctx, mask, u, um, p, gen):
    drop = torch.rand(ctx.shape[0], generator=gen) < p
    ctx = torch.where(drop[:, None, None], u, ctx)
    mask = torch.where(drop[:, None], um, mask)
    return ctx, mask


# ------------------------------------------------------------------ base text encoder + UNet

def train_base():
    torch.manual_seed(2)
    gen = torch.Generator().manual_seed(2)
    data = unet_data()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te = nets.TextEncoder(len(common.TOKENS), D)
    proj = nets.TextProjection(D, D)
    unet = nets.UNet(**UNET_KW)
    log('unet params', nets.count_parameters(unet))
    params = list(te.parameters()) + list(proj.parameters()) + list(unet.parameters())
    steps = STEPS['base']
    opt = torch.optim.AdamW(params, lr=1.5e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.5e-3, total_steps=steps, pct_start=0.05)
    t0 = time.time()
    ema = None
    for step in range(steps):
        idx = pick(groups, 48, gen)
        x0 = z[idx]
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask = common.encode_convention_a(te, proj, caps)
        u, um = uncond_a(proj, ctx, mask)
        ctx, mask = mix_uncond(ctx, mask, u, um, 0.15, gen)
        t = torch.randint(0, 1000, (len(idx),), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = common.add_noise(x0, noise, t)
        pred = unet(xt, t.float(), ctx, mask)
        loss = F.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        if step % 50 == 0:
            log('base', step, '%.4f' % ema)
    save('base', {'text_encoder': te.state_dict(), 'projection': proj.state_dict(), 'unet': unet.state_dict()},
         time.time() - t0)


def train_base_more():
    """Continue the base stage (same recipe, cosine-decayed LR from 1e-3): the first 750 steps
    left the text conditioning weak; a second pass is cheaper than restarting."""
    torch.manual_seed(12)
    gen = torch.Generator().manual_seed(12)
    data = unet_data()
    z = latents_of(data)
    groups = buckets(data['captions'])
    b = load('base')
    te = nets.TextEncoder(len(common.TOKENS), D)
    te.load_state_dict(b['text_encoder'])
    proj = nets.TextProjection(D, D)
    proj.load_state_dict(b['projection'])
    unet = nets.UNet(**UNET_KW)
    unet.load_state_dict(b['unet'])
    params = list(te.parameters()) + list(proj.parameters()) + list(unet.parameters())
    steps = STEPS['base_more']
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    t0 = time.time()
    ema = None
    for step in range(steps):
        idx = pick(groups, 48, gen)
        x0 = z[idx]
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask = common.encode_convention_a(te, proj, caps)
        u, um = uncond_a(proj, ctx, mask)
        ctx, mask = mix_uncond(ctx, mask, u, um, 0.15, gen)
        t = torch.randint(0, 1000, (len(idx),), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = common.add_noise(x0, noise, t)
        loss = F.mse_loss(unet(xt, t.float(), ctx, mask), noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        if step % 50 == 0:
            log('base_more', step, '%.4f' % ema)
    save('base_more', {'text_encoder': te.state_dict(), 'projection': proj.state_dict(), 'unet': unet.state_dict()},
         time.time() - t0)


def train_base_cont():
    """Third base pass (added after the first two, run CPU-starved, left the loss still falling):
    continue from base_more with a cosine LR from 5e-4 to 0 and keep an EMA of the weights
    (decay 0.99), which is what is saved. Same data, batch 48, 15 % unconditional dropout."""
    torch.manual_seed(22)
    gen = torch.Generator().manual_seed(22)
    data = unet_data()
    z = latents_of(data)
    groups = buckets(data['captions'])
    b = load('base_more')
    te = nets.TextEncoder(len(common.TOKENS), D)
    te.load_state_dict(b['text_encoder'])
    proj = nets.TextProjection(D, D)
    proj.load_state_dict(b['projection'])
    unet = nets.UNet(**UNET_KW)
    unet.load_state_dict(b['unet'])
    # The text encoder stays frozen: the inpainting / IP-Adapter / ControlNet stages were trained
    # on base_more's and share it, so only the projection and the UNet move.
    for p in te.parameters():
        p.requires_grad_(False)
    mods = [proj, unet]
    avg = [copy.deepcopy(m) for m in mods]
    params = [p for m in mods for p in m.parameters()]
    avg_params = [p for m in avg for p in m.parameters()]
    lr0 = float(os.environ.get('TINY_BASE_CONT_LR', '5e-4'))
    opt = torch.optim.AdamW(params, lr=lr0, weight_decay=0.0)
    steps = STEPS['base_cont']
    budget = float(os.environ.get('TINY_BASE_CONT_SECONDS', '1200'))  # used when steps == 0
    t0 = time.time()
    ema = None
    step = 0
    while (time.time() - t0 < budget) if steps == 0 else (step < steps):
        # Cosine from lr0 to 0 over the steps, or (steps = 0) over the wall-clock budget, so that the
        # anneal finishes on time however loaded the machine is; the step count is saved.
        frac = (step / steps) if steps else min(1.0, (time.time() - t0) / budget)
        for g in opt.param_groups:
            g['lr'] = 0.5 * lr0 * (1 + math.cos(math.pi * frac))
        idx = pick(groups, 48, gen)
        x0 = z[idx]
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask = common.encode_convention_a(te, proj, caps)
        u, um = uncond_a(proj, ctx, mask)
        ctx, mask = mix_uncond(ctx, mask, u, um, 0.15, gen)
        t = torch.randint(0, 1000, (len(idx),), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = common.add_noise(x0, noise, t)
        loss = F.mse_loss(unet(xt, t.float(), ctx, mask), noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(0.99, (1 + step) / (10 + step))
        with torch.no_grad():
            for pa, p in zip(avg_params, params):
                pa.mul_(decay).add_(p.detach(), alpha=1 - decay)
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        step += 1
        if step % 50 == 0:
            log('base_cont', step, '%.4f' % ema, 'lr %.2e' % opt.param_groups[0]['lr'])
    for m, a in zip(mods, avg):
        for bm, ba in zip(m.buffers(), a.buffers()):
            ba.copy_(bm)
    save('base_cont', {'text_encoder': te.state_dict(), 'projection': avg[0].state_dict(),
                       'unet': avg[1].state_dict(), 'steps': step, 'lr0': lr0}, time.time() - t0)


def load_base():
    b = load('base_cont') if done('base_cont') else load('base_more') if done('base_more') else load('base')
    te = nets.TextEncoder(len(common.TOKENS), D)
    te.load_state_dict(b['text_encoder'])
    proj = nets.TextProjection(D, D)
    proj.load_state_dict(b['projection'])
    unet = nets.UNet(**UNET_KW)
    unet.load_state_dict(b['unet'])
    for p in te.parameters():
        p.requires_grad_(False)
    return te, proj, unet


# ------------------------------------------------------------------ Flash (spec §3.5)

def train_flash():
    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(3)
    data = unet_data()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, unet = load_base()
    params = list(proj.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=3e-4)
    steps = STEPS['flash']
    ts = torch.tensor(common.FLASH_TIMESTEPS)
    t0 = time.time()
    ema = None
    for step in range(steps):
        idx = pick(groups, 64, gen)
        x0 = z[idx]
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask = common.encode_convention_a(te, proj, caps)
        t = ts[torch.randint(0, 4, (len(idx),), generator=gen)]
        noise = torch.randn(x0.shape, generator=gen)
        xt = common.add_noise(x0, noise, t)
        eps = unet(xt, t.float(), ctx, mask)
        a = common.ALPHAS_CUMPROD[t].view(-1, 1, 1, 1)
        x0_hat = (xt - (1 - a).sqrt() * eps) / a.sqrt()
        # x0 is what the Flash loop keeps (no clipping), so train on it, weighted by ᾱ so that the
        # ×1/√ᾱ amplification at t = 979 does not swamp the later steps (≈ min-SNR weighting).
        loss = (a * (x0_hat - x0) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        if step % 50 == 0:
            log('flash', step, '%.4f' % ema)
    save('flash', {'projection': proj.state_dict(), 'unet': unet.state_dict()}, time.time() - t0)


# ------------------------------------------------------------------ Inpainting (spec §2.5, §4.5)

def inpaint_masks(data, idx, gen):
    """User masks (1 = repaint) [B,64,64]: half the first shape's bounding box grown a little,
    half random rectangles."""
    b = len(idx)
    out = torch.zeros(b, 64, 64)
    for k, i in enumerate(idx.tolist()):
        if torch.rand(1, generator=gen) < 0.6:
            m = data['first_mask'][i]
            ys, xs = torch.nonzero(m, as_tuple=True)
            if len(ys):
                pad = int(torch.randint(1, 6, (1,), generator=gen))
                out[k, max(0, int(ys.min()) - pad): int(ys.max()) + pad + 1,
                    max(0, int(xs.min()) - pad): int(xs.max()) + pad + 1] = 1
                continue
        h, w = [int(v) for v in torch.randint(16, 40, (2,), generator=gen)]
        y, x = int(torch.randint(0, 64 - h, (1,), generator=gen)), int(torch.randint(0, 64 - w, (1,), generator=gen))
        out[k, y:y + h, x:x + w] = 1
    return out


def inpaint_inputs(enc, images_model, user_mask):
    """mask_int = 1 − mask (1 = keep); masked image = 0 where mask_int ≠ 1; latent mask by nearest
    (spec §4.5 steps 2–5)."""
    keep = 1 - user_mask
    masked = images_model * (keep == 1).float().unsqueeze(1)
    with torch.no_grad():
        ml = enc(masked)
    lm = F.interpolate(keep.unsqueeze(1), size=ml.shape[-2:], mode='nearest')
    return lm, ml


def train_inpainting():
    torch.manual_seed(4)
    gen = torch.Generator().manual_seed(4)
    data = unet_data()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, base = load_base()
    enc = nets.MoVQEncoder()
    enc.load_state_dict(load('movq')['encoder'])
    unet = nets.UNet(in_channels=9, **UNET_KW)
    sd = base.state_dict()
    w = torch.zeros(unet.conv_in.weight.shape)
    w[:, :4] = sd['conv_in.weight']
    sd['conv_in.weight'] = w
    unet.load_state_dict(sd)
    params = list(proj.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=5e-4)
    steps = STEPS['inpainting']
    t0 = time.time()
    ema = None
    for step in range(steps):
        idx = pick(groups, 48, gen)
        x0 = z[idx]
        caps = [data['captions'][i] for i in idx.tolist()]
        um = inpaint_masks(data, idx, gen)
        lm, ml = inpaint_inputs(enc, world.to_model_range(data['images'][idx]), um)
        ctx, mask = common.encode_convention_a(te, proj, caps)
        u, umk = uncond_a(proj, ctx, mask)
        ctx, mask = mix_uncond(ctx, mask, u, umk, 0.15, gen)
        t = torch.randint(0, 1000, (len(idx),), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = common.add_noise(x0, noise, t)
        pred = unet(torch.cat([xt, lm, ml], 1), t.float(), ctx, mask)
        loss = F.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        if step % 50 == 0:
            log('inpainting', step, '%.4f' % ema)
    save('inpainting', {'projection': proj.state_dict(), 'unet': unet.state_dict()}, time.time() - t0)


# ------------------------------------------------------------------ IP-Adapter (spec §2.7, §4.6)

CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)


def clip_pixels(images_uint8):
    """spec §2.7 preprocessing at the tiny encoder's 64×64: /255, normalise with CLIP mean/std."""
    x = images_uint8.permute(0, 3, 1, 2).float() / 255
    return (x - CLIP_MEAN) / CLIP_STD


def c_contexts(te, proj, caps, gen, pad_rows=None):
    """Convention C positive + the matching "" negative, with pad rows chosen at random
    (LN bias or zero) so the model is robust to both K3D pipeline variants (spec §4.1 C)."""
    pr = pad_rows or ('bias' if torch.rand(1, generator=gen) < 0.5 else 'zero')
    ctx, mask = common.encode_convention_c(te, proj, caps, pr)
    u, um = common.empty_context_c(te, proj, ctx.shape[0], ctx.shape[1], pr)
    return ctx, mask, u, um


def train_ip_adapter():
    torch.manual_seed(5)
    gen = torch.Generator().manual_seed(5)
    data = unet_data()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, base = load_base()
    unet = nets.UNet(ip=True, image_embed_dim=D, **UNET_KW)
    missing = unet.load_state_dict(base.state_dict(), strict=False)
    image_encoder = nets.ImageEncoder(D)
    params = list(proj.parameters()) + list(unet.parameters()) + list(image_encoder.parameters())
    opt = torch.optim.AdamW(params, lr=5e-4)
    steps = STEPS['ip_adapter']
    zero_pixels = torch.zeros(1, 3, 64, 64)
    t0 = time.time()
    ema = None
    for step in range(steps):
        idx = pick(groups, 32, gen)
        b = len(idx)
        x0 = z[idx]
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask, u, um = c_contexts(te, proj, caps, gen)
        # Image-only mode (prompt "") makes the positive context and mask all zero (spec §4.6).
        empty = (torch.rand(b, generator=gen) < 0.5)
        ctx = torch.where(empty[:, None, None], torch.zeros_like(ctx), ctx)
        mask = torch.where(empty[:, None], torch.zeros_like(mask), mask)
        emb = image_encoder(clip_pixels(data['images'][idx]))
        emb_zero = image_encoder(zero_pixels).expand(b, -1)
        drop = torch.rand(b, generator=gen) < 0.12
        ctx = torch.where(drop[:, None, None], u, ctx)
        mask = torch.where(drop[:, None], um, mask)
        emb = torch.where(drop[:, None], emb_zero, emb)
        t = torch.randint(0, 1000, (b,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = common.add_noise(x0, noise, t)
        pred = unet(xt, t.float(), ctx, mask, emb, torch.ones(()))
        loss = F.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        if step % 50 == 0:
            log('ip_adapter', step, '%.4f' % ema)
    save('ip_adapter', {'projection': proj.state_dict(), 'unet': unet.state_dict(),
                        'image_encoder': image_encoder.state_dict()}, time.time() - t0)


# ------------------------------------------------------------------ ControlNet v1 (spec §2.8)

def hint_of(images_uint8):
    det = nets.TinyEdgeDetector()
    with torch.no_grad():
        sides = det(images_uint8.permute(0, 3, 1, 2).float())
        return nets.hed_postprocess(sides, images_uint8.shape[1:3])


def train_controlnet():
    torch.manual_seed(6)
    gen = torch.Generator().manual_seed(6)
    data = unet_data()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, base = load_base()
    unet = nets.UNet(hint=True, **UNET_KW)
    unet.load_state_dict(base.state_dict(), strict=False)
    params = list(proj.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=5e-4)
    steps = STEPS['controlnet']
    t0 = time.time()
    ema = None
    for step in range(steps):
        idx = pick(groups, 32, gen)
        b = len(idx)
        x0 = z[idx]
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask, u, um = c_contexts(te, proj, caps, gen)
        drop = torch.rand(b, generator=gen) < 0.15
        ctx = torch.where(drop[:, None, None], u, ctx)
        mask = torch.where(drop[:, None], um, mask)
        hint = hint_of(data['images'][idx])
        t = torch.randint(0, 1000, (b,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = common.add_noise(x0, noise, t)
        pred = unet(xt, t.float(), ctx, mask, hint=hint)
        loss = F.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        if step % 50 == 0:
            log('controlnet', step, '%.4f' % ema)
    save('controlnet', {'projection': proj.state_dict(), 'unet': unet.state_dict()}, time.time() - t0)


STAGES = {'movq': train_movq, 'base': train_base, 'base_more': train_base_more, 'base_cont': train_base_cont, 'flash': train_flash, 'inpainting': train_inpainting,
          'ip_adapter': train_ip_adapter, 'controlnet': train_controlnet}

if __name__ == '__main__':
    for name in sys.argv[1:] or list(STAGES):
        if done(name):
            log('skip', name, '(checkpoint exists)')
            continue
        log('train', name)
        STAGES[name]()
        log('done', name)
