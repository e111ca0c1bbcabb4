"""Export the trained tiny checkpoints (.cache/*.pt) into models/tiny/<family>/ folders that obey
docs/model-format.md. Usage: /usr/bin/python3 export_tiny.py"""
from __future__ import annotations

import json
import os
import shutil
import sys

import torch

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import common  # noqa: E402
import nets  # noqa: E402
import train  # noqa: E402
from export import export_component as _export_component, round_weights_fp16, write_f32_bin, write_json, write_model_index  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
MODELS = os.environ.get('TINY_MODELS', os.path.join(ROOT, 'models', 'tiny'))
D = train.D
FAMILIES = {
    'base': 'kandinsky3-tiny',
    'ip': 'kandinsky3-tiny-ip-adapter',
    'controlnet': 'kandinsky3-tiny-controlnet-hed',
}

DDPM_CONFIG = {  # spec §3.3, verbatim keys of kandinsky-community/kandinsky-3 scheduler_config.json
    '_class_name': 'DDPMScheduler', 'num_train_timesteps': 1000, 'beta_schedule': 'squaredcos_cap_v2',
    'beta_start': 0.00085, 'beta_end': 0.012, 'clip_sample': True, 'set_alpha_to_one': False,
    'steps_offset': 1, 'prediction_type': 'epsilon', 'thresholding': False,
}
SAMPLER_CONFIG = {  # spec §3.2, §3.5, §4.2, §4.5
    '_class_name': 'Kandinsky3OriginalSampler', 'num_train_timesteps': 1000, 'beta_schedule': 'squaredcos_cap_v2',
    'text_to_image': {'steps': 50, 'eta': 1.0, 'threshold_percentile': 0.99, 'guidance_scale': 3.0},
    'inpainting': {'steps': 50, 'eta': 1.0, 'threshold_percentile': 0.95, 'guidance_scale': 4.0},
    'flash': {'timesteps': common.FLASH_TIMESTEPS},
}


def export_component(*args, **kwargs):
    """Every tiny component stores its weights as float16 (compute stays float32) to halve the
    committed size; load_all() rounds the torch weights identically, so references match."""
    return _export_component(*args, weights_fp16=True, **kwargs)


def load_all():
    te, proj, unet = train.load_base()
    out = {'text_encoder': te, 'projection': proj, 'unet': unet}
    mv = train.load('movq')
    enc, dec = nets.MoVQEncoder(), nets.MoVQDecoder()
    enc.load_state_dict(mv['encoder'])
    dec.load_state_dict(mv['decoder'])
    out['movq_encoder'], out['movq_decoder'] = enc, dec
    for stage, kw in [('flash', {}), ('inpainting', {'in_channels': 9}), ('ip_adapter', {'ip': True, 'image_embed_dim': D}),
                      ('controlnet', {'hint': True})]:
        if not train.done(stage):
            continue
        ck = train.load(stage)
        p = nets.TextProjection(D, D)
        p.load_state_dict(ck['projection'])
        u = nets.UNet(**kw, **train.UNET_KW)
        u.load_state_dict(ck['unet'])
        out['projection_' + stage], out['unet_' + stage] = p, u
        if stage == 'ip_adapter':
            ie = nets.ImageEncoder(D)
            ie.load_state_dict(ck['image_encoder'])
            out['image_encoder'] = ie
    for m in out.values():
        m.eval()
        round_weights_fp16(m)
    return out


def unet_config(variant, in_channels=4, **extra):
    cfg = {'kind': 'unet', 'variant': variant, 'in_channels': in_channels, 'out_channels': 4, 'context_dim': D,
           'latent_channels': 4, 'latent_multiple': 4, 'prediction_type': 'epsilon', 'includes_projection': False,
           'default_image_size': 64,
           'channels': list(train.UNET_KW['channels']), 'time_embed_dim': train.UNET_KW['time_dim']}
    cfg.update(extra)
    return cfg


