"""Train every tiny latent component with fixed seeds; checkpoints go to .cache/ so a rerun skips
finished stages. Usage: /usr/bin/python3 train.py [stage ...]  (default: all stages, in order).

Stages: movq → base → {flash, inpainting, ip_adapter, controlnet} (the last four only need base and
movq, so build.sh runs them in two parallel lanes, one torch thread each).

Recipe shared by the UNet stages (one loop, ``fit``): AdamW, linear warm-up then cosine decay to
zero, gradient clipping at 1, an exponential moving average of the weights (what is saved), batches
drawn from one token-count bucket so that every row has the same context length L = n + 1 as at
inference (spec §4.1), and min-SNR-5 weighting of the ε loss (the high-noise steps, which decide
colour and shape, keep full weight; nearly clean steps are down-weighted).

Speed note: PyTorch's matmuls go through the system BLAS. Debian's python3-torch links the
reference libblas3, which makes training ~3× slower than OpenBLAS: install libopenblas0-pthread
(build.sh checks it).
"""
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
UNET_KW = dict(context_dim=D, channels=(48, 96, 96), time_dim=64, groups=8, head_dim=16)
# TINY_UNET_CHANNELS="32,48,48" trains (and evaluates) another UNet trunk (that one: the narrow
# trunk of the first shipped family).
if os.environ.get('TINY_UNET_CHANNELS'):
    UNET_KW['channels'] = tuple(int(c) for c in os.environ['TINY_UNET_CHANNELS'].split(','))
STEPS = {'movq': 2400, 'base': 4500, 'base_anneal': 600, 'flash': 900, 'inpainting': 1200, 'ip_adapter': 1200, 'controlnet': 1200}
BATCH = {'movq': 32, 'base': 128, 'flash': 128, 'inpainting': 96, 'ip_adapter': 96, 'controlnet': 96}
LR = {'movq': 2e-3, 'base': 1.5e-3, 'base_anneal': 3e-4, 'flash': 3e-4, 'inpainting': 6e-4, 'ip_adapter': 6e-4, 'controlnet': 6e-4}
TRAIN_SCENES = 20000
MOVQ_LATENT_NOISE = 0.03
MIN_SNR_GAMMA = 5.0
# Overrides, e.g. TINY_STEPS="flash=200,base=3000"; TINY_STEPS="base_anneal=0" drops base's second
# cosine cycle.
for _kv in filter(None, os.environ.get('TINY_STEPS', '').split(',')):
    _k, _v = _kv.split('=')
    STEPS[_k.strip()] = int(_v)
if os.environ.get('TINY_SMOKE'):
    STEPS = {k: 3 for k in STEPS}


def channels_last(x):
    """A module or a 4-D tensor in NHWC memory order, for the pixel-space conv stacks (MoVQ, the
    ControlNet hint stack, the IP image encoder): oneDNN on this CPU runs them faster that way. The
    hint stack's forward + backward at batch 96 took 0.42 s in NCHW and 0.08 s in NHWC (one
    thread); the MoVQ encoder, with chunks of 128, encodes 2.8× faster; MoVQ training gains less (~0.28 → 0.26 s
    per two-thread step). Values are the same up to float rounding. The latent UNet at 8×8 gains
    nothing and stays NCHW."""
    return x.to(memory_format=torch.channels_last)


def log(*a):
    print(time.strftime('%H:%M:%S'), *a, flush=True)


def dataset(n: int = TRAIN_SCENES):
    path = os.path.join(C, 'train-data.pt')
    if os.path.exists(path):
        return torch.load(path)
    b = world.sample_batch(n, world.TRAIN_SEED_BASE)
    data = {'images': b.images, 'captions': b.captions, 'first_mask': b.first_mask, 'edges': b.edges}
    torch.save(data, path)
    return data


def done(stage):
    return os.path.exists(os.path.join(C, stage + '.pt'))


def _contiguous(obj):
    if isinstance(obj, dict):
        return {k: _contiguous(v) for k, v in obj.items()}
    return obj.contiguous() if isinstance(obj, torch.Tensor) else obj


