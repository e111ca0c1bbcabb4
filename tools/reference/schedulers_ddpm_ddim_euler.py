"""Reference fixtures for the DDPM, DDIM and EulerDiscrete schedulers of @kandinsky/core.

Independent PyTorch (float32, like diffusers) implementation of the published diffusers formulas
(huggingface/diffusers: src/diffusers/schedulers/scheduling_ddpm.py, scheduling_ddim.py,
scheduling_euler_discrete.py; spec kandinsky-3.md §3.1, §3.3, §3.4, §4.4). diffusers itself is not
installable here, so the formulas are re-implemented op for op with the same dtypes: tables in
torch float32 (cumprod on CPU), timesteps with numpy float64 + round-half-even, per-step math in
float32 0-dim tensors times float32 tensors.

Model outputs, initial samples and "random" noise are synthetic closed-form float32 tensors that the
TypeScript tests rebuild exactly (see `synthetic` below), so the fixture stores only outputs.

Run: /usr/bin/python3 tools/reference/schedulers_ddpm_ddim_euler.py
Writes packages/core/src/schedulers/fixtures/ddpm-ddim-euler.json and beta-schedules.json.
"""
import base64
import json
import math
import os

import numpy as np
import torch

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
OUT_DIR = os.path.join(ROOT, 'packages', 'core', 'src', 'schedulers', 'fixtures')


def b64(t):
    return base64.b64encode(t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()).decode()


# ---------------------------------------------------------------- synthetic tensors (mirrored in TS)
def synthetic(count, mul, add, mod, centre, div):
    i = torch.arange(count, dtype=torch.int64)
    return ((i * mul + add) % mod - centre).to(torch.float32) / div


def initial_sample(shape):
    return synthetic(int(np.prod(shape)), 53, 7, 97, 48, 24.0).reshape(shape)


def model_base(shape):
    return synthetic(int(np.prod(shape)), 37, 11, 101, 50, 50.0).reshape(shape)


def learned_range_half(shape):
    return synthetic(int(np.prod(shape)), 29, 3, 89, 44, 44.0).reshape(shape)


def learned_half(shape):
    n = int(np.prod(shape))
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 29 + 3) % 89 + 1).to(torch.float32) / 4096.0).reshape(shape)


def noise_draw(k, shape):
    n = int(np.prod(shape))
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 71 + k * 131 + 5) % 199 - 99).to(torch.float32) / 50.0).reshape(shape)


def model_output(x, t, extra=None):
    # 0.875·x + (t/1024)·base: every constant is exact in float32
    out = x * 0.875 + (float(t) / 1024.0) * model_base(x.shape)
    if extra is not None:
        out = torch.cat([out, extra(x.shape)], dim=1)
    return out


class NoiseSequence:
    """Stands in for a torch.Generator: the k-th randn call returns noise_draw(k)."""

    def __init__(self):
        self.count = 0
        self.shapes = []

    def randn(self, shape):
        t = noise_draw(self.count, shape)
        self.count += 1
        self.shapes.append(list(shape))
        return t


# ---------------------------------------------------------------- tables
def betas_for_alpha_bar(n, max_beta=0.999):
    def alpha_bar(s):
        return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
    return torch.tensor([min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), max_beta) for i in range(n)],
                        dtype=torch.float32)


def rescale_zero_terminal_snr(betas):
    alphas = 1.0 - betas
    ac = torch.cumprod(alphas, dim=0)
    root = ac.sqrt()
    first = root[0].clone()
    last = root[-1].clone()
    root -= last
    root *= first / (first - last)
    bar = root ** 2
    alphas = torch.cat([bar[0:1], bar[1:] / bar[:-1]])
    return 1 - alphas


def make_betas(cfg):
    T = cfg.get('num_train_timesteps', 1000)
    sched = cfg.get('beta_schedule', 'linear')
    start = cfg.get('beta_start', 0.0001)
    end = cfg.get('beta_end', 0.02)
    if cfg.get('trained_betas') is not None:
        betas = torch.tensor(cfg['trained_betas'], dtype=torch.float32)
    elif sched == 'linear':
        betas = torch.linspace(start, end, T, dtype=torch.float32)
    elif sched == 'scaled_linear':
        betas = torch.linspace(start ** 0.5, end ** 0.5, T, dtype=torch.float32) ** 2
    elif sched == 'squaredcos_cap_v2':
        betas = betas_for_alpha_bar(T)
    else:
        raise ValueError(sched)
    if cfg.get('rescale_betas_zero_snr', False):
        betas = rescale_zero_terminal_snr(betas)
    return betas


