"""Tiny networks with the structure of the Kandinsky 3.1 components, scaled way down.

Each class follows the spec section it cites; the ONNX contract (names, shapes) is applied by
``tools/export`` wrappers, not here. Attention masking uses ``where(mask, scores, -1e30)``
(spec §2.4) so a fully-masked row gives a uniform softmax instead of NaN.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1e30  # spec §2.4: finite, never -inf


def masked_attention(q, k, v, mask: Optional[torch.Tensor], heads: int):
    """q [B,Nq,C], k/v [B,Nk,C], mask [B,Nk] bool (True = attend) or None."""
    b, nq, c = q.shape
    nk = k.shape[1]
    d = c // heads
    q = q.reshape(b, nq, heads, d).transpose(1, 2)
    k = k.reshape(b, nk, heads, d).transpose(1, 2)
    v = v.reshape(b, nk, heads, d).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d))
    if mask is not None:
        scores = torch.where(mask[:, None, None, :], scores, torch.full_like(scores, NEG))
    out = torch.matmul(scores.softmax(-1), v)
    return out.transpose(1, 2).reshape(b, nq, c)


# ---------------------------------------------------------------- text side (spec §2.2, §2.3)

class TextEncoder(nn.Module):
    """Tiny pre-LN transformer encoder standing in for FLAN-UL2's encoder (spec §2.2)."""

    def __init__(self, vocab: int, dim: int = 64, layers: int = 2, heads: int = 4, max_len: int = 128):
        super().__init__()
        self.heads = heads
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(max_len, dim) * 0.02)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict({
                'ln1': nn.LayerNorm(dim), 'qkv': nn.Linear(dim, 3 * dim), 'out': nn.Linear(dim, dim),
                'ln2': nn.LayerNorm(dim), 'ff1': nn.Linear(dim, 2 * dim), 'ff2': nn.Linear(2 * dim, dim),
            }))
        self.final = nn.LayerNorm(dim)

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        x = self.embed(input_ids) + self.pos[:s].unsqueeze(0)
        mask = attention_mask > 0
        for layer in self.layers:
            h = layer['ln1'](x)
            q, k, v = layer['qkv'](h).chunk(3, dim=-1)
            x = x + layer['out'](masked_attention(q, k, v, mask, self.heads))
            x = x + layer['ff2'](F.gelu(layer['ff1'](layer['ln2'](x))))
        return self.final(x)


class TextProjection(nn.Module):
    """Linear (no bias) then LayerNorm(eps 1e-5) — spec §2.3. Owns the variant's null embedding."""

    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.linear = nn.Linear(dim_in, dim_out, bias=False)
        self.norm = nn.LayerNorm(dim_out, eps=1e-5)
        self.null_embedding = nn.Parameter(torch.randn(dim_out) * 0.5)

    def forward(self, hidden):
        return self.norm(self.linear(hidden))


# ---------------------------------------------------------------- UNet (spec §2.4, §2.5, §2.7, §2.8)

def timestep_embedding(t: torch.Tensor, width: int) -> torch.Tensor:
    """Sinusoidal embedding, sin half first, f_j = exp(-ln(10000)·j/(width/2 - 1)) (spec §2.4)."""
    half = width // 2
    j = torch.arange(half, dtype=torch.float32)
    freqs = torch.exp(-math.log(10000.0) * j / (half - 1))
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class ConditionalNorm(nn.Module):
    """GroupNorm(affine=False) then x·(1+scale)+shift from the time embedding (spec §2.4)."""

    def __init__(self, groups: int, channels: int, time_dim: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, affine=False, eps=1e-5)
        self.proj = nn.Linear(time_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x, temb):
        scale, shift = self.proj(F.silu(temb))[:, :, None, None].chunk(2, dim=1)
        return self.norm(x) * (1 + scale) + shift


