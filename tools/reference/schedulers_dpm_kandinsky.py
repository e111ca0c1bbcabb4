"""Reference trajectories for the DPM-Solver multistep scheduler, the original Kandinsky 3.1 latent
sampler and the Flash re-noising loops (spec §3.2, §3.5, §3.6, §3.7).

Independent PyTorch implementations of the published formulas:
- DPMSolverMultistepScheduler as huggingface/diffusers computes it (scheduling_dpmsolver_multistep.py,
  ~v0.27): float32 torch tables, sigmas through numpy float64 `np.interp` then cast to float32,
  alpha/sigma/lambda of each step in float32 torch arithmetic;
- BaseDiffusion.p_sample of ai-forever/Kandinsky-3 (kandinsky3/model/diffusion.py) on the grid
  `range(999, 0, -1000 // steps)` + [0];
- the `gan=True` loop of the same file (Flash) and KandiSuperRes/model/diffusion_sr_turbo.py.

The "model" is synthetic and deterministic: `m = a * x + b_k * pattern` in float32 (exactly
reproducible in TypeScript with Math.fround), and the per-step noise is a fixed permutation of a
stored N(0, 1) vector. Writes packages/core/src/schedulers/fixtures/dpm-kandinsky.json.

Run: /usr/bin/python3 tools/reference/schedulers_dpm_kandinsky.py
"""

import base64
import json
import math
import os

import numpy as np
import torch

torch.set_num_threads(1)

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'core', 'src', 'schedulers',
                   'fixtures', 'dpm-kandinsky.json')


def b64(t):
    return base64.b64encode(np.ascontiguousarray(t.detach().numpy().astype('<f4')).tobytes()).decode()


def f32list(a):
    return [float(np.float32(v)) for v in np.asarray(a).reshape(-1)]


# ---------------------------------------------------------------------------------------------
# Beta schedules (spec §3.1)

def alpha_bar_cos(t):
    return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2


def make_betas(schedule, count, start, end):
    if schedule == 'linear':
        return torch.linspace(start, end, count, dtype=torch.float32)
    if schedule == 'scaled_linear':
        return torch.linspace(start ** 0.5, end ** 0.5, count, dtype=torch.float32) ** 2
    if schedule == 'squaredcos_cap_v2':
        values = [min(1 - alpha_bar_cos((i + 1) / count) / alpha_bar_cos(i / count), 0.999)
                  for i in range(count)]
        return torch.tensor(values, dtype=torch.float32)
    raise ValueError(schedule)


# ---------------------------------------------------------------------------------------------
# DPM-Solver multistep (diffusers semantics)

DPM_DEFAULTS = dict(
    num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule='linear',
    solver_order=2, prediction_type='epsilon', thresholding=False, dynamic_thresholding_ratio=0.995,
    sample_max_value=1.0, algorithm_type='dpmsolver++', solver_type='midpoint', lower_order_final=True,
    euler_at_final=False, use_karras_sigmas=False, use_lu_lambdas=False, final_sigmas_type='zero',
    lambda_min_clipped=-float('inf'), timestep_spacing='linspace', steps_offset=0,
)