def example_unet(in_channels=4, b=2, length=7):
    mask = torch.ones(b, length, dtype=torch.int64)
    mask[1, 4:] = 0
    return [torch.randn(b, in_channels, 8, 8), torch.tensor([999.0, 500.0][:b]), torch.randn(b, length, D), mask]


def export_text(folder, m, projection_roles):
    tok = os.path.join(folder, 'tokenizer')
    write_json(os.path.join(tok, 'tokenizer.json'), common.tokenizer_json())
    write_json(os.path.join(tok, 'tokenizer_config.json'), common.tokenizer_config())
    ids, mask = common.tokenize_padded(['a red circle on a white background'])
    export_component('text_encoder', m['text_encoder'], os.path.join(folder, 'text_encoder'), [ids, mask],
                     {'hidden_size': D, 'max_length': common.MAX_LENGTH, 'vocab_size': len(common.TOKENS),
                      'pad_token_id': common.PAD, 'eos_token_id': common.EOS, 'unk_token_id': common.UNK})
    for role, proj, with_null in projection_roles:
        sub = os.path.join(folder, role)
        cfg = {'input_dim': D, 'context_dim': D}
        if with_null:
            write_f32_bin(os.path.join(sub, 'null_embedding.bin'), proj.null_embedding)
            cfg['null_embedding'] = 'null_embedding.bin'
        export_component('text_projection', proj, sub, [torch.randn(1, 7, D)], cfg)


def export_movq(folder, m):
    export_component('movq_encoder', m['movq_encoder'], os.path.join(folder, 'movq_encoder'), [torch.randn(1, 3, 64, 64)],
                     {'latent_channels': 4, 'scale_factor': 8, 'image_range': [-1, 1], 'latent_range': [-1, 1]})
    export_component('movq_decoder', m['movq_decoder'], os.path.join(folder, 'movq_decoder'), [torch.randn(1, 4, 8, 8)],
                     {'latent_channels': 4, 'scale_factor': 8, 'image_range': [-1, 1]})


def export_scheduler(folder, original: bool):
    write_json(os.path.join(folder, 'scheduler', 'scheduler_config.json'), DDPM_CONFIG)
    if original:
        write_json(os.path.join(folder, 'scheduler', 'sampler_config.json'), SAMPLER_CONFIG)


def fresh(folder):
    keep = os.path.join(folder, 'README.md')
    card = open(keep).read() if os.path.exists(keep) else None
    ref = os.path.join(folder, 'reference')
    for name in os.listdir(folder) if os.path.exists(folder) else []:
        if name not in ('README.md', 'reference'):
            p = os.path.join(folder, name)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    os.makedirs(folder, exist_ok=True)
    return card


