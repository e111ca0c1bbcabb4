"""Reference fixtures for EulerAncestralDiscrete, HeunDiscrete, LCM and UniPCMultistep (@kandinsky/core).

An independent PyTorch (float32, like diffusers) re-implementation of the published diffusers
formulas, written for this project from a reading of huggingface/diffusers
(src/diffusers/schedulers/scheduling_euler_ancestral_discrete.py, scheduling_heun_discrete.py,
scheduling_lcm.py, scheduling_unipc_multistep.py) and checked against the numbers that diffusers'
own unit tests assert (tests/schedulers/test_scheduler_euler_ancestral.py @ 4004496d,
test_scheduler_heun.py @ 18dcab75, test_scheduler_lcm.py @ af8a47dd,
test_scheduler_unipc.py @ 036e33e8): `diffusers_tests()` reruns those loops here and asserts the
same sums and means before anything is written. diffusers itself is not installable here.

Two kinds of runs are stored:
- `diffusersTests`: diffusers' unit-test loops (their dummy sample/model, torch.manual_seed(0)),
  final sample plus the sums the tests assert;
- `runs`: one config option at a time on a [1, 4, 4, 4] sample with the closed-form model of
  schedulers_ddpm_ddim_euler.py, the sample after every step, noise from a seeded
  torch.Generator (bit-exact with TorchGenerator in TS).

Run: /usr/bin/python3 tools/reference/schedulers_ancestral_heun_lcm_unipc.py
Writes packages/core/src/schedulers/fixtures/ancestral-heun-lcm-unipc.json.
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from schedulers_ddpm_ddim_euler import (  # noqa: E402
    OUT_DIR, b64, initial_sample, make_betas, model_output, spaced_float, spaced_int, threshold)

torch.set_num_threads(1)


def betas_for(cfg):
    if cfg.get('beta_schedule') == 'exp':
        n = cfg.get('num_train_timesteps', 1000)
        return torch.tensor([min(1 - math.exp((i + 1) / n * -12.0) / math.exp(i / n * -12.0), 0.999)
                             for i in range(n)], dtype=torch.float32)
    return make_betas(cfg)


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high = low + 1
    lo, hi = log_sigmas[low], log_sigmas[high]
    w = np.clip((lo - log_sigma) / (lo - hi), 0, 1)
    return ((1 - w) * low + w * high).reshape(np.shape(sigma))


def karras(sigma_min, sigma_max, n):
    rho = 7.0
    ramp = np.linspace(0, 1, n)
    return (sigma_max ** (1 / rho) + ramp * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho


def exponential(sigma_min, sigma_max, n):
    return np.exp(np.linspace(math.log(sigma_max), math.log(sigma_min), n))


# ---------------------------------------------------------------- Euler ancestral
class EulerAncestral:
    order = 1

    def __init__(self, cfg):
        self.cfg = cfg
        self.ac = torch.cumprod(1.0 - betas_for(cfg), dim=0)
        if cfg.get('rescale_betas_zero_snr', False):
            self.ac[-1] = 2 ** -24

    def set_timesteps(self, n):
        cfg = self.cfg
        ts = spaced_float(cfg.get('timestep_spacing', 'linspace'), n, cfg.get('num_train_timesteps', 1000),
                          cfg.get('steps_offset', 0))
        sig = np.array(((1 - self.ac) / self.ac) ** 0.5)
        sig = np.interp(ts, np.arange(0, len(sig)), sig)
        self.sigmas = torch.from_numpy(np.concatenate([sig, [0.0]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts)
        self.index = None
        mx = self.sigmas.max()
        self.init_noise_sigma = mx if cfg.get('timestep_spacing', 'linspace') in ('linspace', 'trailing') \
            else (mx ** 2 + 1) ** 0.5

    def index_for(self, t):
        c = (self.timesteps == t).nonzero()
        return int(c[1 if len(c) > 1 else 0])

    def scale(self, x, t):
        if self.index is None:
            self.index = self.index_for(t)
        s = self.sigmas[self.index]
        return x / ((s ** 2 + 1) ** 0.5)

    def step(self, out, t, x, gen):
        if self.index is None:
            self.index = self.index_for(t)
        sigma = self.sigmas[self.index]
        pt = self.cfg.get('prediction_type', 'epsilon')
        if pt == 'epsilon':
            x0 = x - sigma * out
        elif pt == 'v_prediction':
            x0 = out * (-sigma / (sigma ** 2 + 1) ** 0.5) + (x / (sigma ** 2 + 1))
        else:
            raise NotImplementedError(pt)
        s_from = self.sigmas[self.index]
        s_to = self.sigmas[self.index + 1]
        s_up = (s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2) ** 0.5
        s_down = (s_to ** 2 - s_up ** 2) ** 0.5
        d = (x - x0) / sigma
        prev = x + d * (s_down - sigma)
        prev = prev + torch.randn(out.shape, generator=gen, dtype=torch.float32) * s_up
        self.index += 1
        return prev, x0

    def add_noise(self, x0, z, t):
        return x0 + z * self.sigmas[self.index_for(t)]


# ---------------------------------------------------------------- Heun
class Heun:
    order = 2

    def __init__(self, cfg):
        self.cfg = cfg
        self.ac = torch.cumprod(1.0 - betas_for(cfg), dim=0)

    def set_timesteps(self, n):
        cfg = self.cfg
        T = cfg.get('num_train_timesteps', 1000)
        ts = spaced_float(cfg.get('timestep_spacing', 'linspace'), n, T, cfg.get('steps_offset', 0))
        sig = np.array(((1 - self.ac) / self.ac) ** 0.5)
        log_sigmas = np.log(sig)
        sig = np.interp(ts, np.arange(0, len(sig)), sig)
        if cfg.get('use_karras_sigmas') or cfg.get('use_exponential_sigmas'):
            convert = karras if cfg.get('use_karras_sigmas') else exponential
            sig = convert(sig[-1].item(), sig[0].item(), n)
            ts = np.array([sigma_to_t(s, log_sigmas) for s in sig])
        sig = torch.from_numpy(np.concatenate([sig, [0.0]]).astype(np.float32))
        self.sigmas = torch.cat([sig[:1], sig[1:-1].repeat_interleave(2), sig[-1:]])
        ts = torch.from_numpy(ts)
        self.timesteps = torch.cat([ts[:1], ts[1:].repeat_interleave(2)]).to(torch.float32)
        self.dt = None
        self.index = None
        mx = self.sigmas.max()
        self.init_noise_sigma = mx if cfg.get('timestep_spacing', 'linspace') in ('linspace', 'trailing') \
            else (mx ** 2 + 1) ** 0.5

    def index_for(self, t):
        c = (self.timesteps == t).nonzero()
        return int(c[1 if len(c) > 1 else 0])

    def scale(self, x, t):
        if self.index is None:
            self.index = self.index_for(t)
        s = self.sigmas[self.index]
        return x / ((s ** 2 + 1) ** 0.5)

    def step(self, out, t, x):
        if self.index is None:
            self.index = self.index_for(t)
        first = self.dt is None
        if first:
            sigma, sigma_next = self.sigmas[self.index], self.sigmas[self.index + 1]
        else:
            sigma, sigma_next = self.sigmas[self.index - 1], self.sigmas[self.index]
        sigma_hat = sigma * (0 + 1)
        sigma_in = sigma_hat if first else sigma_next
        pt = self.cfg.get('prediction_type', 'epsilon')
        if pt == 'epsilon':
            x0 = x - sigma_in * out
        elif pt == 'v_prediction':
            x0 = out * (-sigma_in / (sigma_in ** 2 + 1) ** 0.5) + (x / (sigma_in ** 2 + 1))
        else:
            x0 = out
        if self.cfg.get('clip_sample', False):
            r = self.cfg.get('clip_sample_range', 1.0)
            x0 = x0.clamp(-r, r)
        if first:
            d = (x - x0) / sigma_hat
            dt = sigma_next - sigma_hat
            self.prev_d, self.dt, self.sample = d, dt, x
        else:
            d = (x - x0) / sigma_next
            d = (self.prev_d + d) / 2
            dt, x = self.dt, self.sample
            self.prev_d = self.dt = self.sample = None
        self.index += 1
        return x + d * dt, x0

    def add_noise(self, x0, z, t):
        return x0 + z * self.sigmas[self.index_for(t)]


# ---------------------------------------------------------------- LCM
class LCM:
    order = 1

    def __init__(self, cfg):
        self.cfg = {'beta_start': 0.00085, 'beta_end': 0.012, 'beta_schedule': 'scaled_linear', **cfg}
        self.ac = torch.cumprod(1.0 - betas_for(self.cfg), dim=0)
        self.final = torch.tensor(1.0) if self.cfg.get('set_alpha_to_one', True) else self.ac[0]

    def set_timesteps(self, n, strength=1.0):
        cfg = self.cfg
        T = cfg.get('num_train_timesteps', 1000)
        original = cfg.get('original_inference_steps', 50)
        k = T // original
        origin = np.asarray(list(range(1, int(original * strength) + 1))) * k - 1
        assert len(origin) // n >= 1 and n <= original
        origin = origin[::-1].copy()
        idx = np.floor(np.linspace(0, len(origin), num=n, endpoint=False)).astype(np.int64)
        self.timesteps = torch.from_numpy(origin[idx]).to(torch.long)
        self.n = n
        self.index = None

    def index_for(self, t):
        c = (self.timesteps == t).nonzero()
        return int(c[1 if len(c) > 1 else 0])

    def step(self, out, t, x, gen):
        cfg = self.cfg
        if self.index is None:
            self.index = self.index_for(t)
        nxt = self.index + 1
        prev_t = self.timesteps[nxt] if nxt < len(self.timesteps) else t
        a_t = self.ac[t]
        a_prev = self.ac[prev_t] if prev_t >= 0 else self.final
        b_t, b_prev = 1 - a_t, 1 - a_prev
        st = t * cfg.get('timestep_scaling', 10.0)
        c_skip = 0.5 ** 2 / (st ** 2 + 0.5 ** 2)
        c_out = st / (st ** 2 + 0.5 ** 2) ** 0.5
        pt = cfg.get('prediction_type', 'epsilon')
        if pt == 'epsilon':
            x0 = (x - b_t.sqrt() * out) / a_t.sqrt()
        elif pt == 'sample':
            x0 = out
        else:
            x0 = a_t.sqrt() * x - b_t.sqrt() * out
        if cfg.get('thresholding', False):
            x0 = threshold(x0, cfg.get('dynamic_thresholding_ratio', 0.995), cfg.get('sample_max_value', 1.0))
        elif cfg.get('clip_sample', False):
            r = cfg.get('clip_sample_range', 1.0)
            x0 = x0.clamp(-r, r)
        denoised = c_out * x0 + c_skip * x
        if self.index != self.n - 1:
            z = torch.randn(out.shape, generator=gen, dtype=torch.float32)
            prev = a_prev.sqrt() * denoised + b_prev.sqrt() * z
        else:
            prev = denoised
        self.index += 1
        return prev, denoised

    def add_noise(self, x0, z, t):
        a = self.ac[t]
        return a ** 0.5 * x0 + (1 - a) ** 0.5 * z


# ---------------------------------------------------------------- UniPC
def alpha_sigma(sigma):
    alpha = 1 / ((sigma ** 2 + 1) ** 0.5)
    return alpha, sigma * alpha


class UniPC:
    order = 1

    def __init__(self, cfg):
        self.cfg = cfg
        self.ac = torch.cumprod(1.0 - betas_for(cfg), dim=0)
        if cfg.get('rescale_betas_zero_snr', False):
            self.ac[-1] = 2 ** -24
        self.solver_order = cfg.get('solver_order', 2)
        self.predict_x0 = cfg.get('predict_x0', True)
        st = cfg.get('solver_type', 'bh2')
        self.solver_type = st if st in ('bh1', 'bh2') else 'bh2'
        self.disable_corrector = cfg.get('disable_corrector', [])

    def set_timesteps(self, n):
        cfg = self.cfg
        T = cfg.get('num_train_timesteps', 1000)
        spacing = cfg.get('timestep_spacing', 'linspace')
        if spacing == 'linspace':
            ts = np.linspace(0, T - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif spacing == 'leading':
            ratio = T // (n + 1)
            ts = (np.arange(0, n + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64)
            ts += cfg.get('steps_offset', 0)
        else:
            ts = spaced_int('trailing', n, T, 0)
        sig = np.array(((1 - self.ac) / self.ac) ** 0.5)
        log_sigmas = np.log(sig)
        final = cfg.get('final_sigmas_type', 'zero')
        if cfg.get('use_karras_sigmas') or cfg.get('use_exponential_sigmas'):
            sig = np.flip(sig).copy()
            if cfg.get('use_karras_sigmas'):
                sig = karras(sig[-1].item(), sig[0].item(), n)
                ts = np.array([sigma_to_t(s, log_sigmas) for s in sig]).round()
            else:
                sig = exponential(sig[-1].item(), sig[0].item(), n)
                ts = np.array([sigma_to_t(s, log_sigmas) for s in sig])
            last = sig[-1] if final == 'sigma_min' else 0
        else:
            sig = np.interp(ts, np.arange(0, len(sig)), sig)
            last = (((1 - self.ac[0]) / self.ac[0]) ** 0.5).item() if final == 'sigma_min' else 0
        self.sigmas = torch.from_numpy(np.concatenate([sig, [last]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts).to(torch.int64)
        self.model_outputs = [None] * self.solver_order
        self.lower_order_nums = 0
        self.last_sample = None
        self.index = None

    def index_for(self, t):
        c = (self.timesteps == t).nonzero()
        if len(c) == 0:
            return len(self.timesteps) - 1
        return int(c[1 if len(c) > 1 else 0])

    def convert(self, out, x):
        alpha_t, sigma_t = alpha_sigma(self.sigmas[self.index])
        pt = self.cfg.get('prediction_type', 'epsilon')
        if self.predict_x0:
            if pt == 'epsilon':
                x0 = (x - sigma_t * out) / alpha_t
            elif pt == 'sample':
                x0 = out
            else:
                x0 = alpha_t * x - sigma_t * out
            if self.cfg.get('thresholding', False):
                x0 = threshold(x0, self.cfg.get('dynamic_thresholding_ratio', 0.995),
                               self.cfg.get('sample_max_value', 1.0))
            return x0
        if pt == 'epsilon':
            return out
        if pt == 'sample':
            return (x - alpha_t * out) / sigma_t
        return alpha_t * out + sigma_t * x

    def coefficients(self, h, rks, order):
        hh = -h if self.predict_x0 else h
        h_phi_1 = torch.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1
        fact = 1
        B_h = hh if self.solver_type == 'bh1' else torch.expm1(hh)
        R, b = [], []
        for i in range(1, order + 1):
            R.append(torch.pow(rks, i - 1))
            b.append(h_phi_k * fact / B_h)
            fact *= i + 1
            h_phi_k = h_phi_k / hh - 1 / fact
        return torch.stack(R), torch.tensor(b), h_phi_1, B_h

    def lam(self, i):
        a, s = alpha_sigma(self.sigmas[i])
        return torch.log(a) - torch.log(s), a, s

    def predictor(self, x, order):
        m0 = self.model_outputs[-1]
        lt, alpha_t, sigma_t = self.lam(self.index + 1)
        l0, alpha_s0, sigma_s0 = self.lam(self.index)
        if sigma_t == 0:
            # Documented deviation: diffusers evaluates the step into sigma = 0 through h = inf and
            # gets NaN from inf * 0 for bh1, predict_x0=False or order > 1; we (and the TS code)
            # take the exact limit, the first-order step's x0 estimate.
            return m0 if self.predict_x0 else (x - sigma_s0 * m0) / alpha_s0
        h = lt - l0
        rks, D1s = [], []
        for i in range(1, order):
            li = self.lam(self.index - i)[0]
            rk = (li - l0) / h
            rks.append(rk)
            D1s.append((self.model_outputs[-(i + 1)] - m0) / rk)
        rks.append(1.0)
        R, b, h_phi_1, B_h = self.coefficients(h, torch.tensor(rks), order)
        if D1s:
            D1s = torch.stack(D1s, dim=1)
            rhos = torch.tensor([0.5]) if order == 2 else torch.linalg.solve(R[:-1, :-1], b[:-1])
            res = torch.einsum('k,bkc...->bc...', rhos, D1s)
        else:
            res = 0
        if self.predict_x0:
            return sigma_t / sigma_s0 * x - alpha_t * h_phi_1 * m0 - alpha_t * B_h * res
        return alpha_t / alpha_s0 * x - sigma_t * h_phi_1 * m0 - sigma_t * B_h * res

    def corrector(self, model_t, last, this, order):
        m0 = self.model_outputs[-1]
        lt, alpha_t, sigma_t = self.lam(self.index)
        l0, alpha_s0, sigma_s0 = self.lam(self.index - 1)
        h = lt - l0
        rks, D1s = [], []
        for i in range(1, order):
            li = self.lam(self.index - (i + 1))[0]
            rk = (li - l0) / h
            rks.append(rk)
            D1s.append((self.model_outputs[-(i + 1)] - m0) / rk)
        rks.append(1.0)
        R, b, h_phi_1, B_h = self.coefficients(h, torch.tensor(rks), order)
        rhos = torch.tensor([0.5]) if order == 1 else torch.linalg.solve(R, b)
        res = torch.einsum('k,bkc...->bc...', rhos[:-1], torch.stack(D1s, dim=1)) if D1s else 0
        D1_t = model_t - m0
        if self.predict_x0:
            return sigma_t / sigma_s0 * last - alpha_t * h_phi_1 * m0 - alpha_t * B_h * (res + rhos[-1] * D1_t)
        return alpha_t / alpha_s0 * last - sigma_t * h_phi_1 * m0 - sigma_t * B_h * (res + rhos[-1] * D1_t)

    def step(self, out, t, x):
        if self.index is None:
            self.index = self.index_for(t)
        use_corrector = self.index > 0 and (self.index - 1) not in self.disable_corrector \
            and self.last_sample is not None
        converted = self.convert(out, x)
        if use_corrector:
            x = self.corrector(converted, self.last_sample, x, self.this_order)
        self.model_outputs = self.model_outputs[1:] + [converted]
        if self.cfg.get('lower_order_final', True):
            order = min(self.solver_order, len(self.timesteps) - self.index)
        else:
            order = self.solver_order
        self.this_order = min(order, self.lower_order_nums + 1)
        self.last_sample = x
        prev = self.predictor(x, self.this_order)
        if self.lower_order_nums < self.solver_order:
            self.lower_order_nums += 1
        self.index += 1
        return prev, converted

    def add_noise(self, x0, z, t):
        alpha, sigma = alpha_sigma(self.sigmas[self.index_for(t)])
        return alpha * x0 + sigma * z


# ---------------------------------------------------------------- diffusers' unit-test loops
def dummy_sample_deter():
    n = 4 * 3 * 8 * 8
    return (torch.arange(n).reshape(3, 8, 8, 4) / n).permute(3, 0, 1, 2)


def dummy_noise_deter():
    n = 4 * 3 * 8 * 8
    return (torch.arange(n).flip(-1).reshape(3, 8, 8, 4) / n).permute(3, 0, 1, 2)


def dummy_model(sample, t):
    t = t.reshape(-1, 1, 1, 1).to(sample.dtype)
    return sample * t / (t + 1)


def sigma_loop(cls, cfg, n, noise_start=None):
    """Euler-ancestral / Heun tests: note that the tests step on the *scaled* sample."""
    s = cls(cfg)
    s.set_timesteps(n)
    gen = torch.manual_seed(0)
    sample = dummy_sample_deter() * s.init_noise_sigma
    timesteps = s.timesteps
    if noise_start is not None:
        timesteps = s.timesteps[noise_start * s.order:]
        sample = s.add_noise(sample, dummy_noise_deter(), timesteps[0])
    for t in timesteps:
        sample = s.scale(sample, t)
        out = dummy_model(sample, t)
        sample = s.step(out, t, sample, gen)[0] if cls is EulerAncestral else s.step(out, t, sample)[0]
    return sample


def plain_loop(cls, cfg, n, noise_start=None, seed=0):
    s = cls(cfg)
    s.set_timesteps(n)
    gen = torch.manual_seed(seed)
    sample = dummy_sample_deter()
    timesteps = s.timesteps
    if noise_start is not None:
        timesteps = s.timesteps[noise_start:]
        sample = s.add_noise(sample, dummy_noise_deter(), timesteps[0])
    for t in timesteps:
        out = dummy_model(sample, t)
        sample = s.step(out, t, sample, gen)[0] if cls is LCM else s.step(out, t, sample)[0]
    return sample


EULER_A_TEST = {'num_train_timesteps': 1100, 'beta_start': 0.0001, 'beta_end': 0.02, 'beta_schedule': 'linear'}
LCM_TEST = {'num_train_timesteps': 1000, 'beta_start': 0.00085, 'beta_end': 0.0120, 'beta_schedule': 'scaled_linear',
            'prediction_type': 'epsilon'}
UNIPC_TEST = {'num_train_timesteps': 1000, 'beta_start': 0.0001, 'beta_end': 0.02, 'beta_schedule': 'linear',
              'solver_order': 2, 'solver_type': 'bh2', 'final_sigmas_type': 'sigma_min'}

# (name, scheduler, config, loop, steps, noise start, expected sum or None, expected mean, source)
DIFFUSERS_TESTS = [
    ('euler_a full_loop_no_noise', 'EulerAncestralDiscreteScheduler', EULER_A_TEST, 'sigma', 10, None,
     152.3192, 0.1983, 'test_scheduler_euler_ancestral.py'),
    ('euler_a full_loop_with_v_prediction', 'EulerAncestralDiscreteScheduler',
     {**EULER_A_TEST, 'prediction_type': 'v_prediction'}, 'sigma', 10, None, 108.4439, 0.1412,
     'test_scheduler_euler_ancestral.py'),
    ('euler_a full_loop_with_noise', 'EulerAncestralDiscreteScheduler', EULER_A_TEST, 'sigma', 10, 8,
     56163.0508, 73.1290, 'test_scheduler_euler_ancestral.py'),
    ('heun full_loop_no_noise', 'HeunDiscreteScheduler', EULER_A_TEST, 'sigma', 10, None, 0.1233, 0.0002,
     'test_scheduler_heun.py'),
    ('heun full_loop_with_v_prediction', 'HeunDiscreteScheduler', {**EULER_A_TEST, 'prediction_type': 'v_prediction'},
     'sigma', 10, None, 4.6934e-07, 6.1112e-10, 'test_scheduler_heun.py'),
    ('heun full_loop_device_karras_sigmas', 'HeunDiscreteScheduler', {**EULER_A_TEST, 'use_karras_sigmas': True},
     'sigma', 10, None, 0.00015, 1.9869554535034695e-07, 'test_scheduler_heun.py'),
    ('lcm full_loop_onestep', 'LCMScheduler', LCM_TEST, 'plain', 1, None, 18.7097, 0.0244, 'test_scheduler_lcm.py'),
    ('lcm full_loop_multistep', 'LCMScheduler', LCM_TEST, 'plain', 10, None, 197.7616, 0.2575,
     'test_scheduler_lcm.py'),
    ('unipc full_loop_no_noise', 'UniPCMultistepScheduler', UNIPC_TEST, 'plain', 10, None, None, 0.2464,
     'test_scheduler_unipc.py'),
    ('unipc full_loop_with_karras', 'UniPCMultistepScheduler', {**UNIPC_TEST, 'use_karras_sigmas': True}, 'plain', 10,
     None, None, 0.2925, 'test_scheduler_unipc.py'),
    ('unipc full_loop_with_v_prediction', 'UniPCMultistepScheduler', {**UNIPC_TEST, 'prediction_type': 'v_prediction'},
     'plain', 10, None, None, 0.1014, 'test_scheduler_unipc.py'),
    ('unipc full_loop_with_karras_and_v_prediction', 'UniPCMultistepScheduler',
     {**UNIPC_TEST, 'prediction_type': 'v_prediction', 'use_karras_sigmas': True}, 'plain', 10, None, None, 0.1966,
     'test_scheduler_unipc.py'),
    ('unipc full_loop_with_noise', 'UniPCMultistepScheduler', UNIPC_TEST, 'plain', 10, 8, 315.5757, 0.4109,
     'test_scheduler_unipc.py'),
]

CLASSES = {'EulerAncestralDiscreteScheduler': EulerAncestral, 'HeunDiscreteScheduler': Heun, 'LCMScheduler': LCM,
           'UniPCMultistepScheduler': UniPC}


def diffusers_tests():
    out = []
    for name, cls_name, cfg, loop, n, start, want_sum, want_mean, source in DIFFUSERS_TESTS:
        cls = CLASSES[cls_name]
        sample = sigma_loop(cls, cfg, n, start) if loop == 'sigma' else plain_loop(cls, cfg, n, start)
        total = torch.sum(torch.abs(sample)).item()
        mean = torch.mean(torch.abs(sample)).item()
        if want_sum is not None:
            assert abs(total - want_sum) < 1e-2, (name, total, want_sum)
        assert abs(mean - want_mean) < 1e-3, (name, mean, want_mean)
        out.append({'name': name, 'scheduler': cls_name, 'config': cfg, 'loop': loop, 'steps': n,
                    'noiseStart': start, 'expectedSum': want_sum, 'expectedMean': want_mean, 'source': source,
                    'sum': total, 'mean': mean, 'sample': b64(sample)})
        print(f'{name}: sum {total:.6g} mean {mean:.6g} (diffusers asserts {want_sum} / {want_mean})')
    return out


# ---------------------------------------------------------------- per-option runs
SHAPE = [1, 4, 4, 4]
SEED = 1234


def run(cls_name, cfg, n, strength_start=0):
    """Like the pipelines: x scaled by init_noise_sigma; the model sees scale_model_input(x)."""
    cls = CLASSES[cls_name]
    s = cls(cfg)
    s.set_timesteps(n)
    gen = torch.Generator().manual_seed(SEED)
    x = initial_sample(SHAPE)
    timesteps = s.timesteps[strength_start:]
    if strength_start > 0:
        x = s.add_noise(x, initial_sample(SHAPE) * 0.5, timesteps[0])
        s.index = strength_start
    elif getattr(s, 'init_noise_sigma', 1.0) != 1.0:
        x = x * s.init_noise_sigma
    samples, originals = [], []
    for t in timesteps:
        tv = float(t)
        x_in = s.scale(x, t) if hasattr(s, 'scale') else x
        out = model_output(x_in, tv)
        if cls in (EulerAncestral, LCM):
            x, x0 = s.step(out, t, x, gen)
        else:
            x, x0 = s.step(out, t, x)
        samples.append(b64(x))
        originals.append(b64(x0))
    init_sigma = float(getattr(s, 'init_noise_sigma', 1.0))
    return {'scheduler': cls_name, 'config': cfg, 'steps': n, 'startIndex': strength_start, 'shape': SHAPE,
            'seed': SEED, 'timesteps': [float(t) for t in s.timesteps], 'sigmas':
                [float(v) for v in s.sigmas] if hasattr(s, 'sigmas') else None,
            'initNoiseSigma': init_sigma, 'samples': samples, 'originals': originals}


SD = {'beta_schedule': 'scaled_linear', 'beta_start': 0.00085, 'beta_end': 0.012}
K3 = {'beta_schedule': 'squaredcos_cap_v2'}


def runs():
    out = []
    ea = {'_class_name': 'EulerAncestralDiscreteScheduler', **SD}
    for change in ({}, {'prediction_type': 'v_prediction'}, {'timestep_spacing': 'leading', 'steps_offset': 1},
                   {'timestep_spacing': 'trailing'}, {'beta_schedule': 'linear'}, K3,
                   {'rescale_betas_zero_snr': True, 'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing'},
                   {'trained_betas': [0.0001 + 0.02 * i / 999 for i in range(1000)]}):
        out.append(run('EulerAncestralDiscreteScheduler', {**ea, **change}, 7))
    out.append(run('EulerAncestralDiscreteScheduler', ea, 1))
    out.append(run('EulerAncestralDiscreteScheduler', ea, 10, strength_start=4))

    heun = {'_class_name': 'HeunDiscreteScheduler', **SD}
    for change in ({}, {'prediction_type': 'v_prediction'}, {'prediction_type': 'sample'},
                   {'timestep_spacing': 'leading', 'steps_offset': 1}, {'timestep_spacing': 'trailing'},
                   {'use_karras_sigmas': True}, {'use_exponential_sigmas': True}, {'beta_schedule': 'exp'}, K3,
                   {'clip_sample': True, 'prediction_type': 'sample', 'clip_sample_range': 0.5}):
        out.append(run('HeunDiscreteScheduler', {**heun, **change}, 6))
    out.append(run('HeunDiscreteScheduler', heun, 1))
    out.append(run('HeunDiscreteScheduler', heun, 10, strength_start=2 * 4))

    lcm = {'_class_name': 'LCMScheduler'}
    for change in ({}, {'prediction_type': 'v_prediction'}, {'prediction_type': 'sample'},
                   {'clip_sample': True, 'clip_sample_range': 0.5}, {'thresholding': True, 'sample_max_value': 0.5},
                   {'thresholding': True, 'sample_max_value': 2.0, 'dynamic_thresholding_ratio': 0.9},
                   {'set_alpha_to_one': False}, {'original_inference_steps': 25}, {'timestep_scaling': 1.0},
                   {'beta_schedule': 'linear', 'beta_start': 0.0001, 'beta_end': 0.02}, K3,
                   {'rescale_betas_zero_snr': True, 'prediction_type': 'v_prediction'}):
        out.append(run('LCMScheduler', {**lcm, **change}, 4))
    out.append(run('LCMScheduler', lcm, 1))
    out.append(run('LCMScheduler', lcm, 8, strength_start=3))

    unipc = {'_class_name': 'UniPCMultistepScheduler', **SD}
    for change in ({}, {'solver_type': 'bh1'}, {'solver_order': 1}, {'solver_order': 3},
                   {'solver_order': 3, 'solver_type': 'bh1'}, {'solver_order': 4}, {'predict_x0': False},
                   {'predict_x0': False, 'solver_order': 3, 'prediction_type': 'v_prediction'},
                   {'prediction_type': 'v_prediction'}, {'prediction_type': 'sample'},
                   {'thresholding': True, 'sample_max_value': 0.5, 'prediction_type': 'sample'},
                   {'thresholding': True, 'sample_max_value': 2.0, 'dynamic_thresholding_ratio': 0.9,
                    'solver_order': 3},
                   {'lower_order_final': False, 'solver_order': 3, 'final_sigmas_type': 'sigma_min'},
                   {'lower_order_final': False, 'solver_order': 3}, {'disable_corrector': [0, 2]},
                   {'use_karras_sigmas': True}, {'use_karras_sigmas': True, 'final_sigmas_type': 'sigma_min'},
                   {'use_exponential_sigmas': True}, {'final_sigmas_type': 'sigma_min'},
                   {'timestep_spacing': 'leading', 'steps_offset': 1}, {'timestep_spacing': 'trailing'},
                   {'solver_type': 'midpoint'}, K3,
                   {'rescale_betas_zero_snr': True, 'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing'}):
        out.append(run('UniPCMultistepScheduler', {**unipc, **change}, 8))
    out.append(run('UniPCMultistepScheduler', unipc, 1))
    out.append(run('UniPCMultistepScheduler', {**unipc, 'solver_order': 3}, 25))
    out.append(run('UniPCMultistepScheduler', unipc, 10, strength_start=4))
    return out


def ddim_variances():
    """DDIM's `_get_variance(t, prev_t)` (float32), which DDIMScheduler.variance exposes."""
    out = []
    for cfg in ({'beta_schedule': 'squaredcos_cap_v2', 'set_alpha_to_one': False},
                {'beta_schedule': 'scaled_linear', 'beta_start': 0.00085, 'beta_end': 0.012}):
        ac = torch.cumprod(1.0 - betas_for(cfg), dim=0)
        final = torch.tensor(1.0) if cfg.get('set_alpha_to_one', True) else ac[0]
        for t, prev in ((961, 921), (501, 481), (41, 1), (1, -39), (999, 0)):
            a_t = ac[t]
            a_prev = ac[prev] if prev >= 0 else final
            variance = ((1 - a_prev) / (1 - a_t)) * (1 - a_t / a_prev)
            out.append({'config': cfg, 'timestep': t, 'previous': prev, 'variance': variance.item()})
    return out


def main():
    fixture = {'torch': torch.__version__, 'diffusersTests': diffusers_tests(), 'runs': runs(),
               'ddimVariances': ddim_variances()}
    with open(os.path.join(OUT_DIR, 'ancestral-heun-lcm-unipc.json'), 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))


if __name__ == '__main__':
    main()