class ResBlock(nn.Module):
    """BigGAN-deep style block: kernels 1,3,3,1 with a max(in,out)/2 bottleneck (spec §2.4)."""

    def __init__(self, cin: int, cout: int, time_dim: int, groups: int, up: bool = False, down: bool = False):
        super().__init__()
        hid = max(cin, cout) // 2
        self.n1 = ConditionalNorm(groups, cin, time_dim)
        self.c1 = nn.Conv2d(cin, hid, 1)
        self.n2 = ConditionalNorm(groups, hid, time_dim)
        self.up = nn.ConvTranspose2d(hid, hid, 2, stride=2) if up else None
        self.c2 = nn.Conv2d(hid, hid, 3, padding=1)
        self.n3 = ConditionalNorm(groups, hid, time_dim)
        self.c3 = nn.Conv2d(hid, hid, 3, padding=1)
        self.down = nn.Conv2d(hid, hid, 2, stride=2) if down else None
        self.n4 = ConditionalNorm(groups, hid, time_dim)
        self.c4 = nn.Conv2d(hid, cout, 1)
        if up:
            self.skip = nn.ConvTranspose2d(cin, cout, 2, stride=2)
        elif down:
            self.skip = nn.Conv2d(cin, cout, 2, stride=2)
        elif cin != cout:
            self.skip = nn.Conv2d(cin, cout, 1)
        else:
            self.skip = nn.Identity()

    def forward(self, x, temb):
        h = self.c1(F.silu(self.n1(x, temb)))
        h = F.silu(self.n2(h, temb))
        if self.up is not None:
            h = self.up(h)
        h = self.c2(h)
        h = self.c3(F.silu(self.n3(h, temb)))
        if self.down is not None:
            h = self.down(h)
        h = self.c4(F.silu(self.n4(h, temb)))
        return h + self.skip(x)