def main():
    m = load_all()
    # ---- kandinsky3-tiny: base, Flash, inpainting (convention A)
    folder = os.path.join(MODELS, FAMILIES['base'])
    fresh(folder)
    roles = [('text_projection', m['projection'], True)]
    if 'unet_flash' in m:
        roles.append(('text_projection_flash', m['projection_flash'], True))
    if 'unet_inpainting' in m:
        roles.append(('text_projection_inpainting', m['projection_inpainting'], True))
    export_text(folder, m, roles)
    export_component('unet', m['unet'], os.path.join(folder, 'unet'), example_unet(), unet_config('base'))
    comps = {'tokenizer': 'tokenizer', 'text_encoder': 'text_encoder'}
    comps.update({r: r for r, _, _ in roles})
    comps['unet'] = 'unet'
    if 'unet_flash' in m:
        export_component('unet', m['unet_flash'], os.path.join(folder, 'unet_flash'), example_unet(), unet_config('flash'))
        comps['unet_flash'] = 'unet_flash'
    if 'unet_inpainting' in m:
        export_component('unet', m['unet_inpainting'], os.path.join(folder, 'unet_inpainting'), example_unet(9),
                         unet_config('inpainting', 9))
        comps['unet_inpainting'] = 'unet_inpainting'
    export_movq(folder, m)
    export_scheduler(folder, True)
    comps.update({'movq_encoder': 'movq_encoder', 'movq_decoder': 'movq_decoder', 'scheduler': 'scheduler'})
    write_model_index(folder, 'Kandinsky3Pipeline', 'A',
                      {'name': FAMILIES['base'], 'family': 'kandinsky-3.1', 'tiny': True,
                       'source': 'trained from scratch by tools/tiny-models'}, comps)

    # ---- IP-Adapter folder (convention C)
    if 'unet_ip_adapter' in m:
        folder = os.path.join(MODELS, FAMILIES['ip'])
        fresh(folder)
        export_text(folder, m, [('text_projection', m['projection_ip_adapter'], False)])
        ex = example_unet() + [torch.randn(2, D), torch.tensor(1.0)]
        export_component('unet_ip_adapter', m['unet_ip_adapter'], os.path.join(folder, 'unet'), ex,
                         unet_config('ip_adapter', image_embed_dim=D, ip_tokens=4))
        sub = os.path.join(folder, 'image_encoder')
        export_component('image_encoder', m['image_encoder'], sub, [torch.randn(1, 3, 64, 64)],
                         {'image_size': 64, 'embed_dim': D, 'normalized_output': False})
        write_json(os.path.join(sub, 'preprocessor_config.json'), {
            'crop_size': {'height': 64, 'width': 64}, 'do_center_crop': True, 'do_convert_rgb': True,
            'do_normalize': True, 'do_rescale': True, 'do_resize': True,
            'image_mean': [0.48145466, 0.4578275, 0.40821073], 'image_std': [0.26862954, 0.26130258, 0.27577711],
            'resample': 3, 'rescale_factor': 1 / 255, 'size': {'shortest_edge': 64},
            'image_processor_type': 'CLIPImageProcessor'})
        export_movq(folder, m)
        export_scheduler(folder, False)
        write_model_index(folder, 'Kandinsky3IpAdapterPipeline', 'C',
                          {'name': FAMILIES['ip'], 'family': 'kandinsky-3.1-k3d', 'tiny': True,
                           'source': 'trained from scratch by tools/tiny-models'},
                          {'tokenizer': 'tokenizer', 'text_encoder': 'text_encoder', 'text_projection': 'text_projection',
                           'unet': 'unet', 'image_encoder': 'image_encoder', 'movq_encoder': 'movq_encoder',
                           'movq_decoder': 'movq_decoder', 'scheduler': 'scheduler'})

    # ---- ControlNet HED folder (convention C)
    if 'unet_controlnet' in m:
        folder = os.path.join(MODELS, FAMILIES['controlnet'])
        fresh(folder)
        export_text(folder, m, [('text_projection', m['projection_controlnet'], False)])
        ex = example_unet() + [torch.rand(1, 3, 64, 64)]
        export_component('unet_controlnet_hed', m['unet_controlnet'], os.path.join(folder, 'unet'), ex,
                         unet_config('controlnet_hed', hint_channels=3, hint_range=[0, 1]))
        export_component('edge_detector', nets.TinyEdgeDetector(), os.path.join(folder, 'hed'),
                         [torch.rand(1, 3, 64, 64) * 255],
                         {'style': 'hed-interface-sobel', 'detect_resolution': 64, 'input_range': [0, 255],
                          'trained': False})
        export_movq(folder, m)
        export_scheduler(folder, False)
        write_model_index(folder, 'Kandinsky3ControlnetPipeline', 'C',
                          {'name': FAMILIES['controlnet'], 'family': 'kandinsky-3.1-k3d', 'tiny': True,
                           'source': 'trained from scratch by tools/tiny-models'},
                          {'tokenizer': 'tokenizer', 'text_encoder': 'text_encoder', 'text_projection': 'text_projection',
                           'unet': 'unet', 'hed': 'hed', 'movq_encoder': 'movq_encoder',
                           'movq_decoder': 'movq_decoder', 'scheduler': 'scheduler'})
    print('exported', sorted(m))


if __name__ == '__main__':
    main()