# ---------------------------------------------------------------- timestep spacings (numpy, as diffusers)
def spaced_int(spacing, N, T, offset):
    if spacing == 'linspace':
        ts = np.linspace(0, T - 1, N).round()[::-1].copy().astype(np.int64)
    elif spacing == 'leading':
        ratio = T // N
        ts = (np.arange(0, N) * ratio).round()[::-1].copy().astype(np.int64)
        ts += offset
    elif spacing == 'trailing':
        ratio = T / N
        ts = np.round(np.arange(T, 0, -ratio)).astype(np.int64)
        ts -= 1
    else:
        raise ValueError(spacing)
    return ts


def spaced_float(spacing, N, T, offset):
    if spacing == 'linspace':
        ts = np.linspace(0, T - 1, N, dtype=np.float32)[::-1].copy()
    elif spacing == 'leading':
        ratio = T // N
        ts = (np.arange(0, N) * ratio).round()[::-1].copy().astype(np.float32)
        ts += offset
    elif spacing == 'trailing':
        ratio = T / N
        ts = (np.arange(T, 0, -ratio)).round().copy().astype(np.float32)
        ts -= 1
    else:
        raise ValueError(spacing)
    return ts


# ---------------------------------------------------------------- shared step pieces
def threshold(x0, ratio, max_value):
    b, c, *rest = x0.shape
    flat = x0.reshape(b, c * int(np.prod(rest)))
    s = torch.quantile(flat.abs(), ratio, dim=1)
    s = torch.clamp(s, min=1, max=max_value).unsqueeze(1)
    return (torch.clamp(flat, -s, s) / s).reshape(x0.shape)


def clip_or_threshold(x0, cfg):
    if cfg.get('thresholding', False):
        return threshold(x0, cfg.get('dynamic_thresholding_ratio', 0.995), cfg.get('sample_max_value', 1.0))
    if cfg.get('clip_sample', True):
        r = cfg.get('clip_sample_range', 1.0)
        return x0.clamp(-r, r)
    return x0


class DDPM:
    def __init__(self, cfg):
        self.cfg = cfg
        self.betas = make_betas(cfg)
        self.alphas = 1.0 - self.betas
        self.ac = torch.cumprod(self.alphas, dim=0)
        self.one = torch.tensor(1.0)
        self.variance_type = cfg.get('variance_type', 'fixed_small')

    def set_timesteps(self, N=None, custom=None):
        T = self.cfg.get('num_train_timesteps', 1000)
        if custom is not None:
            self.timesteps = torch.from_numpy(np.array(custom, dtype=np.int64))
        else:
            self.timesteps = torch.from_numpy(spaced_int(self.cfg.get('timestep_spacing', 'leading'), N, T,
                                                         self.cfg.get('steps_offset', 0)))

    def prev(self, t):
        idx = (self.timesteps == t).nonzero(as_tuple=True)[0][0]
        return -1 if idx == self.timesteps.shape[0] - 1 else int(self.timesteps[idx + 1])

    def get_variance(self, t, pv):
        prev_t = self.prev(t)
        a_t = self.ac[t]
        a_prev = self.ac[prev_t] if prev_t >= 0 else self.one
        beta_t = 1 - a_t / a_prev
        var = (1 - a_prev) / (1 - a_t) * beta_t
        var = torch.clamp(var, min=1e-20)
        vt = self.variance_type
        if vt == 'fixed_small':
            return var
        if vt == 'fixed_small_log':
            return torch.exp(0.5 * torch.log(var))
        if vt == 'fixed_large':
            return beta_t
        if vt == 'fixed_large_log':
            return torch.log(beta_t)
        if vt == 'learned':
            return pv
        if vt == 'learned_range':
            frac = (pv + 1) / 2
            return frac * torch.log(beta_t) + (1 - frac) * torch.log(var)
        raise ValueError(vt)

    def step(self, out, t, x, gen):
        cfg = self.cfg
        prev_t = self.prev(t)
        if out.shape[1] == x.shape[1] * 2 and self.variance_type in ('learned', 'learned_range'):
            out, pv = torch.split(out, x.shape[1], dim=1)
        else:
            pv = None
        a_t = self.ac[t]
        a_prev = self.ac[prev_t] if prev_t >= 0 else self.one
        b_t = 1 - a_t
        b_prev = 1 - a_prev
        cur_a = a_t / a_prev
        cur_b = 1 - cur_a
        pt = cfg.get('prediction_type', 'epsilon')
        if pt == 'epsilon':
            x0 = (x - b_t ** 0.5 * out) / a_t ** 0.5
        elif pt == 'sample':
            x0 = out
        else:
            x0 = (a_t ** 0.5) * x - (b_t ** 0.5) * out
        x0 = clip_or_threshold(x0, cfg)
        c0 = (a_prev ** 0.5 * cur_b) / b_t
        ct = cur_a ** 0.5 * b_prev / b_t
        prev = c0 * x0 + ct * x
        if t > 0:
            z = gen.randn(out.shape)
            if self.variance_type == 'fixed_small_log':
                var = self.get_variance(t, pv) * z
            elif self.variance_type == 'learned_range':
                var = torch.exp(0.5 * self.get_variance(t, pv)) * z
            elif self.variance_type == 'fixed_large_log':
                # diffusers takes (log β) ** 0.5 here, which is NaN; we (and the TS code) use the
                # intended std exp(½·log β) = √β (documented deviation).
                var = torch.exp(0.5 * self.get_variance(t, pv)) * z
            else:
                var = (self.get_variance(t, pv) ** 0.5) * z
            prev = prev + var
        return prev

    def add_noise(self, x0, z, t):
        a = self.ac[t] ** 0.5
        b = (1 - self.ac[t]) ** 0.5
        return a * x0 + b * z