class AttentionBlock(nn.Module):
    """Conditional norm → MHA (self or cross) → residual → norm → 1×1 C→4C→C (spec §2.4).

    With ``ip=True`` a decoupled IP-Adapter branch (spec §2.7): same query, K/V from the image
    tokens, unmasked softmax, own output projection, added with weight ``ip_scale``.
    """

    def __init__(self, channels: int, context_dim: Optional[int], time_dim: int, groups: int,
                 head_dim: int, ip: bool = False):
        super().__init__()
        self.heads = max(1, channels // head_dim)
        self.n1 = ConditionalNorm(groups, channels, time_dim)
        kv_dim = context_dim if context_dim is not None else channels
        self.cross = context_dim is not None
        self.q = nn.Linear(channels, channels, bias=False)
        self.k = nn.Linear(kv_dim, channels, bias=False)
        self.v = nn.Linear(kv_dim, channels, bias=False)
        self.out = nn.Linear(channels, channels, bias=False)
        self.n2 = ConditionalNorm(groups, channels, time_dim)
        self.ff1 = nn.Conv2d(channels, 4 * channels, 1, bias=False)
        self.ff2 = nn.Conv2d(4 * channels, channels, 1, bias=False)
        self.ip = ip and self.cross
        if self.ip:
            self.ip_k = nn.Linear(kv_dim, channels)
            self.ip_v = nn.Linear(kv_dim, channels)
            self.ip_out = nn.Linear(channels, channels)
            nn.init.zeros_(self.ip_out.weight)
            nn.init.zeros_(self.ip_out.bias)

    def forward(self, x, temb, context=None, mask=None, ip_tokens=None, ip_scale=None):
        b, c, h, w = x.shape
        hn = self.n1(x, temb)
        seq = hn.flatten(2).transpose(1, 2)
        q = self.q(seq)
        if self.cross:
            att = masked_attention(q, self.k(context), self.v(context), mask, self.heads)
        else:
            att = masked_attention(q, self.k(seq), self.v(seq), None, self.heads)
        att = self.out(att)
        if self.ip and ip_tokens is not None:
            ip = masked_attention(q, self.ip_k(ip_tokens), self.ip_v(ip_tokens), None, self.heads)
            att = att + ip_scale.reshape(-1, 1, 1) * self.ip_out(ip)
        x = x + att.transpose(1, 2).reshape(b, c, h, w)
        return x + self.ff2(F.silu(self.ff1(self.n2(x, temb))))


class AttentionPooling(nn.Module):
    """One query = mean of the context over all L (padding included), MHA over the masked
    context, output added to the time embedding (spec §2.4 "AttentionPolling")."""

    def __init__(self, context_dim: int, time_dim: int, head_dim: int):
        super().__init__()
        self.heads = max(1, time_dim // head_dim)
        self.q = nn.Linear(context_dim, time_dim, bias=False)
        self.k = nn.Linear(context_dim, time_dim, bias=False)
        self.v = nn.Linear(context_dim, time_dim, bias=False)
        self.out = nn.Linear(time_dim, time_dim, bias=False)

    def forward(self, context, mask):
        query = context.mean(dim=1, keepdim=True)
        return self.out(masked_attention(self.q(query), self.k(context), self.v(context), mask, self.heads))[:, 0]


class InputHint(nn.Module):
    """ControlNet v1 hint stack, channels scaled down, three stride-2 convs, zero-init last conv
    (spec §2.8). Output at latent resolution, added after conv_in."""

    def __init__(self, out_channels: int):
        super().__init__()
        ch = [(3, 8, 1), (8, 8, 1), (8, 16, 2), (16, 16, 1), (16, 32, 2), (32, 32, 1), (32, 48, 2)]
        layers = []
        for cin, cout, s in ch:
            layers += [nn.Conv2d(cin, cout, 3, stride=s, padding=1), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        self.zero = nn.Conv2d(48, out_channels, 3, padding=1)
        nn.init.zeros_(self.zero.weight)
        nn.init.zeros_(self.zero.bias)

    def forward(self, hint):
        return self.zero(self.body(hint))


class UNet(nn.Module):
    """Kandinsky 3 UNet (spec §2.4) with three levels instead of four.

    Levels (latent 8×8 for a 64×64 image): down0 c0@8→4 (no attention), down1 c0→c1@4→2
    (self-attention at input, cross-attention), down2 c1→c2@2 (self + cross); up0 @2, up1 concat
    skip1 → @4, up2 concat skip0 → @8; out GroupNorm → SiLU → conv → 4. Skips are down-level
    outputs after their downsampling, as in the original. Latent sides must be multiples of 4.
    """

    def __init__(self, in_channels: int = 4, context_dim: int = 64, channels=(32, 64, 64),
                 time_dim: int = 64, groups: int = 8, head_dim: int = 16, ip: bool = False,
                 hint: bool = False, image_embed_dim: int = 64, ip_tokens: int = 4):
        super().__init__()
        c0, c1, c2 = channels
        self.init_channels = c0
        self.time_dim = time_dim
        self.time_l1 = nn.Linear(c0, time_dim)
        self.time_l2 = nn.Linear(time_dim, time_dim)
        self.pool = AttentionPooling(context_dim, time_dim, head_dim)
        self.conv_in = nn.Conv2d(in_channels, c0, 3, padding=1)
        self.hint = InputHint(c0) if hint else None
        R = lambda a, b, **kw: ResBlock(a, b, time_dim, groups, **kw)  # noqa: E731
        A = lambda c, ctx: AttentionBlock(c, ctx, time_dim, groups, head_dim, ip=ip)  # noqa: E731
        D = context_dim
        self.d0 = nn.ModuleList([R(c0, c0), R(c0, c0, down=True)])
        self.d1 = nn.ModuleList([A(c0, None), R(c0, c1), A(c1, D), R(c1, c1, down=True)])
        self.d2 = nn.ModuleList([A(c1, None), R(c1, c2), A(c2, D)])
        self.u0 = nn.ModuleList([R(c2, c2), A(c2, D), A(c2, None)])
        self.u1 = nn.ModuleList([R(c2 + c1, c1, up=True), A(c1, D), R(c1, c0), A(c0, None)])
        self.u2 = nn.ModuleList([R(c0 + c0, c0, up=True), R(c0, c0)])
        self.out_norm = nn.GroupNorm(groups, c0)
        self.conv_out = nn.Conv2d(c0, 4, 3, padding=1)
        self.ip = ip
        if ip:
            self.ip_tokens = ip_tokens
            self.image_proj = nn.Linear(image_embed_dim, ip_tokens * D)
            self.image_norm = nn.LayerNorm(D)

    def _run(self, blocks, x, temb, ctx, mask, ipt, ips):
        for blk in blocks:
            if isinstance(blk, AttentionBlock):
                x = blk(x, temb, ctx, mask, ipt, ips)
            else:
                x = blk(x, temb)
        return x

    def forward(self, sample, timestep, context, mask, image_embeds=None, ip_scale=None, hint=None):
        mask = mask.bool() if mask.dtype != torch.bool else mask
        temb = self.time_l2(F.silu(self.time_l1(timestep_embedding(timestep, self.init_channels))))
        temb = temb + self.pool(context, mask)
        ipt = None
        if self.ip:
            b = image_embeds.shape[0]
            ipt = self.image_norm(self.image_proj(image_embeds).reshape(b, self.ip_tokens, -1))
        x = self.conv_in(sample)
        if self.hint is not None:
            x = x + self.hint(hint)
        x = self._run(self.d0, x, temb, context, mask, ipt, ip_scale)
        s0 = x
        x = self._run(self.d1, x, temb, context, mask, ipt, ip_scale)
        s1 = x
        x = self._run(self.d2, x, temb, context, mask, ipt, ip_scale)
        x = self._run(self.u0, x, temb, context, mask, ipt, ip_scale)
        x = self._run(self.u1, torch.cat([x, s1], 1), temb, context, mask, ipt, ip_scale)
        x = self._run(self.u2, torch.cat([x, s0], 1), temb, context, mask, ipt, ip_scale)
        return self.conv_out(F.silu(self.out_norm(x)))


# ---------------------------------------------------------------- MoVQ (spec §2.6)

class SpatialNorm(nn.Module):
    """GN(f)·conv1x1_y(zq) + conv1x1_b(zq), zq nearest-resized to f (spec §2.6)."""

    def __init__(self, channels: int, z_channels: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6, affine=True)
        self.conv_y = nn.Conv2d(z_channels, channels, 1)
        self.conv_b = nn.Conv2d(z_channels, channels, 1)

    def forward(self, f, zq):
        z = F.interpolate(zq, size=f.shape[-2:], mode='nearest')
        return self.norm(f) * self.conv_y(z) + self.conv_b(z)


class EncRes(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.n1 = nn.GroupNorm(groups, cin, eps=1e-6)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.n2 = nn.GroupNorm(groups, cout, eps=1e-6)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.c1(F.silu(self.n1(x)))
        return self.skip(x) + self.c2(F.silu(self.n2(h)))


class DecRes(nn.Module):
    def __init__(self, cin, cout, zc, groups):
        super().__init__()
        self.n1 = SpatialNorm(cin, zc, groups)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.n2 = SpatialNorm(cout, zc, groups)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, zq):
        h = self.c1(F.silu(self.n1(x, zq)))
        return self.skip(x) + self.c2(F.silu(self.n2(h, zq)))


class Down(nn.Module):
    """Stride-2 3×3 conv with asymmetric zero pad right/bottom (spec §2.6)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=2)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class SingleHeadAttention(nn.Module):
    def __init__(self, c, groups, zc=None):
        super().__init__()
        self.norm = SpatialNorm(c, zc, groups) if zc else nn.GroupNorm(groups, c, eps=1e-6)
        self.spatial = zc is not None
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.out = nn.Conv2d(c, c, 1)

    def forward(self, x, zq=None):
        b, c, h, w = x.shape
        hn = self.norm(x, zq) if self.spatial else self.norm(x)
        q, k, v = self.qkv(hn).flatten(2).transpose(1, 2).chunk(3, dim=-1)
        a = masked_attention(q, k, v, None, 1)
        return x + self.out(a.transpose(1, 2).reshape(b, c, h, w))


class MoVQEncoder(nn.Module):
    """image [B,3,H,W] in [-1,1] → latent [B,4,H/8,W/8]; encoder → quant_conv (spec §2.6).

    Tiny-specific: a final tanh keeps latents inside (-1, 1), because the original sampler's
    thresholding (spec §3.2) clips x0 to [-1, 1]."""

    def __init__(self, ch=(16, 32, 48, 64), zc=4, groups=8):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch[0], 3, padding=1)
        self.down = nn.ModuleList([Down(ch[0], ch[1]), Down(ch[1], ch[2]), Down(ch[2], ch[3])])
        self.res = nn.ModuleList([EncRes(ch[1], ch[1], groups), EncRes(ch[2], ch[2], groups), EncRes(ch[3], ch[3], groups)])
        self.attn = SingleHeadAttention(ch[3], groups)
        self.norm = nn.GroupNorm(groups, ch[3], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[3], zc, 3, padding=1)
        self.quant_conv = nn.Conv2d(zc, zc, 1)

    def forward(self, image):
        x = self.conv_in(image)
        for d, r in zip(self.down, self.res):
            x = r(d(x))
        x = self.attn(x)
        return torch.tanh(self.quant_conv(self.conv_out(F.silu(self.norm(x)))))


class MoVQDecoder(nn.Module):
    """latent [B,4,h,w] → image [B,3,8h,8w]; post_quant_conv → decoder with spatial norms on the
    raw latent; nearest ×2 + 3×3 conv upsampling (spec §2.6)."""

    def __init__(self, ch=(16, 32, 48, 64), zc=4, groups=8):
        super().__init__()
        self.post_quant_conv = nn.Conv2d(zc, zc, 1)
        self.conv_in = nn.Conv2d(zc, ch[3], 3, padding=1)
        self.mid = DecRes(ch[3], ch[3], zc, groups)
        self.attn = SingleHeadAttention(ch[3], groups, zc)
        self.ups = nn.ModuleList([nn.Conv2d(ch[3], ch[2], 3, padding=1), nn.Conv2d(ch[2], ch[1], 3, padding=1),
                                  nn.Conv2d(ch[1], ch[0], 3, padding=1)])
        self.res = nn.ModuleList([DecRes(ch[2], ch[2], zc, groups), DecRes(ch[1], ch[1], zc, groups),
                                  DecRes(ch[0], ch[0], zc, groups)])
        self.norm = SpatialNorm(ch[0], zc, groups)
        self.conv_out = nn.Conv2d(ch[0], 3, 3, padding=1)

    def forward(self, latent):
        zq = latent
        x = self.conv_in(self.post_quant_conv(latent))
        x = self.attn(self.mid(x, zq), zq)
        for i, up in enumerate(self.ups):
            x = up(F.interpolate(x, scale_factor=2.0, mode='nearest'))
            if i < len(self.res):
                x = self.res[i](x, zq)
        return self.conv_out(F.silu(self.norm(x, zq)))


# ---------------------------------------------------------------- image encoder (spec §2.7), edges (§2.9)

class ImageEncoder(nn.Module):
    """Tiny CNN standing in for CLIP ViT-L/14 with projection: pixel_values → image_embeds [B,E]
    (not L2-normalised, spec §2.7)."""

    def __init__(self, embed_dim: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(32, 48, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(48, 64, 3, stride=2, padding=1), nn.SiLU(),
        )
        self.proj = nn.Linear(64 * 4 * 4, embed_dim)

    def forward(self, pixel_values):
        x = self.body(pixel_values)
        x = F.adaptive_avg_pool2d(x, 4)
        return self.proj(x.flatten(1))


class TinyEdgeDetector(nn.Module):
    """A fixed (untrained) HED-shaped graph: image [1,3,H,W] RGB 0..255 → side1..side5 logits at
    H/2^k (spec §2.9 interface). Colour-gradient magnitude (Sobel, max over RGB), box-pooled per side.
    The spec's TS post-processing (resize sides to H×W, average, sigmoid) turns them into an edge map."""

    def __init__(self):
        super().__init__()
        kx = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]]) / 4
        k = torch.stack([kx, kx.t()]).unsqueeze(1)  # [2,1,3,3]
        self.register_buffer('kernel', k.repeat(3, 1, 1, 1))  # grouped per RGB channel
        self.gain = [12.0, 6.0, 3.0, 1.5, 0.75]
        self.bias = [-4.0, -2.5, -2.0, -1.5, -1.0]

    def forward(self, image):
        x = F.pad(image / 255.0, (1, 1, 1, 1), mode='replicate')
        g = F.conv2d(x, self.kernel, groups=3).abs()
        g = g.reshape(g.shape[0], 3, 2, g.shape[-2], g.shape[-1]).sum(2).amax(1, keepdim=True)
        sides = []
        for k in range(5):
            p = F.avg_pool2d(g, 2 ** k) if k > 0 else g
            sides.append(p * self.gain[k] + self.bias[k])
        return tuple(sides)


def hed_postprocess(sides, size):
    """spec §2.9 TS post-processing in torch: bilinear resize, average, sigmoid, ×255 → uint8 →
    3 channels, returned as float [B,3,H,W] in [0,1] (the hint range used here)."""
    maps = [F.interpolate(s, size=size, mode='bilinear', align_corners=False) for s in sides]
    e = torch.sigmoid(torch.stack(maps).mean(0))
    e = (e * 255).clamp(0, 255).to(torch.uint8).float() / 255
    return e.repeat(1, 3, 1, 1)


def count_parameters(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