def threshold_sample(x0, ratio, max_value):
    batch = x0.shape[0]
    flat = x0.reshape(batch, -1)
    s = torch.quantile(flat.abs(), ratio, dim=1)
    s = torch.clamp(s, min=1, max=max_value).unsqueeze(1)
    return (torch.clamp(flat, -s, s) / s).reshape(x0.shape)


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low = np.cumsum(dists >= 0, axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high = low + 1
    lo, hi = log_sigmas[low], log_sigmas[high]
    w = np.clip((lo - log_sigma) / (lo - hi), 0, 1)
    return ((1 - w) * low + w * high).reshape(np.shape(sigma))


class DPMReference:
    def __init__(self, **config):
        c = dict(DPM_DEFAULTS)
        c.update(config)
        self.c = c
        betas = make_betas(c['beta_schedule'], c['num_train_timesteps'], c['beta_start'], c['beta_end'])
        self.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        alpha = torch.sqrt(self.alphas_cumprod)
        sigma = torch.sqrt(1 - self.alphas_cumprod)
        self.lambda_t = torch.log(alpha) - torch.log(sigma)

    def set_timesteps(self, n):
        c = self.c
        T = c['num_train_timesteps']
        clipped = torch.searchsorted(torch.flip(self.lambda_t, [0]), c['lambda_min_clipped'])
        last = int(T - clipped.item())
        if c['timestep_spacing'] == 'linspace':
            ts = np.linspace(0, last - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif c['timestep_spacing'] == 'leading':
            ratio = last // (n + 1)
            ts = (np.arange(0, n + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64)
            ts += c['steps_offset']
        else:
            ratio = T / n
            ts = np.arange(last, 0, -ratio).round().copy().astype(np.int64) - 1
        table = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        log_sigmas = np.log(table)
        if c['use_karras_sigmas']:
            rev = np.flip(table).copy()
            smin, smax = rev[-1].item(), rev[0].item()
            ramp = np.linspace(0, 1, n)
            lo, hi = smin ** (1 / 7.0), smax ** (1 / 7.0)
            sig = (hi + ramp * (lo - hi)) ** 7.0
            ts = np.array([sigma_to_t(s, log_sigmas) for s in sig]).round()
        elif c['use_lu_lambdas']:
            lam = np.flip(log_sigmas.copy())
            lmin, lmax = lam[-1].item(), lam[0].item()
            ramp = np.linspace(0, 1, n)
            lam = lmax + ramp * (lmin - lmax)
            sig = np.exp(lam)
            ts = np.array([sigma_to_t(s, log_sigmas) for s in sig]).round()
        else:
            sig = np.interp(ts, np.arange(0, len(table)), table)
        if c['final_sigmas_type'] == 'sigma_min':
            last_sigma = ((1 - self.alphas_cumprod[0]) / self.alphas_cumprod[0]) ** 0.5
        else:
            last_sigma = 0
        self.sigmas = torch.from_numpy(np.concatenate([sig, [last_sigma]]).astype(np.float32))
        self.timesteps = torch.from_numpy(np.asarray(ts)).to(torch.int64)
        self.model_outputs = [None] * c['solver_order']
        self.lower_order_nums = 0
        self.index = 0

    @staticmethod
    def alpha_sigma(sigma):
        alpha = 1 / ((sigma ** 2 + 1) ** 0.5)
        return alpha, sigma * alpha

    def convert(self, out, sample):
        c = self.c
        alpha, sigma = self.alpha_sigma(self.sigmas[self.index])
        if c['algorithm_type'] == 'dpmsolver++':
            if c['prediction_type'] == 'epsilon':
                x0 = (sample - sigma * out) / alpha
            elif c['prediction_type'] == 'sample':
                x0 = out
            else:
                x0 = alpha * sample - sigma * out
            if c['thresholding']:
                x0 = threshold_sample(x0, c['dynamic_thresholding_ratio'], c['sample_max_value'])
            return x0
        if c['prediction_type'] == 'epsilon':
            eps = out
        elif c['prediction_type'] == 'sample':
            eps = (sample - alpha * out) / sigma
        else:
            eps = alpha * out + sigma * sample
        if c['thresholding']:
            x0 = (sample - sigma * eps) / alpha
            x0 = threshold_sample(x0, c['dynamic_thresholding_ratio'], c['sample_max_value'])
            eps = (sample - alpha * x0) / sigma
        return eps

    def lambdas(self, offsets):
        result = []
        for k in offsets:
            alpha, sigma = self.alpha_sigma(self.sigmas[self.index + k])
            result.append((alpha, sigma, torch.log(alpha) - torch.log(sigma)))
        return result

    def step(self, out, t, sample):
        c = self.c
        assert int(self.timesteps[self.index]) == t
        n = len(self.timesteps)
        final = self.index == n - 1 and (c['euler_at_final'] or (c['lower_order_final'] and n < 15)
                                         or c['final_sigmas_type'] == 'zero')
        second = self.index == n - 2 and c['lower_order_final'] and n < 15
        m = self.convert(out, sample)
        self.model_outputs = self.model_outputs[1:] + [m]
        pp = c['algorithm_type'] == 'dpmsolver++'
        if c['solver_order'] == 1 or self.lower_order_nums < 1 or final:
            (at, st, lt), (a0, s0, l0) = self.lambdas([1, 0])
            h = lt - l0
            if pp:
                x = (st / s0) * sample - (at * (torch.exp(-h) - 1.0)) * m
            else:
                x = (at / a0) * sample - (st * (torch.exp(h) - 1.0)) * m
        elif c['solver_order'] == 2 or self.lower_order_nums < 2 or second:
            (at, st, lt), (a0, s0, l0), (a1, s1, l1) = self.lambdas([1, 0, -1])
            m0, m1 = self.model_outputs[-1], self.model_outputs[-2]
            h, h0 = lt - l0, l0 - l1
            r0 = h0 / h
            D0, D1 = m0, (1.0 / r0) * (m0 - m1)
            if pp and c['solver_type'] == 'midpoint':
                x = ((st / s0) * sample - (at * (torch.exp(-h) - 1.0)) * D0
                     - 0.5 * (at * (torch.exp(-h) - 1.0)) * D1)
            elif pp:
                x = ((st / s0) * sample - (at * (torch.exp(-h) - 1.0)) * D0
                     + (at * ((torch.exp(-h) - 1.0) / h + 1.0)) * D1)
            elif c['solver_type'] == 'midpoint':
                x = ((at / a0) * sample - (st * (torch.exp(h) - 1.0)) * D0
                     - 0.5 * (st * (torch.exp(h) - 1.0)) * D1)
            else:
                x = ((at / a0) * sample - (st * (torch.exp(h) - 1.0)) * D0
                     - (st * ((torch.exp(h) - 1.0) / h - 1.0)) * D1)
        else:
            (at, st, lt), (a0, s0, l0), (a1, s1, l1), (a2, s2, l2) = self.lambdas([1, 0, -1, -2])
            m0, m1, m2 = self.model_outputs[-1], self.model_outputs[-2], self.model_outputs[-3]
            h, h0, h1 = lt - l0, l0 - l1, l1 - l2
            r0, r1 = h0 / h, h1 / h
            D0 = m0
            D10, D11 = (1.0 / r0) * (m0 - m1), (1.0 / r1) * (m1 - m2)
            D1 = D10 + (r0 / (r0 + r1)) * (D10 - D11)
            D2 = (1.0 / (r0 + r1)) * (D10 - D11)
            if pp:
                x = ((st / s0) * sample - (at * (torch.exp(-h) - 1.0)) * D0
                     + (at * ((torch.exp(-h) - 1.0) / h + 1.0)) * D1
                     - (at * ((torch.exp(-h) - 1.0 + h) / h ** 2 - 0.5)) * D2)
            else:
                x = ((at / a0) * sample - (st * (torch.exp(h) - 1.0)) * D0
                     - (st * ((torch.exp(h) - 1.0) / h - 1.0)) * D1
                     - (st * ((torch.exp(h) - 1.0 - h) / h ** 2 - 0.5)) * D2)
        if self.lower_order_nums < c['solver_order']:
            self.lower_order_nums += 1
        self.index += 1
        return x


# ---------------------------------------------------------------------------------------------
# Original Kandinsky 3.1 sampler (spec §3.2) and Flash loops (spec §3.5, §3.7)

class K3Reference:
    def __init__(self, percentile, eta):
        betas = make_betas('squaredcos_cap_v2', 1000, 0, 0)
        self.ac = torch.cumprod(1.0 - betas, dim=0)
        self.sa = torch.sqrt(self.ac)
        self.s1m = torch.sqrt(1.0 - self.ac)
        self.percentile, self.eta = percentile, eta

    def step(self, x, t, t_prev, eps, z):
        x0 = (x - self.s1m[t] * eps) / self.sa[t]
        if self.percentile is not None:
            b = x0.shape[0]
            q = torch.quantile(x0.reshape(b, -1).abs(), self.percentile, dim=-1)
            q = torch.clip(q, min=1.0).reshape(b, *([1] * (x0.dim() - 1)))
            x0 = torch.clip(x0, -q, q) / q
        else:
            x0 = torch.clip(x0, -1.0, 1.0)
        eps = (x - self.sa[t] * x0) / self.s1m[t]
        at, ap = self.ac[t], self.ac[t_prev]
        var = torch.sqrt(self.eta * (1.0 - at / ap) * (1.0 - ap) / (1.0 - at))
        mean = torch.sqrt(ap) * x0
        mean = mean + torch.sqrt(1.0 - ap - var ** 2) * eps
        if t_prev != 0:
            return mean + var * z
        return mean


class FlashReference:
    def __init__(self, schedule):
        betas = make_betas(schedule, 1000, 0.0001, 0.02)
        ac = torch.cumprod(1.0 - betas, dim=0)
        self.sa = torch.sqrt(ac)
        self.s1m = torch.sqrt(1.0 - ac)


# ---------------------------------------------------------------------------------------------
# Synthetic inputs

SHAPES = {'small': [2, 4, 8, 8], 'wide': [1, 3, 16, 16]}
MODEL = {  # m = a * x + (b + k * slope) * pattern, all exact binary fractions
    'epsilon': (0.75, 0.25, 1 / 64),
    'sample': (0.0625, 0.875, 1 / 128),
    'v_prediction': (0.5, -0.5, 1 / 64),
}
STRIDE = 13


def model_output(kind, k, x, pattern):
    a, b, slope = MODEL[kind]
    return a * x + (b + k * slope) * pattern


def step_noise(base, k):
    n = base.numel()
    flat = base.reshape(-1)
    index = torch.tensor([(i * 7 + k * 13) % n for i in range(n)])
    return flat[index].reshape(base.shape)


def main():
    gen = torch.Generator().manual_seed(20261125)
    inputs = {}
    for key, shape in SHAPES.items():
        inputs[key] = {name: torch.randn(*shape, generator=gen) for name in ('init', 'pattern', 'noise')}
    fixture = {
        'about': 'Generated by tools/reference/schedulers_dpm_kandinsky.py; see its docstring.',
        'model': {k: list(v) for k, v in MODEL.items()},
        'stride': STRIDE,
        'inputs': {key: {'shape': SHAPES[key], **{n: b64(t) for n, t in v.items()}}
                   for key, v in inputs.items()},
        'dpm': [], 'kandinsky3': [], 'flash': [],
    }

    families_with_final = set()

    def dpm_case(family, config, steps_list, shape='small'):
        for steps in steps_list:
            ref = DPMReference(**config)
            ref.set_timesteps(steps)
            x = inputs[shape]['init'].clone()
            pattern = inputs[shape]['pattern']
            kind = ref.c['prediction_type']
            per_step = []
            for k, t in enumerate(ref.timesteps.tolist()):
                x = ref.step(model_output(kind, k, x, pattern), t, x)
                per_step.append(b64(x.reshape(-1)[::STRIDE]))
            case = {
                'family': family, 'config': config, 'steps': steps, 'shape': shape,
                'timesteps': ref.timesteps.tolist(), 'sigmas': f32list(ref.sigmas.numpy()),
                'perStep': per_step,
            }
            # The full final sample for the first case of each family only (fixture size).
            if family not in families_with_final:
                families_with_final.add(family)
                case['final'] = b64(x)
            fixture['dpm'].append(case)

    sr = dict(beta_schedule='linear', prediction_type='sample', thresholding=False)
    dpm_case('superres-default', sr, [1, 2, 5, 10, 25])
    dpm_case('superres-default', sr, [5], 'wide')
    dpm_case('epsilon-order2-midpoint', dict(prediction_type='epsilon'), [2, 10, 25])
    dpm_case('epsilon-order2-heun', dict(prediction_type='epsilon', solver_type='heun'), [10])
    dpm_case('epsilon-order1', dict(solver_order=1), [5])
    dpm_case('epsilon-order3', dict(solver_order=3), [1, 2, 5, 10, 25])
    dpm_case('v-prediction-cosine', dict(prediction_type='v_prediction', beta_schedule='squaredcos_cap_v2',
                                         lambda_min_clipped=-5.1), [10])
    dpm_case('dpmsolver', dict(algorithm_type='dpmsolver', final_sigmas_type='sigma_min'), [5, 10])
    dpm_case('dpmsolver', dict(algorithm_type='dpmsolver', final_sigmas_type='sigma_min',
                               solver_type='heun'), [10])
    dpm_case('dpmsolver', dict(algorithm_type='dpmsolver', final_sigmas_type='sigma_min',
                               solver_order=3), [10])
    dpm_case('dpmsolver', dict(algorithm_type='dpmsolver', final_sigmas_type='sigma_min',
                               prediction_type='sample'), [5])
    dpm_case('dpmsolver', dict(algorithm_type='dpmsolver', final_sigmas_type='sigma_min',
                               prediction_type='v_prediction'), [5])
    dpm_case('thresholding', dict(prediction_type='sample', thresholding=True, dynamic_thresholding_ratio=0.9,
                                  sample_max_value=1.5), [10], 'wide')
    dpm_case('thresholding', dict(thresholding=True, sample_max_value=3.0), [5])
    dpm_case('thresholding', dict(algorithm_type='dpmsolver', final_sigmas_type='sigma_min',
                                  thresholding=True, dynamic_thresholding_ratio=0.9, sample_max_value=2.0), [5])
    dpm_case('karras', dict(use_karras_sigmas=True), [10])
    dpm_case('karras', dict(use_karras_sigmas=True, beta_schedule='scaled_linear', beta_start=0.00085,
                            beta_end=0.012, solver_order=3), [25])
    dpm_case('lu-lambdas', dict(use_lu_lambdas=True), [10])
    dpm_case('final-sigma-min', dict(final_sigmas_type='sigma_min'), [5, 10])
    dpm_case('euler-at-final', dict(final_sigmas_type='sigma_min', euler_at_final=True), [25])
    dpm_case('lower-order-final-off', dict(final_sigmas_type='sigma_min', lower_order_final=False,
                                           solver_order=3), [10])
    dpm_case('spacing', dict(timestep_spacing='leading', steps_offset=1, beta_schedule='scaled_linear',
                             beta_start=0.00085, beta_end=0.012), [10])
    dpm_case('spacing', dict(timestep_spacing='trailing'), [10])
    dpm_case('spacing', dict(timestep_spacing='trailing', beta_schedule='squaredcos_cap_v2',
                             lambda_min_clipped=-5.1), [7])

    def k3_case(steps, percentile, eta, shape='small'):
        ref = K3Reference(percentile, eta)
        times = list(range(999, 0, -1000 // steps)) + [0]
        x = inputs[shape]['init'].clone()
        pattern, noise = inputs[shape]['pattern'], inputs[shape]['noise']
        per_step = []
        draws = 0
        for k, (t, tp) in enumerate(zip(times[:-1], times[1:])):
            eps = model_output('epsilon', k, x, pattern)
            z = step_noise(noise, draws)
            if tp != 0:
                draws += 1
            x = ref.step(x, t, tp, eps, z)
            per_step.append(b64(x.reshape(-1)[::STRIDE]))
        fixture['kandinsky3'].append({
            'steps': steps, 'percentile': percentile, 'eta': eta, 'shape': shape,
            'timesteps': times[:-1], 'perStep': per_step, 'final': b64(x),
        })

    k3_case(50, 0.99, 1.0)
    k3_case(25, 0.95, 1.0, 'wide')
    k3_case(10, None, 1.0)
    k3_case(10, 0.99, 0.5)
    k3_case(7, 0.99, 0.0)
    k3_case(1, 0.99, 1.0)

    def flash_case(schedule, prediction, shape):
        ref = FlashReference(schedule)
        times = [979, 729, 479, 229]
        x0 = inputs[shape]['init'].clone()
        pattern, noise = inputs[shape]['pattern'], inputs[shape]['noise']
        noisy, outs = [], []
        for k, t in enumerate(times):
            xt = ref.sa[t] * x0 + ref.s1m[t] * step_noise(noise, k)
            m = model_output(prediction, k, xt, pattern)
            x0 = m if prediction == 'sample' else (xt - ref.s1m[t] * m) / ref.sa[t]
            noisy.append(b64(xt.reshape(-1)[::STRIDE]))
            outs.append(b64(x0.reshape(-1)[::STRIDE]))
        fixture['flash'].append({'schedule': schedule, 'prediction': prediction, 'shape': shape,
                                 'timesteps': times, 'noisy': noisy, 'x0': outs, 'final': b64(x0)})

    flash_case('squaredcos_cap_v2', 'epsilon', 'small')
    flash_case('linear', 'sample', 'wide')

    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print('wrote', os.path.normpath(OUT), os.path.getsize(OUT), 'bytes')


if __name__ == '__main__':
    main()
