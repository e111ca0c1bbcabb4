"""Reference I/O computed with PyTorch from the exported (fp16-rounded) weights, written to
models/tiny/<family>/reference/ (docs/model-format.md §7), plus whole-pipeline references with a
fixed seed that store every intermediate. Usage: /usr/bin/python3 reference.py"""
from __future__ import annotations

import json
import os
import shutil
import sys

import torch

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import export_tiny  # noqa: E402
import nets  # noqa: E402
import pipelines as P  # noqa: E402
import train  # noqa: E402
import world  # noqa: E402

D = train.D


class RefWriter:
    def __init__(self, folder):
        self.dir = os.path.join(folder, 'reference')
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)

    def tensor(self, prefix, name, t):
        t = t.detach().contiguous()
        if t.dtype == torch.bool:
            t = t.to(torch.int64)
        dtype = {torch.float32: 'float32', torch.int64: 'int64', torch.uint8: 'uint8'}[t.dtype]
        file = f'{prefix}.{name}.bin'
        np_dtype = {'float32': '<f4', 'int64': '<i8', 'uint8': 'u1'}[dtype]
        t.numpy().astype(np_dtype).tofile(os.path.join(self.dir, file))
        return {'dtype': dtype, 'dims': list(t.shape), 'file': file}

    def component(self, name, component, inputs, outputs, note='', tolerance=1e-4):
        doc = {'component': component, 'note': note, 'tolerance': tolerance,
               'inputs': {k: self.tensor(name, k, v) for k, v in inputs.items()},
               'outputs': {k: self.tensor(name, k, v) for k, v in outputs.items()}}
        json.dump(doc, open(os.path.join(self.dir, name + '.json'), 'w'), indent=1)

    def pipeline(self, name, meta, tensors):
        doc = dict(meta)
        doc['tensors'] = {k: self.tensor(name, k, v) for k, v in tensors.items()}
        json.dump(doc, open(os.path.join(self.dir, name + '.json'), 'w'), indent=1)


def unet_inputs(in_channels=4, seed=0, length=7):
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(2, length, dtype=torch.int64)
    mask[1, 3:] = 0
    return {'sample': torch.randn((2, in_channels, 8, 8), generator=g), 'timestep': torch.tensor([979.0, 229.0]),
            'encoder_hidden_states': torch.randn((2, length, D), generator=g), 'encoder_attention_mask': mask}


@torch.no_grad()
def text_refs(w, m, proj_roles):
    ids, mask = common.tokenize_padded(['a red circle on a white background'])
    w.component('text_encoder', 'text_encoder', {'input_ids': ids, 'attention_mask': mask},
                {'last_hidden_state': m['text_encoder'](ids, mask)})
    g = torch.Generator().manual_seed(1)
    for role, proj in proj_roles:
        h = torch.randn((1, 7, D), generator=g)
        w.component(role, role, {'hidden': h}, {'context': proj(h)})


@torch.no_grad()
def movq_refs(w, m):
    img = world.to_model_range(world.sample_batch(1, world.EVAL_SEED_BASE + 500).images)
    w.component('movq_encoder', 'movq_encoder', {'image': img}, {'latent': m['movq_encoder'](img)})
    lat = m['movq_encoder'](img)
    w.component('movq_decoder', 'movq_decoder', {'latent': lat}, {'image': m['movq_decoder'](lat)})


def tokenizer_fixtures(w):
    texts = ['a red circle on a white background', 'Blue square, top left', '', 'a zebra-like red dog!!',
             'héllo wörld red', '  spaced   out  ', 'a small purple triangle in the bottom right on a black background']
    json.dump({'note': 'ids of tokenizer/tokenizer.json (EOS appended, no padding), from tools/tiny-models/common.py',
               'fixtures': [{'text': t, 'ids': common.tokenize(t)} for t in texts]},
              open(os.path.join(w.dir, 'tokenizer.json'), 'w'), indent=1)


