"""Whole-pipeline reference for Kandinsky Flash sampled with diffusers' LCMScheduler (the
`flash({ scheduler: 'lcm', steps })` path of @kandinsky/core), computed with PyTorch on networks
rebuilt from the committed ONNX files of kandinsky3-tiny (onnx_weights.py, checked against the
committed component references first). The LCM step is the float32 transcription in
tools/reference/schedulers_ancestral_heun_lcm_unipc.py, itself checked against the sums diffusers'
own tests assert (tests/schedulers/test_scheduler_lcm.py). The loop is diffusers'
LatentConsistencyModelPipeline without guidance: latents = randn · init_noise_sigma (1), then per
timestep one UNet call and `scheduler.step(eps, t, latents, generator)`; the result is the last
step's denoised sample. The scheduler config is the folder's scheduler_config.json with
_class_name swapped, as `LCMScheduler.from_config` reads it (its own defaults for the keys the
file lacks). Writes models/tiny/kandinsky3-tiny/reference/pipeline-flash-lcm-<steps>.*

Usage: /usr/bin/python3 tools/tiny-models/reference_flash_lcm.py
"""
from __future__ import annotations

import json
import os
import sys

import torch

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'reference'))

import common  # noqa: E402
import nets  # noqa: E402
import onnx_weights as W  # noqa: E402
import train  # noqa: E402
import world  # noqa: E402
from schedulers_ancestral_heun_lcm_unipc import LCM  # noqa: E402

FOLDER = os.path.normpath(os.path.join(HERE, '..', '..', 'models', 'tiny', 'kandinsky3-tiny'))
REF = os.path.join(FOLDER, 'reference')


def tensor_doc(prefix, name, t):
    t = t.detach().contiguous()
    dtype = {torch.float32: 'float32', torch.int64: 'int64', torch.uint8: 'uint8'}[t.dtype]
    file = f'{prefix}.{name}.bin'
    t.numpy().astype({'float32': '<f4', 'int64': '<i8', 'uint8': 'u1'}[dtype]).tofile(os.path.join(REF, file))
    return {'dtype': dtype, 'dims': list(t.shape), 'file': file}


def load_nets():
    path = lambda role: os.path.join(FOLDER, role, 'model.onnx')  # noqa: E731
    m = {
        'text_encoder': W.load_into(nets.TextEncoder(len(common.TOKENS), train.D), path('text_encoder')),
        'text_projection_flash': W.load_into(nets.TextProjection(train.D, train.D), path('text_projection_flash')),
        'unet_flash': W.load_into(nets.UNet(in_channels=4, **train.UNET_KW), path('unet_flash')),
        'movq_decoder': W.load_into(nets.MoVQDecoder(), path('movq_decoder')),
    }
    W.check_against_component_references(FOLDER, m, {
        'text_encoder': lambda n, input_ids, attention_mask: n(input_ids, attention_mask),
        'text_projection_flash': lambda n, hidden: n(hidden),
        'unet_flash': lambda n, sample, timestep, encoder_hidden_states, encoder_attention_mask:
            n(sample, timestep, encoder_hidden_states, encoder_attention_mask > 0),
        'movq_decoder': lambda n, latent: n(latent),
    })
    return m


@torch.no_grad()
def main():
    m = load_nets()
    config = json.load(open(os.path.join(FOLDER, 'scheduler', 'scheduler_config.json')))
    config = {k: v for k, v in config.items() if not k.startswith('_')}
    prompt, seed = 'a red circle on a white background', 42
    for steps in (4, 6):
        scheduler = LCM(config)
        scheduler.set_timesteps(steps)
        ctx, mask = common.encode_convention_a(m['text_encoder'], m['text_projection_flash'], [prompt])
        g = torch.Generator().manual_seed(seed)
        x = torch.randn((1, 4, 8, 8), generator=g)
        tensors = {'initial_latent': x.clone()}
        denoised = None
        for k, t in enumerate(scheduler.timesteps.tolist()):
            eps = m['unet_flash'](x, torch.full((1,), float(t)), ctx, mask)
            x, denoised = scheduler.step(eps, t, x, g)
            tensors[f'latent_after_step_{k + 1}'] = x.clone()
        decoded = m['movq_decoder'](denoised)
        tensors.update({'latent_final': denoised, 'decoded': decoded, 'image_uint8_hwc': world.from_model_range(decoded)[0]})
        name = f'pipeline-flash-lcm-{steps}'
        doc = {
            'prompt': prompt, 'seed': seed, 'steps': steps, 'timesteps': scheduler.timesteps.tolist(),
            'convention': 'A', 'projection': 'text_projection_flash', 'unet': 'unet_flash',
            'scheduler': 'LCMScheduler.from_config(scheduler/scheduler_config.json): ' + json.dumps(scheduler.cfg),
            'noise': 'torch.Generator().manual_seed(seed): torch.randn([1,4,8,8]) initial latent, then one '
                     'torch.randn per step inside LCMScheduler.step (none on the last step)',
            'cfg': 'none (Flash runs the conditional branch only)',
            'uint8': 'clip((x+1)/2, 0, 1)·255 truncated (ai-forever ToPILImage convention, spec §3.9)',
            'made_by': 'tools/tiny-models/reference_flash_lcm.py',
            'tensors': {k: tensor_doc(name, k, v) for k, v in tensors.items()},
        }
        json.dump(doc, open(os.path.join(REF, name + '.json'), 'w'), indent=1)
        print(name, 'timesteps', doc['timesteps'])
    print('flash + LCM references written')


if __name__ == '__main__':
    main()