class DDIM:
    def __init__(self, cfg):
        self.cfg = cfg
        self.betas = make_betas(cfg)
        self.ac = torch.cumprod(1.0 - self.betas, dim=0)
        self.final = torch.tensor(1.0) if cfg.get('set_alpha_to_one', True) else self.ac[0]

    def set_timesteps(self, N):
        self.N = N
        self.timesteps = torch.from_numpy(spaced_int(self.cfg.get('timestep_spacing', 'leading'), N,
                                                     self.cfg.get('num_train_timesteps', 1000),
                                                     self.cfg.get('steps_offset', 0)))

    def step(self, out, t, x, gen, eta, use_clipped):
        cfg = self.cfg
        prev_t = t - cfg.get('num_train_timesteps', 1000) // self.N
        a_t = self.ac[t]
        a_prev = self.ac[prev_t] if prev_t >= 0 else self.final
        b_t = 1 - a_t
        pt = cfg.get('prediction_type', 'epsilon')
        if pt == 'epsilon':
            x0 = (x - b_t ** 0.5 * out) / a_t ** 0.5
            eps = out
        elif pt == 'sample':
            x0 = out
            eps = (x - a_t ** 0.5 * x0) / b_t ** 0.5
        else:
            x0 = (a_t ** 0.5) * x - (b_t ** 0.5) * out
            eps = (a_t ** 0.5) * out + (b_t ** 0.5) * x
        x0 = clip_or_threshold(x0, cfg)
        variance = ((1 - a_prev) / b_t) * (1 - a_t / a_prev)
        std = eta * variance ** 0.5
        if use_clipped:
            eps = (x - a_t ** 0.5 * x0) / b_t ** 0.5
        direction = (1 - a_prev - std ** 2) ** 0.5 * eps
        prev = a_prev ** 0.5 * x0 + direction
        if eta > 0:
            prev = prev + std * gen.randn(out.shape)
        return prev