@torch.no_grad()
def main():
    m = export_tiny.load_all()
    fam = export_tiny.FAMILIES
    # ---------------- kandinsky3-tiny
    folder = os.path.join(export_tiny.MODELS, fam['base'])
    w = RefWriter(folder)
    tokenizer_fixtures(w)
    roles = [('text_projection', m['projection'])]
    if 'projection_flash' in m:
        roles.append(('text_projection_flash', m['projection_flash']))
    if 'projection_inpainting' in m:
        roles.append(('text_projection_inpainting', m['projection_inpainting']))
    text_refs(w, m, roles)
    movq_refs(w, m)
    for role, key, ch in [('unet', 'unet', 4), ('unet_flash', 'unet_flash', 4), ('unet_inpainting', 'unet_inpainting', 9)]:
        if key not in m:
            continue
        x = unet_inputs(ch)
        out = m[key](x['sample'], x['timestep'], x['encoder_hidden_states'], x['encoder_attention_mask'] > 0)
        w.component(role, role, x, {'noise_pred': out}, 'batch row 1 has a partly masked context')
    # Whole text→image pipeline, convention A, original sampler (spec §4.1 A, §4.2, §3.2).
    prompt, seed, steps, guidance = 'a red circle on a white background', 42, 50, 3.0
    ids, mask = common.tokenize_padded([prompt])
    g = torch.Generator().manual_seed(seed)
    trace = {}
    z = P.text_to_image_latents(m['text_encoder'], m['projection'], m['unet'], [prompt], g, steps, guidance, 0.99, trace)
    img = m['movq_decoder'](z)
    w.pipeline('pipeline-text-to-image', {
        'prompt': prompt, 'seed': seed, 'steps': steps, 'guidance_scale': guidance, 'eta': 1.0,
        'threshold_percentile': 0.99, 'convention': 'A', 'timesteps': common.original_timesteps(steps),
        'noise': 'torch.Generator().manual_seed(seed): torch.randn([1,4,8,8]) for the initial latent, then one '
                 'torch.randn([1,4,8,8]) per step from the same generator, none on the last step (t_prev = 0)',
        'cfg': '(w+1)·cond − w·uncond, UNet batch [cond, uncond]',
        'uint8': 'clip((x+1)/2, 0, 1)·255 truncated (ai-forever ToPILImage convention, spec §3.9)'},
        {'input_ids': ids, 'attention_mask': mask, 'context': trace['context'], 'context_mask': trace['context_mask'],
         'uncond_context': trace['uncond_context'], 'initial_latent': trace['initial_latent'],
         'guided_eps_step_1': trace['guided_eps_step_1'], 'step_noise_1': trace['step_noise_1'],
         'latent_after_step_1': trace['latent_after_step_1'],
         'guided_eps_step_2': trace['guided_eps_step_2'], 'step_noise_2': trace['step_noise_2'],
         'latent_after_step_2': trace['latent_after_step_2'],
         'latent_final': trace['latent_final'], 'decoded': img, 'image_uint8_hwc': world.from_model_range(img)[0]})
    if 'unet_flash' in m:
        g = torch.Generator().manual_seed(seed)
        x0 = P.flash_latents(m['text_encoder'], m['projection_flash'], m['unet_flash'], [prompt], g)
        img = m['movq_decoder'](x0)
        w.pipeline('pipeline-flash', {
            'prompt': prompt, 'seed': seed, 'timesteps': common.FLASH_TIMESTEPS, 'convention': 'A',
            'noise': 'torch.randn([1,4,8,8]) initial x0, then one fresh torch.randn per step, same generator'},
            {'latent_final': x0, 'decoded': img, 'image_uint8_hwc': world.from_model_range(img)[0]})

    # ---------------- IP-Adapter
    if 'unet_ip_adapter' in m:
        folder = os.path.join(export_tiny.MODELS, fam['ip'])
        w = RefWriter(folder)
        tokenizer_fixtures(w)
        text_refs(w, m, [('text_projection', m['projection_ip_adapter'])])
        movq_refs(w, m)
        pix = train.clip_pixels(world.sample_batch(2, world.EVAL_SEED_BASE + 501).images)
        emb = m['image_encoder'](pix)
        w.component('image_encoder', 'image_encoder', {'pixel_values': pix}, {'image_embeds': emb})
        x = unet_inputs()
        x['image_embeds'] = emb
        x['ip_scale'] = torch.tensor(0.75)
        out = m['unet_ip_adapter'](x['sample'], x['timestep'], x['encoder_hidden_states'],
                                   x['encoder_attention_mask'] > 0, x['image_embeds'], x['ip_scale'])
        w.component('unet', 'unet', x, {'noise_pred': out}, 'ip_scale 0.75')
    # ---------------- ControlNet
    if 'unet_controlnet' in m:
        folder = os.path.join(export_tiny.MODELS, fam['controlnet'])
        w = RefWriter(folder)
        tokenizer_fixtures(w)
        text_refs(w, m, [('text_projection', m['projection_controlnet'])])
        movq_refs(w, m)
        src = world.sample_batch(1, world.EVAL_SEED_BASE + 502).images
        image = src.permute(0, 3, 1, 2).float()
        sides = nets.TinyEdgeDetector()(image)
        w.component('hed', 'hed', {'image': image}, {f'side{k + 1}': s for k, s in enumerate(sides)})
        x = unet_inputs()
        x['hint'] = nets.hed_postprocess(sides, (64, 64))
        out = m['unet_controlnet'](x['sample'], x['timestep'], x['encoder_hidden_states'],
                                   x['encoder_attention_mask'] > 0, hint=x['hint'])
        w.component('unet', 'unet', x, {'noise_pred': out}, 'hint batch 1 broadcast over batch 2')
    print('references written')


if __name__ == '__main__':
    main()