def save(stage, obj, seconds):
    obj = _contiguous(obj)  # state dicts of channels-last modules are stored in plain NCHW order
    obj['seconds'] = seconds
    # Write then rename: the other lane polls for base.pt and must never read a partial file.
    torch.save(obj, os.path.join(C, stage + '.pt.partial'))
    os.replace(os.path.join(C, stage + '.pt.partial'), os.path.join(C, stage + '.pt'))
    # Each stage writes its own time file, so parallel lanes never race on one JSON.
    json.dump({stage: round(seconds, 1)}, open(os.path.join(C, f'time-{stage}.json'), 'w'))


def times():
    """{stage: seconds} of every finished stage."""
    out = {}
    for f in sorted(os.listdir(C)):
        if f.startswith('time-') and f.endswith('.json'):
            out.update(json.load(open(os.path.join(C, f))))
    return out


def load(stage):
    return torch.load(os.path.join(C, stage + '.pt'))


# ------------------------------------------------------------------ MoVQ (spec §2.6)

def train_movq():
    """Fresh scenes every step (the world is free to sample), L1 + MSE, and Gaussian noise on the
    latent so that the decoder forgives the small errors of diffusion samples and the encoder spreads
    its codes over the tanh range."""
    torch.manual_seed(1)
    enc, dec = channels_last(nets.MoVQEncoder()), channels_last(nets.MoVQDecoder())
    params = list(enc.parameters()) + list(dec.parameters())
    steps, lr = STEPS['movq'], LR['movq']
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.05)
    t0 = time.time()
    for step in range(steps):
        x = channels_last(world.to_model_range(world.sample_batch(BATCH['movq'], world.TRAIN_SEED_BASE + 500_000 + step).images))
        z = enc(x)
        r = dec(z + MOVQ_LATENT_NOISE * torch.randn_like(z))
        loss = (r - x).abs().mean() + F.mse_loss(r, x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            psnr = 10 * math.log10(4 / max(1e-10, float(F.mse_loss(r.detach().clamp(-1, 1), x))))
            log('movq', step, '%.4f' % float(loss), 'psnr %.1f' % psnr, 'latent std %.3f' % float(z.std()),
                '%.0fs' % (time.time() - t0))
    save('movq', {'encoder': enc.state_dict(), 'decoder': dec.state_dict()}, time.time() - t0)


def movq_encoder():
    enc = nets.MoVQEncoder()
    enc.load_state_dict(load('movq')['encoder'])
    for p in enc.parameters():
        p.requires_grad_(False)
    return channels_last(enc)


def latents_of(data):
    """Encode the whole training set once with the frozen MoVQ encoder."""
    path = os.path.join(C, 'train-latents.pt')
    if os.path.exists(path):
        return torch.load(path)
    enc = movq_encoder()
    with torch.no_grad():
        # Chunks of 128: faster per image than 512 here (cache-sized activations).
        z = torch.cat([enc(channels_last(world.to_model_range(data['images'][i:i + 128]))).contiguous()
                       for i in range(0, len(data['images']), 128)])
    torch.save(z, path)
    return z


# ------------------------------------------------------------------ text conditioning (spec §4.1)

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


def _cut_ids(texts):
    """ids and mask cut to L = n + 1 before the encoder. Training only: the encoder's masked
    attention makes the real rows independent of the pad rows, so this equals running all 128 rows
    (as the pipelines and the ONNX contract do) up to float rounding, at a fraction of the cost."""
    ids, mask = common.tokenize_padded(texts)
    length = min(common.MAX_LENGTH, int(mask.sum(1).max()) + 1)
    return ids[:, :length], mask[:, :length]


def context_a(te, proj, texts):
    """Convention A (spec §4.1 A): project, zero the pad rows, L = n + 1."""
    ids, mask = _cut_ids(texts)
    return proj(te(ids, mask)) * mask.unsqueeze(-1).float(), mask.bool()


def context_c(te, proj, texts, pad_rows):
    """Convention C (spec §4.1 C): raw rows × mask, projected (pad rows = LayerNorm bias), or
    zeroed after projection (``pad_rows='zero'``)."""
    ids, mask = _cut_ids(texts)
    ctx = proj(te(ids, mask) * mask.unsqueeze(-1).float())
    if pad_rows == 'zero':
        ctx = ctx * mask.unsqueeze(-1).float()
    return ctx, mask.bool()


def empty_context_c(te, proj, batch, length, pad_rows):
    """The prompt "" (ids [EOS, 0, …]) through convention C, cut to the positive's length."""
    ids = torch.zeros(1, length, dtype=torch.int64)
    ids[0, 0] = common.EOS
    mask = torch.zeros(1, length, dtype=torch.int64)
    mask[0, 0] = 1
    ctx = proj(te(ids, mask) * mask.unsqueeze(-1).float())
    if pad_rows == 'zero':
        ctx = ctx * mask.unsqueeze(-1).float()
    return ctx.expand(batch, -1, -1), mask.bool().expand(batch, -1)


def drop_rows(ctx, mask, u, um, p, gen):
    """Replace a fraction p of the rows by the unconditional context (CFG training)."""
    drop = torch.rand(ctx.shape[0], generator=gen) < p
    return torch.where(drop[:, None, None], u, ctx), torch.where(drop[:, None], um, mask), drop


def c_contexts(te, proj, caps, gen, pad_rows=None):
    """Convention C positive + the matching "" negative, with pad rows chosen at random (LN bias or
    zero) so the model is robust to both K3D pipeline variants (spec §4.1 C)."""
    pr = pad_rows or ('bias' if torch.rand(1, generator=gen) < 0.5 else 'zero')
    ctx, mask = context_c(te, proj, caps, pr)
    u, um = empty_context_c(te, proj, ctx.shape[0], ctx.shape[1], pr)
    return ctx, mask, u, um


# ------------------------------------------------------------------ the shared UNet training loop

def noisy(x0, t, gen):
    noise = torch.randn(x0.shape, generator=gen)
    return common.add_noise(x0, noise, t), noise


def min_snr_eps_loss(pred, noise, t):
    """ε-MSE per row weighted by min(SNR, γ)/SNR (min-SNR-γ weighting for ε-prediction)."""
    a = common.ALPHAS_CUMPROD[t]
    snr = a / (1 - a)
    w = torch.clamp(snr, max=MIN_SNR_GAMMA) / snr
    return (w * ((pred - noise) ** 2).mean(dim=(1, 2, 3))).mean()


def fit(stage, modules, loss_fn, gen, frozen=()):
    """Train ``modules`` (dict name → module) with ``loss_fn(step) → loss``; returns the EMA copies.

    AdamW, 3 % linear warm-up, cosine to zero, grad-norm clip 1, EMA decay min(0.999, (1+k)/(10+k)).
    """
    for m in frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    params = [p for m in modules.values() for p in m.parameters() if p.requires_grad]
    avg = {k: copy.deepcopy(m) for k, m in modules.items()}
    pairs = [(pa, p) for k in modules for pa, p in zip(avg[k].parameters(), modules[k].parameters())]
    steps, lr0 = STEPS[stage], LR[stage]
    warm = max(1, int(0.03 * steps))
    opt = torch.optim.AdamW(params, lr=lr0, weight_decay=0.0)
    t0 = time.time()
    ema_loss = None
    for step in range(steps):
        lr = lr0 * min(1.0, (step + 1) / warm) * 0.5 * (1 + math.cos(math.pi * step / steps))
        for g in opt.param_groups:
            g['lr'] = lr
        loss = loss_fn(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for pa, p in pairs:
                pa.mul_(decay).add_(p.detach(), alpha=1 - decay)
        ema_loss = float(loss) if ema_loss is None else 0.98 * ema_loss + 0.02 * float(loss)
        if step % 100 == 0 or step == steps - 1:
            log(stage, step, '%.4f' % ema_loss, 'lr %.2e' % lr, '%.0fs' % (time.time() - t0))
    for k in modules:
        for bm, ba in zip(modules[k].buffers(), avg[k].buffers()):
            ba.copy_(bm)
    return avg, time.time() - t0


# ------------------------------------------------------------------ base text encoder + UNet

def train_base():
    torch.manual_seed(2)
    gen = torch.Generator().manual_seed(2)
    data = dataset()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te = nets.TextEncoder(len(common.TOKENS), D)
    proj = nets.TextProjection(D, D)
    unet = nets.UNet(**UNET_KW)
    log('unet params', nets.count_parameters(unet))

    # The modules being trained; the loss looks them up here, so a later cycle can swap them.
    modules = {'text_encoder': te, 'projection': proj, 'unet': unet}

    def loss_fn(step):
        idx = pick(groups, BATCH['base'], gen)
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask = context_a(modules['text_encoder'], modules['projection'], caps)
        u, um = common.null_context_a(modules['projection'], ctx.shape[0], ctx.shape[1])
        ctx, mask, _ = drop_rows(ctx, mask, u, um, 0.1, gen)
        t = torch.randint(0, 1000, (len(idx),), generator=gen)
        xt, noise = noisy(z[idx], t, gen)
        return min_snr_eps_loss(modules['unet'](xt, t.float(), ctx, mask), noise, t)

    avg, seconds = fit('base', modules, loss_fn, gen)
    if STEPS['base_anneal'] > 0:
        # A second, short cosine cycle from the averaged weights at a fifth of the learning rate,
        # fresh optimiser and average. On the wide trunk, 600 such steps took base shape agreement
        # from 64 % to 76 % in an experiment (without the min-SNR weights: 70 %).
        modules.update(avg)
        avg, more = fit('base_anneal', modules, loss_fn, gen)
        seconds += more
    save('base', {k: m.state_dict() for k, m in avg.items()}, seconds)


def load_base():
    b = load('base')
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

# Flash's steps after the first regress onto the base model's own deterministic samples from
# FLASH_TEACHER_PAIRS noised training latents (TINY_FLASH_TEACHER=0: onto the data, as in the first
# shipped family). With TINY_FLASH_TEACHER_CHAIN=1 (the default) one sampler run per latent serves all
# three later timesteps: it starts at 729 and steps by 50, so it passes 479 and 229 on its way, and
# the states it holds there are the bank's x_t for those steps. That is 15 UNet calls per latent
# instead of 19 + 12 + 6 = 37 for three separate runs every 40 timesteps (TINY_FLASH_TEACHER_CHAIN=0,
# the previous family).
FLASH_TEACHER_PAIRS = int(os.environ.get('TINY_FLASH_TEACHER', '4096'))
FLASH_TEACHER_CHAIN = os.environ.get('TINY_FLASH_TEACHER_CHAIN', '1') != '0'
FLASH_TEACHER_STRIDE = 50 if FLASH_TEACHER_CHAIN else 40
FLASH_TEACHER_GUIDANCE = 3.0


@torch.no_grad()
def teacher_sample(te, proj, unet, caps, xt, ts, keep=()):
    """The base sampler from xt along the timesteps ts (the original 3.1 step with η = 0,
    thresholding 0.99, Kandinsky CFG): the sample x0 and the states reached at the timesteps in
    ``keep`` ({t: x_t})."""
    batch = len(caps)
    ctx, mask = context_a(te, proj, caps)
    u, um = common.null_context_a(proj, batch, ctx.shape[1])
    cc, mm = torch.cat([ctx, u]), torch.cat([mask, um])
    x, held = xt, {}
    for t_from, t_to in zip(ts[:-1], ts[1:]):
        eps = unet(torch.cat([x, x]), torch.full((2 * batch,), float(t_from)), cc, mm)
        e = (FLASH_TEACHER_GUIDANCE + 1) * eps[:batch] - FLASH_TEACHER_GUIDANCE * eps[batch:]
        x = common.original_step(x, e, t_from, t_to, None, 0.99, eta=0.0)
        if t_to in keep:
            held[t_to] = x
    return x, held


@torch.no_grad()
def flash_teacher_bank(te, proj, unet, data, z, groups, gen):
    """[(t, idx, x_t, x0)] for t in 729, 479, 229: x_t near the training latents at t, and where the
    base sampler takes x_t deterministically (``teacher_sample``, every FLASH_TEACHER_STRIDE
    timesteps down to 0). Unlike the data, x0 is a function of x_t, so the regression has a sharp
    target instead of the blurred mean E[x0 | x_t]."""
    bank = []
    batch = 128
    later = common.FLASH_TIMESTEPS[1:]
    if FLASH_TEACHER_CHAIN:
        ts = list(range(later[0], 0, -FLASH_TEACHER_STRIDE)) + [0]
        assert all(t in ts for t in later), (later, FLASH_TEACHER_STRIDE)
        for _ in range(FLASH_TEACHER_PAIRS // batch):
            idx = pick(groups, batch, gen)
            xt, _ = noisy(z[idx], torch.full((batch,), later[0]), gen)
            x0, held = teacher_sample(te, proj, unet, [data['captions'][i] for i in idx.tolist()], xt, ts,
                                      keep=later[1:])
            held[later[0]] = xt
            bank.extend((t, idx, held[t], x0) for t in later)
        return bank
    for t in later:
        ts = list(range(t, 0, -FLASH_TEACHER_STRIDE)) + [0]
        for _ in range(FLASH_TEACHER_PAIRS // batch):
            idx = pick(groups, batch, gen)
            xt, _ = noisy(z[idx], torch.full((batch,), t), gen)
            x0, _ = teacher_sample(te, proj, unet, [data['captions'][i] for i in idx.tolist()], xt, ts)
            bank.append((t, idx, xt, x0))
    return bank


def train_flash():
    """Base UNet + projection fine-tuned on the four Flash timesteps with an ᾱ-weighted x0 loss:
    x0 is what the Flash loop keeps (no clipping), and the weight keeps the ×1/√ᾱ amplification at
    t = 979 from swamping the later steps (teacher forcing: x_t is always the data noised to t).
    With TINY_FLASH_TEACHER, each batch is 32 rows at t = 979 on the data and 96 rows of one
    ``flash_teacher_bank`` entry regressed onto the base's samples."""
    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(3)
    data = dataset()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, unet = load_base()
    ts = torch.tensor(common.FLASH_TIMESTEPS)
    t0 = time.time()
    bank = []
    if FLASH_TEACHER_PAIRS > 0:
        unet.eval()
        bank = flash_teacher_bank(te, proj, unet, data, z, groups, gen)
        unet.train()
        log('flash teacher bank', len(bank), 'batches', '%.0fs' % (time.time() - t0))

    def x0_errors(xt, t, caps, target):
        """ᾱ·(x̂0 − target)² per element."""
        ctx, mask = context_a(te, proj, caps)
        eps = unet(xt, t.float(), ctx, mask)
        a = common.ALPHAS_CUMPROD[t].view(-1, 1, 1, 1)
        x0_hat = (xt - (1 - a).sqrt() * eps) / a.sqrt()
        return a * (x0_hat - target) ** 2

    def loss_fn(step):
        if not bank:
            idx = pick(groups, BATCH['flash'], gen)
            caps = [data['captions'][i] for i in idx.tolist()]
            t = ts[torch.randint(0, 4, (len(idx),), generator=gen)]
            xt, _ = noisy(z[idx], t, gen)
            return x0_errors(xt, t, caps, z[idx]).mean()
        first = BATCH['flash'] // 4
        idx = pick(groups, first, gen)
        t = ts[:1].expand(first)
        xt, _ = noisy(z[idx], t, gen)
        total = x0_errors(xt, t, [data['captions'][i] for i in idx.tolist()], z[idx]).sum()
        tb, bidx, bxt, btarget = bank[int(torch.randint(len(bank), (1,), generator=gen))]
        k = torch.randperm(len(bidx), generator=gen)[:BATCH['flash'] - first]
        total = total + x0_errors(bxt[k], torch.full((len(k),), tb), [data['captions'][i] for i in bidx[k].tolist()],
                                  btarget[k]).sum()
        return total / (BATCH['flash'] * z[0].numel())

    avg, _ = fit('flash', {'projection': proj, 'unet': unet}, loss_fn, gen, frozen=[te])
    save('flash', {k: m.state_dict() for k, m in avg.items()}, time.time() - t0)


# ------------------------------------------------------------------ Inpainting (spec §2.5, §4.5)

def inpaint_masks(data, idx, gen):
    """User masks (1 = repaint) [B,64,64]: 60 % the first shape's bounding box grown by 1–5 px,
    40 % random rectangles."""
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
        ml = enc(channels_last(masked)).contiguous()
    lm = F.interpolate(keep.unsqueeze(1), size=ml.shape[-2:], mode='nearest')
    return lm, ml


# Masks drawn and MoVQ-encoded once per training scene (TINY_INPAINT_MASKS=0: a fresh mask per
# training row, encoded in the loop, as in the first shipped family).
INPAINT_MASKS_PER_SCENE = int(os.environ.get('TINY_INPAINT_MASKS', '1'))


@torch.no_grad()
def inpaint_cache(data, enc, gen):
    """Every training scene with INPAINT_MASKS_PER_SCENE masks drawn once (``inpaint_masks``), its
    latent mask and the MoVQ latent of its masked image: [S·K, 1, 8, 8] and [S·K, 4, 8, 8], row
    k·S + i for scene i. Encoding each masked image once, instead of a fresh one per training row,
    takes the MoVQ encoder (≈ 70 % of a step) out of the loop."""
    lms, mls = [], []
    n = len(data['images'])
    for _ in range(INPAINT_MASKS_PER_SCENE):
        for i in range(0, n, 128):
            idx = torch.arange(i, min(n, i + 128))
            lm, ml = inpaint_inputs(enc, world.to_model_range(data['images'][idx]), inpaint_masks(data, idx, gen))
            lms.append(lm)
            mls.append(ml)
    return torch.cat(lms), torch.cat(mls)


def train_inpainting():
    torch.manual_seed(4)
    gen = torch.Generator().manual_seed(4)
    data = dataset()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, base = load_base()
    t0 = time.time()
    enc = movq_encoder()
    if INPAINT_MASKS_PER_SCENE > 0:
        lms, mls = inpaint_cache(data, enc, gen)
        log('inpainting masked latents', len(lms), '%.0fs' % (time.time() - t0))
    unet = nets.UNet(in_channels=9, **UNET_KW)
    sd = base.state_dict()
    w = torch.zeros(unet.conv_in.weight.shape)
    w[:, :4] = sd['conv_in.weight']
    sd['conv_in.weight'] = w
    unet.load_state_dict(sd)

    def loss_fn(step):
        idx = pick(groups, BATCH['inpainting'], gen)
        caps = [data['captions'][i] for i in idx.tolist()]
        if INPAINT_MASKS_PER_SCENE > 0:
            # Row k·S + i holds scene i's k-th mask (inpaint_cache).
            row = idx + len(z) * torch.randint(0, INPAINT_MASKS_PER_SCENE, (len(idx),), generator=gen)
            lm, ml = lms[row], mls[row]
        else:
            lm, ml = inpaint_inputs(enc, world.to_model_range(data['images'][idx]), inpaint_masks(data, idx, gen))
        ctx, mask = context_a(te, proj, caps)
        u, um = common.null_context_a(proj, ctx.shape[0], ctx.shape[1])
        ctx, mask, _ = drop_rows(ctx, mask, u, um, 0.1, gen)
        t = torch.randint(0, 1000, (len(idx),), generator=gen)
        xt, noise = noisy(z[idx], t, gen)
        return min_snr_eps_loss(unet(torch.cat([xt, lm, ml], 1), t.float(), ctx, mask), noise, t)

    avg, _ = fit('inpainting', {'projection': proj, 'unet': unet}, loss_fn, gen, frozen=[te])
    save('inpainting', {k: m.state_dict() for k, m in avg.items()}, time.time() - t0)


# ------------------------------------------------------------------ IP-Adapter (spec §2.7, §4.6)

CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)


def clip_pixels(images_uint8):
    """spec §2.7 preprocessing at the tiny encoder's 64×64: /255, normalise with CLIP mean/std."""
    x = images_uint8.permute(0, 3, 1, 2).float() / 255
    return (x - CLIP_MEAN) / CLIP_STD


def train_ip_adapter():
    """Image embedding of the training image itself; half the rows in the image-only mode (prompt ""
    ⇒ context and mask all zero, spec §4.6), the others with the caption (convention C); 10 % rows
    fully unconditional ("" negative + the embedding of all-zero pixel_values)."""
    torch.manual_seed(5)
    gen = torch.Generator().manual_seed(5)
    data = dataset()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, base = load_base()
    unet = nets.UNet(ip=True, image_embed_dim=D, **UNET_KW)
    unet.load_state_dict(base.state_dict(), strict=False)
    image_encoder = channels_last(nets.ImageEncoder(D))
    zero_pixels = channels_last(torch.zeros(1, 3, 64, 64))

    def loss_fn(step):
        idx = pick(groups, BATCH['ip_adapter'], gen)
        b = len(idx)
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask, u, um = c_contexts(te, proj, caps, gen)
        empty = torch.rand(b, generator=gen) < 0.5
        ctx = torch.where(empty[:, None, None], torch.zeros_like(ctx), ctx)
        mask = torch.where(empty[:, None], torch.zeros_like(mask), mask)
        emb = image_encoder(channels_last(clip_pixels(data['images'][idx])))
        emb_zero = image_encoder(zero_pixels).expand(b, -1)
        ctx, mask, drop = drop_rows(ctx, mask, u, um, 0.1, gen)
        emb = torch.where(drop[:, None], emb_zero, emb)
        t = torch.randint(0, 1000, (b,), generator=gen)
        xt, noise = noisy(z[idx], t, gen)
        return min_snr_eps_loss(unet(xt, t.float(), ctx, mask, emb, torch.ones(())), noise, t)

    avg, seconds = fit('ip_adapter', {'projection': proj, 'unet': unet, 'image_encoder': image_encoder}, loss_fn,
                       gen, frozen=[te])
    save('ip_adapter', {k: m.state_dict() for k, m in avg.items()}, seconds)


# ------------------------------------------------------------------ ControlNet v1 (spec §2.8)

def hint_of(images_uint8):
    det = nets.TinyEdgeDetector()
    with torch.no_grad():
        sides = det(images_uint8.permute(0, 3, 1, 2).float())
        return nets.hed_postprocess(sides, images_uint8.shape[1:3])


def train_controlnet():
    torch.manual_seed(6)
    gen = torch.Generator().manual_seed(6)
    data = dataset()
    z = latents_of(data)
    groups = buckets(data['captions'])
    te, proj, base = load_base()
    unet = nets.UNet(hint=True, **UNET_KW)
    unet.load_state_dict(base.state_dict(), strict=False)
    channels_last(unet.hint)  # one-thread step 0.81 s → 0.49 s (the 64×64 hint stack)
    t0 = time.time()
    # Every training image's hint, once (~1 GB): the edge graph is per image and gives the same bits
    # in any batch, so this only takes it (~20 % of a step) out of the loop.
    images = data['images']
    hints = torch.cat([hint_of(images[i:i + 512]) for i in range(0, len(images), 512)])
    log('controlnet hints', len(hints), '%.0fs' % (time.time() - t0))

    def loss_fn(step):
        idx = pick(groups, BATCH['controlnet'], gen)
        caps = [data['captions'][i] for i in idx.tolist()]
        ctx, mask, u, um = c_contexts(te, proj, caps, gen)
        ctx, mask, _ = drop_rows(ctx, mask, u, um, 0.1, gen)
        hint = channels_last(hints[idx])
        t = torch.randint(0, 1000, (len(idx),), generator=gen)
        xt, noise = noisy(z[idx], t, gen)
        return min_snr_eps_loss(unet(xt, t.float(), ctx, mask, hint=hint), noise, t)

    avg, _ = fit('controlnet', {'projection': proj, 'unet': unet}, loss_fn, gen, frozen=[te])
    save('controlnet', {k: m.state_dict() for k, m in avg.items()}, time.time() - t0)


STAGES = {'movq': train_movq, 'base': train_base, 'flash': train_flash, 'inpainting': train_inpainting,
          'ip_adapter': train_ip_adapter, 'controlnet': train_controlnet}

if __name__ == '__main__':
    for name in sys.argv[1:] or list(STAGES):
        if done(name):
            log('skip', name, '(checkpoint exists)')
            continue
        log('train', name, 'steps', STEPS[name], 'batch', BATCH[name], 'threads', torch.get_num_threads())
        STAGES[name]()
        log('done', name)
