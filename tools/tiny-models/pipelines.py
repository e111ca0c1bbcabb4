"""PyTorch reference pipelines for the tiny models (spec §4.2, §4.3, §4.5, §4.6, §4.7).

These are what the TypeScript pipelines must reproduce; evaluate.py and reference.py use them.
Prompts in one call must share a token count (so L = n+1 is common); callers group them.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

import common
import nets
import world

A = common.ALPHAS_CUMPROD


def group_by_length(prompts: List[str]) -> Dict[int, List[int]]:
    g: Dict[int, List[int]] = {}
    for i, p in enumerate(prompts):
        g.setdefault(len(common.tokenize(p)), []).append(i)
    return g


@torch.no_grad()
def text_to_image_latents(te, proj, unet, prompts, generator, steps=50, guidance=3.0, percentile=0.99,
                          trace=None, extra_channels=None):
    """Original 3.1 sampler with CFG and convention A (spec §4.1 A, §4.2, §3.2)."""
    ctx, mask = common.encode_convention_a(te, proj, prompts)
    b, length = ctx.shape[0], ctx.shape[1]
    u, um = common.null_context_a(proj, b, length)
    x = torch.randn((b, 4, 8, 8), generator=generator)
    if trace is not None:
        trace['context'] = ctx.clone()
        trace['context_mask'] = mask.clone()
        trace['uncond_context'] = u.clone()
        trace['initial_latent'] = x.clone()
    ts = common.original_timesteps(steps)
    cc, mm = torch.cat([ctx, u]), torch.cat([mask, um])
    for k, (t, tp) in enumerate(zip(ts[:-1], ts[1:])):
        inp = torch.cat([x, x])
        if extra_channels is not None:
            inp = torch.cat([inp, torch.cat([extra_channels, extra_channels])], 1)
        eps = unet(inp, torch.full((2 * b,), float(t)), cc, mm)
        ec, eu = eps[:b], eps[b:]
        e = (guidance + 1) * ec - guidance * eu
        noise_log = [] if trace is not None else None
        if trace is not None and k < 2:
            trace[f'guided_eps_step_{k + 1}'] = e.clone()
        x = common.original_step(x, e, t, tp, generator, percentile, noise_log=noise_log)
        if trace is not None and k < 2:
            trace[f'step_noise_{k + 1}'] = noise_log[0].clone()
        if trace is not None and (k < 2 or tp == 0):
            trace[f'latent_after_step_{k + 1}' if tp != 0 else 'latent_final'] = x.clone()
    return x


@torch.no_grad()
def flash_latents(te, proj, unet, prompts, generator):
    """spec §3.5: x0 ← N(0,I); per t: noise x0 to t with fresh noise, ε̂, x0 (no clip, no CFG)."""
    ctx, mask = common.encode_convention_a(te, proj, prompts)
    b = ctx.shape[0]
    x0 = torch.randn((b, 4, 8, 8), generator=generator)
    for t in common.FLASH_TIMESTEPS:
        a = A[t]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(x0.shape, generator=generator)
        eps = unet(xt, torch.full((b,), float(t)), ctx, mask)
        x0 = (xt - (1 - a).sqrt() * eps) / a.sqrt()
    return x0


def ddpm_timesteps(steps: int) -> List[int]:
    """spec §3.3 leading spacing + steps_offset 1."""
    stride = 1000 // steps
    return [k * stride + 1 for k in range(steps)][::-1]


def ddpm_step(x, eps, t, t_prev, generator):
    """spec §3.3 DDPMScheduler step (clip_sample, fixed_small variance)."""
    a_t = A[t]
    a_prev = A[t_prev] if t_prev >= 0 else torch.tensor(1.0)
    beta_t = 1 - a_t / a_prev
    x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
    c0 = a_prev.sqrt() * beta_t / (1 - a_t)
    ct = (a_t / a_prev).sqrt() * (1 - a_prev) / (1 - a_t)
    mean = c0 * x0 + ct * x
    if t > 0 and t_prev >= 0:
        var = torch.clamp((1 - a_prev) / (1 - a_t) * beta_t, min=1e-20)
        mean = mean + var.sqrt() * torch.randn(x.shape, generator=generator)
    return mean


@torch.no_grad()
def ddpm_sample(unet_call, b, generator, steps=25, guidance=3.0):
    """CFG with [uncond, cond] batch order (diffusers/K3D); ``unet_call(x2, t2)`` → ε for 2b rows."""
    x = torch.randn((b, 4, 8, 8), generator=generator)
    ts = ddpm_timesteps(steps)
    for i, t in enumerate(ts):
        tp = ts[i + 1] if i + 1 < len(ts) else -1
        eps = unet_call(torch.cat([x, x]), torch.full((2 * b,), float(t)))
        eu, ec = eps[:b], eps[b:]
        e = eu + (guidance + 1) * (ec - eu) if guidance > 1 else ec
        x = ddpm_step(x, e, t, tp, generator)
    return x


@torch.no_grad()
def ip_adapter_latents(te, proj, unet, image_encoder, prompts, embeds, generator, steps=25, guidance=3.0, ip_scale=1.0):
    """spec §4.6 with convention C (IP pipeline): positive cut+project (LN-bias pads); prompt "" →
    all-zero context and mask; negative "" → EOS-only, projected, pads zeroed; uncond image = zero pixels."""
    b = embeds.shape[0]
    if all(p == '' for p in prompts):
        ctx = torch.zeros(b, 2, train_d(proj))
        mask = torch.zeros(b, 2, dtype=torch.bool)
        length = 2
    else:
        ctx, mask = common.encode_convention_c(te, proj, prompts, 'bias')
        length = ctx.shape[1]
    u, um = common.empty_context_c(te, proj, b, length, 'zero')
    e0 = image_encoder(torch.zeros(1, 3, 64, 64)).expand(b, -1)
    cc, mm, ee = torch.cat([u, ctx]), torch.cat([um, mask]), torch.cat([e0, embeds])
    s = torch.tensor(float(ip_scale))
    return ddpm_sample(lambda x, t: unet(x, t, cc, mm, ee, s), b, generator, steps, guidance)


def train_d(proj):
    return proj.linear.weight.shape[0]


@torch.no_grad()
def controlnet_latents(te, proj, unet, prompts, hint, generator, steps=25, guidance=3.0):
    """spec §4.7 v1 with convention C (ControlNet pipeline): negative "" with LN-bias pads."""
    ctx, mask = common.encode_convention_c(te, proj, prompts, 'bias')
    b = ctx.shape[0]
    u, um = common.empty_context_c(te, proj, b, ctx.shape[1], 'bias')
    cc, mm = torch.cat([u, ctx]), torch.cat([um, mask])
    h2 = torch.cat([hint, hint])
    return ddpm_sample(lambda x, t: unet(x, t, cc, mm, hint=h2), b, generator, steps, guidance)


@torch.no_grad()
def decode(dec, z):
    return world.from_model_range(dec(z))
