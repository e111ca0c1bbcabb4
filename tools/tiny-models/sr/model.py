"""Tiny KandiSuperRes-style x4 super-resolution UNet (spec §2.10), scaled down.

Pixel space, fully convolutional (any H, W divisible by 8: three k4/s2 down-samplings),
predicts the clean HR image x0 (spec §2.10: scheduler prediction_type "sample").
Same building blocks as ai-forever/KandiSuperRes model/unet_sr.py: sinusoidal time
embedding -> Linear -> SiLU -> Linear; ResNet blocks with affine GroupNorm and time
scale/shift on the second norm; conv k4 s2 p1 down, transposed conv k4 s2 p1 up; skip
concatenation; out GroupNorm -> SiLU -> conv -> 3.

One deliberate difference, documented in the model card: the network output is added to
the (already upsampled) `lowres` input, i.e. it learns the residual x0 - lowres. The
ONNX output is still x0, so the contract is unchanged; it only makes a tiny network
train in minutes on a CPU.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal_embedding(timestep, dim):
    """Sinusoidal embedding of a float timestep [B] -> [B, dim] (sin half, cos half)."""
    half = dim // 2
    exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half
    angles = timestep.float()[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, GroupNorm * (1 + scale) + shift from time, SiLU -> conv."""

    def __init__(self, in_channels, out_channels, time_dim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time = nn.Linear(time_dim, 2 * out_channels)
        self.norm2 = nn.GroupNorm(groups, out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x, time_embedding):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.time(time_embedding)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


class TinySuperResUNet(nn.Module):
    """x0-predicting SR UNet. forward(sample, timestep, lowres) -> x0, all [B,3,H,W] except timestep [B]."""

    def __init__(self, channels=(16, 24, 32, 48), time_dim=64, groups=8):
        super().__init__()
        self.channels = channels
        self.sinusoidal_dim = channels[0] * 2
        self.time_embedding = nn.Sequential(
            nn.Linear(self.sinusoidal_dim, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim)
        )
        self.input_conv = nn.Conv2d(6, channels[0], 3, padding=1)
        self.down_blocks = nn.ModuleList()
        self.down_samples = nn.ModuleList()
        previous = channels[0]
        for level, width in enumerate(channels):
            self.down_blocks.append(ResBlock(previous, width, time_dim, groups))
            if level < len(channels) - 1:
                self.down_samples.append(nn.Conv2d(width, width, 4, stride=2, padding=1))
            previous = width
        self.middle = ResBlock(channels[-1], channels[-1], time_dim, groups)
        self.up_blocks = nn.ModuleList()
        self.up_samples = nn.ModuleList()
        for level in reversed(range(len(channels))):
            width = channels[level]
            self.up_blocks.append(ResBlock(2 * width, width, time_dim, groups))
            if level > 0:
                self.up_samples.append(nn.ConvTranspose2d(width, channels[level - 1], 4, stride=2, padding=1))
        self.output = nn.Sequential(nn.GroupNorm(groups, channels[0]), nn.SiLU(), nn.Conv2d(channels[0], 3, 3, padding=1))

    def forward(self, sample, timestep, lowres):
        time_embedding = self.time_embedding(sinusoidal_embedding(timestep, self.sinusoidal_dim))
        h = self.input_conv(torch.cat([sample, lowres], dim=1))
        skips = []
        for level, block in enumerate(self.down_blocks):
            h = block(h, time_embedding)
            skips.append(h)
            if level < len(self.down_samples):
                h = self.down_samples[level](h)
        h = self.middle(h, time_embedding)
        for index, block in enumerate(self.up_blocks):
            h = block(torch.cat([h, skips.pop()], dim=1), time_embedding)
            if index < len(self.up_samples):
                h = self.up_samples[index](h)
        return lowres + self.output(h)


# ---------------------------------------------------------------------------------------
# Schedules and samplers (float64 scalar math; spec §3.1 linear, §3.6, §3.7)

NUM_TRAIN_TIMESTEPS = 1000
DPM_TIMESTEPS = [999, 799, 599, 400, 200]  # spec §3.6, set_timesteps(5), linspace spacing
FLASH_TIMESTEPS = [979, 729, 479, 229]  # spec §3.7


def linear_alphas_cumprod():
    """Spec §3.1 linear: betas = linspace(1e-4, 0.02, 1000) in float32, cumulative product in float32."""
    betas = torch.linspace(1e-4, 0.02, NUM_TRAIN_TIMESTEPS, dtype=torch.float32)
    return torch.cumprod(1.0 - betas, dim=0)


def dpm_solver_coefficients(timesteps=DPM_TIMESTEPS):
    """Per-step (a, b, c) with x_{i+1} = a x_i + b m_i + c m_{i-1}; spec §3.6 (dpmsolver++, order 2,
    midpoint, lower_order_final, final sigma zero)."""
    alphas_cumprod = linear_alphas_cumprod().double()
    sigmas = [math.sqrt((1 - alphas_cumprod[t].item()) / alphas_cumprod[t].item()) for t in timesteps] + [0.0]
    coefficients = []
    count = len(timesteps)
    for i in range(count):
        sigma_next = sigmas[i + 1]
        if sigma_next == 0.0:
            coefficients.append((0.0, 1.0, 0.0))  # final sigma 0: x = m_i exactly
            continue

        def alpha_s_lambda(sigma):
            alpha = 1.0 / math.sqrt(sigma * sigma + 1.0)
            s = sigma * alpha
            return alpha, s, math.log(alpha) - math.log(s)

        alpha_t, s_t, lambda_t = alpha_s_lambda(sigma_next)
        _, s_s, lambda_s = alpha_s_lambda(sigmas[i])
        h = lambda_t - lambda_s
        a = s_t / s_s
        b = -alpha_t * (math.exp(-h) - 1.0)
        lower_order_final = i == count - 1 and count < 15
        if i == 0 or lower_order_final:
            coefficients.append((a, b, 0.0))
        else:
            _, _, lambda_prev = alpha_s_lambda(sigmas[i - 1])
            r0 = (lambda_s - lambda_prev) / h
            # D0 = m_i, D1 = (m_i - m_{i-1}) / r0, x = a x - alpha(e^-h - 1)(D0 + D1/2)
            coefficients.append((a, b + 0.5 * b / r0, -0.5 * b / r0))
    return coefficients


@torch.no_grad()
def dpm_solver_sr(model, lowres_up, noise, record=None):
    """5-step DPM-Solver++ SR run (spec §3.6, §4.8.1 single view). Returns the final x."""
    x = noise
    previous = None
    for i, (t, (a, b, c)) in enumerate(zip(DPM_TIMESTEPS, dpm_solver_coefficients())):
        timestep = torch.full((x.shape[0],), float(t))
        m = model(x, timestep, lowres_up)
        x_next = a * x + b * m + (c * previous if previous is not None and c != 0.0 else 0.0)
        if record is not None:
            record.append({"step": i, "timestep": t, "sample": x.clone(), "x0": m.clone(), "next": x_next.clone()})
        previous = m
        x = x_next
    return x


@torch.no_grad()
def flash_sr(model, lowres_up, generator):
    """Spec §3.7 Flash SR loop: x0 ~ N(0, I); per t: x_t = sqrt(ab) x0 + sqrt(1-ab) z; x0 = model."""
    alphas_cumprod = linear_alphas_cumprod().double()
    x0 = torch.randn(lowres_up.shape, generator=generator)
    for t in FLASH_TIMESTEPS:
        ab = alphas_cumprod[t].item()
        z = torch.randn(lowres_up.shape, generator=generator)
        x_t = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * z
        x0 = model(x_t, torch.full((x_t.shape[0],), float(t)), lowres_up)
    return x0