class Euler:
    def __init__(self, cfg):
        self.cfg = cfg
        self.betas = make_betas(cfg)
        self.ac = torch.cumprod(1.0 - self.betas, dim=0)
        if cfg.get('rescale_betas_zero_snr', False):
            self.ac[-1] = 2 ** -24

    def set_timesteps(self, N):
        cfg = self.cfg
        T = cfg.get('num_train_timesteps', 1000)
        ts = spaced_float(cfg.get('timestep_spacing', 'linspace'), N, T, cfg.get('steps_offset', 0))
        sig = np.array(((1 - self.ac) / self.ac) ** 0.5)
        log_sigmas = np.log(sig)
        sigmas = np.interp(ts, np.arange(0, len(sig)), sig)
        if cfg.get('use_karras_sigmas', False):
            smin = cfg.get('sigma_min') or sigmas[-1].item()
            smax = cfg.get('sigma_max') or sigmas[0].item()
            rho = 7.0
            ramp = np.linspace(0, 1, N)
            sigmas = (smax ** (1 / rho) + ramp * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
            ts = np.array([self.sigma_to_t(s, log_sigmas) for s in sigmas])
        elif cfg.get('use_exponential_sigmas', False):
            # diffusers' _convert_to_exponential: uniform in log sigma between the same ends.
            smin = cfg.get('sigma_min') or sigmas[-1].item()
            smax = cfg.get('sigma_max') or sigmas[0].item()
            sigmas = np.exp(np.linspace(math.log(smax), math.log(smin), N))
            ts = np.array([self.sigma_to_t(s, log_sigmas) for s in sigmas])
        if cfg.get('final_sigmas_type', 'zero') == 'sigma_min':
            last = ((1 - self.ac[0]) / self.ac[0]) ** 0.5
        else:
            last = 0
        sigmas = np.concatenate([sigmas, [last]]).astype(np.float32)
        self.sigmas = torch.from_numpy(sigmas)
        if cfg.get('timestep_type', 'discrete') == 'continuous' and cfg.get('prediction_type') == 'v_prediction':
            self.timesteps = torch.Tensor([0.25 * s.log() for s in self.sigmas[:-1]])
        else:
            self.timesteps = torch.from_numpy(ts.astype(np.float32))
        mx = self.sigmas.max()
        self.init_noise_sigma = mx if cfg.get('timestep_spacing', 'linspace') in ('linspace', 'trailing') \
            else (mx ** 2 + 1) ** 0.5

    @staticmethod
    def sigma_to_t(sigma, log_sigmas):
        log_sigma = np.log(np.maximum(sigma, 1e-10))
        dists = log_sigma - log_sigmas[:, np.newaxis]
        low = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
        high = low + 1
        lo, hi = log_sigmas[low], log_sigmas[high]
        w = np.clip((lo - log_sigma) / (lo - hi), 0, 1)
        return ((1 - w) * low + w * high).reshape(np.shape(sigma))

    def scale(self, x, i):
        s = self.sigmas[i]
        return x / ((s ** 2 + 1) ** 0.5)

    def step(self, out, i, x, churn=0.0, gen=None):
        sigma = self.sigmas[i]
        gamma = min(churn / (len(self.sigmas) - 1), 2 ** 0.5 - 1) if 0.0 <= sigma <= float('inf') else 0.0
        sigma_hat = sigma * (gamma + 1)
        if gamma > 0:
            eps = gen.randn(out.shape) * 1.0
            x = x + eps * (sigma_hat ** 2 - sigma ** 2) ** 0.5
        pt = self.cfg.get('prediction_type', 'epsilon')
        if pt == 'sample':
            x0 = out
        elif pt == 'epsilon':
            x0 = x - sigma_hat * out
        else:
            x0 = out * (-sigma / (sigma ** 2 + 1) ** 0.5) + (x / (sigma ** 2 + 1))
        d = (x - x0) / sigma_hat
        dt = self.sigmas[i + 1] - sigma_hat
        return x + d * dt


# ---------------------------------------------------------------- runs
K3 = {'_class_name': 'DDPMScheduler', 'num_train_timesteps': 1000, 'beta_schedule': 'squaredcos_cap_v2',
      'beta_start': 0.00085, 'beta_end': 0.012, 'clip_sample': True, 'set_alpha_to_one': False,
      'steps_offset': 1, 'prediction_type': 'epsilon', 'thresholding': False}
SMALL = [1, 4, 4, 4]
MAIN = [1, 4, 8, 8]


def run_ddpm(cfg, N, shape, custom=None):
    s = DDPM(cfg)
    s.set_timesteps(N, custom)
    gen = NoiseSequence()
    extra = None
    if s.variance_type == 'learned':
        extra = learned_half
    elif s.variance_type == 'learned_range':
        extra = learned_range_half
    x = initial_sample(shape)
    samples = []
    for t in s.timesteps.tolist():
        x = s.step(model_output(x, t, extra), t, x, gen)
        samples.append(b64(x))
    return {'scheduler': 'DDPMScheduler', 'config': cfg, 'steps': N, 'customTimesteps': custom, 'shape': shape,
            'timesteps': s.timesteps.tolist(), 'noiseDraws': gen.count, 'samples': samples}


def run_ddim(cfg, N, shape, eta=0.0, use_clipped=False):
    s = DDIM(cfg)
    s.set_timesteps(N)
    gen = NoiseSequence()
    x = initial_sample(shape)
    samples = []
    for t in s.timesteps.tolist():
        x = s.step(model_output(x, t), t, x, gen, eta, use_clipped)
        samples.append(b64(x))
    return {'scheduler': 'DDIMScheduler', 'config': cfg, 'steps': N, 'shape': shape, 'eta': eta,
            'useClippedModelOutput': use_clipped, 'timesteps': s.timesteps.tolist(), 'noiseDraws': gen.count,
            'samples': samples}


def run_euler(cfg, N, shape, churn=0.0):
    s = Euler(cfg)
    s.set_timesteps(N)
    gen = NoiseSequence()
    x = initial_sample(shape) * s.init_noise_sigma
    samples = []
    for i, t in enumerate(s.timesteps.tolist()):
        out = model_output(s.scale(x, i), t)
        x = s.step(out, i, x, churn, gen)
        samples.append(b64(x))
    return {'scheduler': 'EulerDiscreteScheduler', 'config': cfg, 'steps': N, 'shape': shape, 'churn': churn,
            'timesteps': s.timesteps.tolist(), 'sigmas': s.sigmas.tolist(), 'noiseDraws': gen.count,
            'initNoiseSigma': float(s.init_noise_sigma), 'samples': samples}


def runs():
    out = []
    # DDPM: the Kandinsky 3 config (spec §3.3) at every step count, then one change at a time.
    for N in (1, 7):
        out.append(run_ddpm(K3, N, SMALL))
    out.append(run_ddpm(K3, 25, MAIN))
    out.append(run_ddpm(K3, 50, SMALL))
    for change in ({'prediction_type': 'sample'}, {'prediction_type': 'v_prediction'},
                   {'timestep_spacing': 'linspace'}, {'timestep_spacing': 'trailing', 'steps_offset': 0},
                   {'clip_sample': False}, {'clip_sample_range': 2.0},
                   {'thresholding': True, 'sample_max_value': 3.0},
                   {'thresholding': True, 'dynamic_thresholding_ratio': 0.9, 'sample_max_value': 1.5,
                    'prediction_type': 'sample'},
                   {'variance_type': 'fixed_small_log'}, {'variance_type': 'fixed_large'},
                   {'variance_type': 'fixed_large_log'}, {'variance_type': 'learned'},
                   {'variance_type': 'learned_range'},
                   {'beta_schedule': 'linear', 'rescale_betas_zero_snr': True, 'prediction_type': 'v_prediction',
                    'timestep_spacing': 'trailing', 'steps_offset': 0},
                   {'beta_schedule': 'scaled_linear'}):
        out.append(run_ddpm({**K3, **change}, 7, SMALL))
    out.append(run_ddpm(K3, None, SMALL, custom=[999, 700, 420, 100, 3, 0]))
    # DDIM
    ddim = {'_class_name': 'DDIMScheduler', 'beta_schedule': 'squaredcos_cap_v2', 'clip_sample': True,
            'set_alpha_to_one': False, 'steps_offset': 1}
    out.append(run_ddim(ddim, 25, SMALL))
    for N in (1, 7, 50):
        out.append(run_ddim(ddim, N, SMALL, eta=0.0))
    for eta in (0.5, 1.0):
        out.append(run_ddim(ddim, 7, SMALL, eta=eta))
    out.append(run_ddim(ddim, 7, SMALL, eta=1.0, use_clipped=True))
    for change in ({'set_alpha_to_one': True}, {'prediction_type': 'sample'}, {'prediction_type': 'v_prediction'},
                   {'timestep_spacing': 'linspace', 'steps_offset': 0}, {'timestep_spacing': 'trailing'},
                   {'clip_sample': False}, {'thresholding': True, 'sample_max_value': 2.0},
                   {'beta_schedule': 'scaled_linear', 'beta_start': 0.00085, 'beta_end': 0.012,
                    'rescale_betas_zero_snr': True, 'timestep_spacing': 'trailing', 'prediction_type': 'v_prediction',
                    'set_alpha_to_one': True, 'clip_sample': False}):
        out.append(run_ddim({**ddim, **change}, 7, SMALL, eta=0.5))
    # Euler
    euler = {'_class_name': 'EulerDiscreteScheduler', 'beta_schedule': 'scaled_linear', 'beta_start': 0.00085,
             'beta_end': 0.012}
    out.append(run_euler(euler, 25, SMALL))
    for N in (1, 7, 50):
        out.append(run_euler(euler, N, SMALL))
    for change in ({'timestep_spacing': 'leading', 'steps_offset': 1}, {'timestep_spacing': 'trailing'},
                   {'prediction_type': 'sample'}, {'prediction_type': 'v_prediction'},
                   {'use_karras_sigmas': True}, {'use_exponential_sigmas': True}, {'final_sigmas_type': 'sigma_min'},
                   {'beta_schedule': 'squaredcos_cap_v2'},
                   {'rescale_betas_zero_snr': True, 'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing'},
                   {'prediction_type': 'v_prediction', 'timestep_type': 'continuous'}):
        out.append(run_euler({**euler, **change}, 7, SMALL))
    out.append(run_euler(euler, 7, SMALL, churn=1.0))
    return out


def strength_cases():
    cases = []
    for cls, cfg, order in (('DDPMScheduler', K3, 1),):
        for N, strength in ((25, 0.3), (25, 1.0), (25, 0.0), (10, 0.7), (100, 0.29), (50, 0.5), (7, 0.999)):
            s = DDPM(cfg)
            s.set_timesteps(N)
            init = min(int(N * strength), N)
            start = max(N - init, 0)
            cases.append({'steps': N, 'strength': strength, 'startIndex': start * order,
                          'timesteps': s.timesteps[start * order:].tolist()})
    return cases


def fnv1a(words):
    h = 0x811C9DC5
    for w in words:
        for shift in (0, 8, 16, 24):
            h ^= (int(w) >> shift) & 0xFF
            h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def spacing_table():
    """Per spacing and N = 1…1000: FNV-1a hash of the timesteps (int32 words for the integer
    DDPM/DDIM grids, float32 bit patterns for the Euler grids), base64 of little-endian uint32."""
    T = 1000
    table = {'int': {}, 'float': {}, 'invalidInt': {}, 'numpyExtraEntry': {}}
    for spacing, offset in (('linspace', 0), ('leading', 0), ('leading', 1), ('trailing', 0)):
        key = f'{spacing}+{offset}'
        hashes, fhashes, invalid, extra = [], [], [], []
        for N in range(1, T + 1):
            ts = spaced_int(spacing, N, T, offset)
            f = spaced_float(spacing, N, T, offset).astype(np.float32)
            # numpy's float arange overshoots for some N under "trailing" and yields N + 1 entries,
            # the extra one being t = -1; the TS code keeps the N intended entries (documented).
            assert len(ts) in (N, N + 1) and len(f) == len(ts)
            if len(ts) == N + 1:
                assert ts[-1] == -1
                extra.append(N)
            ts, f = ts[:N], f[:N]
            if ts.max() >= T or ts.min() < 0:
                invalid.append(N)
            hashes.append(fnv1a(ts.astype(np.int64).astype(np.uint32)))
            fhashes.append(fnv1a(f.view(np.uint32)))
        table['int'][key] = base64.b64encode(np.array(hashes, dtype='<u4').tobytes()).decode()
        table['float'][key] = base64.b64encode(np.array(fhashes, dtype='<u4').tobytes()).decode()
        table['invalidInt'][key] = invalid
        table['numpyExtraEntry'][key] = extra
    return table


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    schedules = {}
    for name, cfg in (('linear', {'beta_schedule': 'linear'}),
                      ('scaled_linear', {'beta_schedule': 'scaled_linear', 'beta_start': 0.00085, 'beta_end': 0.012}),
                      ('squaredcos_cap_v2', {'beta_schedule': 'squaredcos_cap_v2'}),
                      ('linear_rescaled', {'beta_schedule': 'linear', 'rescale_betas_zero_snr': True}),
                      ('scaled_linear_rescaled', {'beta_schedule': 'scaled_linear', 'beta_start': 0.00085,
                                                  'beta_end': 0.012, 'rescale_betas_zero_snr': True})):
        betas = make_betas(cfg)
        schedules[name] = {'config': cfg, 'betas': b64(betas), 'alphasCumprod': b64(torch.cumprod(1.0 - betas, 0))}
    with open(os.path.join(OUT_DIR, 'beta-schedules.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'schedules': schedules}, f)

    # add_noise for img2img (spec §4.4): t = 241 on the Kandinsky config
    d = DDPM(K3)
    x0 = initial_sample(SMALL)
    z = noise_draw(0, SMALL)
    fixture = {
        'torch': torch.__version__,
        'runs': runs(),
        'strength': strength_cases(),
        'addNoise': {'timestep': 241, 'shape': SMALL, 'result': b64(d.add_noise(x0, z, 241))},
        'spacings': spacing_table(),
    }
    with open(os.path.join(OUT_DIR, 'ddpm-ddim-euler.json'), 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))


if __name__ == '__main__':
    main()
