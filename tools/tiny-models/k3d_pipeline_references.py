"""Whole-pipeline PyTorch references for the two convention-C tiny folders (IP-Adapter, ControlNet
v1), written next to their component references (docs/model-format.md §7):

  models/tiny/kandinsky3-tiny-ip-adapter/reference/pipeline-ip-{variation,mix,image-and-text}.json
  models/tiny/kandinsky3-tiny-controlnet-hed/reference/pipeline-controlnet-hed.json

The training checkpoints (.cache/*.pt) are not committed, so the PyTorch nets of nets.py are
rebuilt from the committed ONNX files: a twin of each net with unique random weights is exported
the way export_tiny.py exports it, every initializer of that twin is matched to the parameter it
came from (by value, possibly transposed or reshaped by the exporter), and the committed file's
initializer of the same name is loaded into that parameter. Each rebuilt net must then reproduce
the folder's committed component reference (reference/<role>.json) before anything is written.

The pipelines themselves are pipelines.py's (spec §4.6, §4.7, §3.3), unchanged.
Usage: /usr/bin/python3 tools/tiny-models/k3d_pipeline_references.py
"""
from __future__ import annotations

import json
import os
import sys
import tempfile

import numpy as np
import torch

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import common  # noqa: E402
import nets  # noqa: E402
import pipelines as P  # noqa: E402
import train  # noqa: E402
import world  # noqa: E402
from export.contract import SPECS, ContractWrapper, _default_call, export_onnx  # noqa: E402

D = train.D
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
IP = os.path.join(ROOT, 'models', 'tiny', 'kandinsky3-tiny-ip-adapter')
CONTROLNET = os.path.join(ROOT, 'models', 'tiny', 'kandinsky3-tiny-controlnet-hed')


def onnx_initializers(path):
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    return {i.name.removesuffix('__fp16'): numpy_helper.to_array(i).astype(np.float32) for i in model.graph.initializer}


@torch.no_grad()
def load_from_onnx(net, kind, example, path, unused=()):
    """Loads the weights of the committed ONNX file `path` into `net` (see the module docstring);
    `unused` names parameters that the exported graph does not use."""
    net.eval()
    generator = torch.Generator().manual_seed(1234)
    for p in net.parameters():
        p.copy_(torch.randn(p.shape, generator=generator) * 0.05)
    with tempfile.TemporaryDirectory() as tmp:
        twin_path = os.path.join(tmp, 'model.onnx')
        export_onnx(ContractWrapper(net, SPECS[kind], _default_call(kind)), example, twin_path)
        twin = onnx_initializers(twin_path)
    committed = onnx_initializers(path)
    params = dict(net.named_parameters())
    loaded = set()
    for name, value in twin.items():
        if name not in committed:
            raise ValueError(f'{path}: initializer {name} of the re-export is not in the committed file')
        source = torch.from_numpy(committed[name])
        flat = torch.from_numpy(value).flatten()
        match = None
        for key, p in params.items():
            if p.numel() != flat.numel():
                continue
            if torch.equal(p.flatten(), flat):
                match = (key, source.reshape(p.shape))
            elif p.dim() == 2 and torch.equal(p.t().flatten(), flat):
                match = (key, source.reshape(p.t().shape).t())
            if match:
                break
        if match is None:
            continue  # a constant of the graph (sinusoid frequencies, Sobel kernels), not a parameter
        params[match[0]].copy_(match[1])
        loaded.add(match[0])
    missing = sorted(set(params) - loaded - set(unused))
    if missing:
        raise ValueError(f'{path}: parameters without an initializer: {missing[:8]}')
    return net


def read_tensor(folder, ref):
    dtype = {'float32': '<f4', 'int64': '<i8', 'uint8': 'u1'}[ref['dtype']]
    data = np.fromfile(os.path.join(folder, 'reference', ref['file']), dtype=dtype).reshape(ref['dims'])
    return torch.from_numpy(data.copy())


@torch.no_grad()
def check_component(folder, name, run, tolerance=2e-5):
    """The rebuilt net must reproduce the committed component reference `name`.json."""
    doc = json.load(open(os.path.join(folder, 'reference', name + '.json')))
    inputs = {k: read_tensor(folder, v) for k, v in doc['inputs'].items()}
    outputs = run(**inputs)
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    for (key, ref), out in zip(doc['outputs'].items(), outputs):
        error = float((out - read_tensor(folder, ref)).abs().max())
        print(f'  {os.path.basename(folder)} {name}.{key}: max |Δ| {error:.2e}')
        if error > tolerance:
            raise ValueError(f'{name}.{key} differs from the committed reference by {error}')


def unet_example(*extra):
    mask = torch.ones(2, 7, dtype=torch.int64)
    mask[1, 4:] = 0
    return [torch.randn(2, 4, 8, 8), torch.tensor([999.0, 500.0]), torch.randn(2, 7, D), mask, *extra]


def load_shared(folder):
    te = load_from_onnx(nets.TextEncoder(len(common.TOKENS), D), 'text_encoder',
                        list(common.tokenize_padded(['a red circle on a white background'])),
                        os.path.join(folder, 'text_encoder', 'model.onnx'))
    proj = load_from_onnx(nets.TextProjection(D, D), 'text_projection', [torch.randn(1, 7, D)],
                          os.path.join(folder, 'text_projection', 'model.onnx'), unused=('null_embedding',))
    dec = load_from_onnx(nets.MoVQDecoder(), 'movq_decoder', [torch.randn(1, 4, 8, 8)],
                         os.path.join(folder, 'movq_decoder', 'model.onnx'))
    check_component(folder, 'text_encoder', lambda input_ids, attention_mask: te(input_ids, attention_mask))
    check_component(folder, 'text_projection', lambda hidden: proj(hidden))
    check_component(folder, 'movq_decoder', lambda latent: dec(latent))
    return te, proj, dec


def to_uint8_rounded(decoded):
    """diffusers' post-processing, which the K3D pipelines use (spec §4.6 step 6, §3.9):
    x·0.5 + 0.5, clamp to [0, 1], ×255, round."""
    return ((decoded * 0.5 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()


class Writer:
    def __init__(self, folder):
        self.dir = os.path.join(folder, 'reference')

    def tensor(self, prefix, name, t):
        t = t.detach().contiguous()
        if t.dtype == torch.bool:
            t = t.to(torch.int64)
        dtype = {torch.float32: 'float32', torch.int64: 'int64', torch.uint8: 'uint8'}[t.dtype]
        file = f'{prefix}.{name}.bin'
        t.numpy().astype({'float32': '<f4', 'int64': '<i8', 'uint8': 'u1'}[dtype]).tofile(os.path.join(self.dir, file))
        return {'dtype': dtype, 'dims': list(t.shape), 'file': file}

    def pipeline(self, name, meta, tensors):
        doc = dict(meta)
        doc['tensors'] = {k: self.tensor(name, k, v) for k, v in tensors.items()}
        with open(os.path.join(self.dir, name + '.json'), 'w') as f:
            json.dump(doc, f, indent=1)
            f.write('\n')
        print(f'  wrote {name}.json')


def scene(kind, color, background='white', cx=32, cy=32, radius=14):
    return world.render([world.Scene(background, [world.Shape(kind, color, cx, cy, radius)])]).images


NOTE_DDPM = ('diffusers DDPMScheduler of scheduler/scheduler_config.json (spec §3.3); '
             'torch.Generator().manual_seed(seed): torch.randn([1,4,8,8]) for the initial latent, then one '
             'torch.randn([1,4,8,8]) per step except the last (t = 1 → −1)')
NOTE_CFG = 'ε = ε_u + (w+1)·(ε_c − ε_u), UNet batch [uncond, cond] (spec §3.8)'
NOTE_UINT8 = 'clamp(x·0.5 + 0.5, 0, 1)·255 rounded (diffusers, spec §3.9)'


@torch.no_grad()
def ip_references():
    folder = IP
    te, proj, dec = load_shared(folder)
    unet = load_from_onnx(nets.UNet(ip=True, image_embed_dim=D, **train.UNET_KW), 'unet_ip_adapter',
                          unet_example(torch.randn(2, D), torch.tensor(1.0)), os.path.join(folder, 'unet', 'model.onnx'))
    encoder = load_from_onnx(nets.ImageEncoder(D), 'image_encoder', [torch.randn(1, 3, 64, 64)],
                             os.path.join(folder, 'image_encoder', 'model.onnx'))
    check_component(folder, 'unet', lambda sample, timestep, encoder_hidden_states, encoder_attention_mask, image_embeds,
                    ip_scale: unet(sample, timestep, encoder_hidden_states, encoder_attention_mask > 0, image_embeds, ip_scale))
    check_component(folder, 'image_encoder', lambda pixel_values: encoder(pixel_values))
    writer = Writer(folder)
    uncond_embeds = encoder(torch.zeros(1, 3, 64, 64))
    cases = [
        # (name, images, weights, prompt, ip_scale, seed)
        ('pipeline-ip-variation', [scene('circle', 'red')], [1.0], '', 1.0, 7),
        ('pipeline-ip-mix', [scene('circle', 'red'), scene('square', 'blue', radius=12)], [0.5, 0.5], '', 1.0, 8),
        ('pipeline-ip-image-and-text', [scene('circle', 'red')], [1.0], 'a blue square on a black background', 0.5, 9),
    ]
    steps, guidance = 25, 3.0
    for name, images, weights, prompt, ip_scale, seed in cases:
        pixels = [train.clip_pixels(img) for img in images]
        embeds = [encoder(p) for p in pixels]
        mixed = sum(w * e for w, e in zip(weights, embeds))
        g = torch.Generator().manual_seed(seed)
        trace_noise = torch.Generator().manual_seed(seed)
        latent = P.ip_adapter_latents(te, proj, unet, encoder, [prompt], mixed, g, steps, guidance, ip_scale)
        decoded = dec(latent)
        tensors = {f'image_{i}_uint8_hwc': img[0] for i, img in enumerate(images)}
        tensors.update({f'pixel_values_{i}': p for i, p in enumerate(pixels)})
        tensors.update({'image_embeds': mixed, 'uncond_image_embeds': uncond_embeds,
                        'initial_latent': torch.randn((1, 4, 8, 8), generator=trace_noise),
                        'latent_final': latent, 'decoded': decoded, 'image_uint8_hwc': to_uint8_rounded(decoded)[0]})
        if prompt != '':
            ctx, mask = common.encode_convention_c(te, proj, [prompt], 'bias')
            u, um = common.empty_context_c(te, proj, 1, ctx.shape[1], 'zero')
            tensors.update({'context': ctx, 'context_mask': mask, 'uncond_context': u, 'uncond_context_mask': um})
        writer.pipeline(name, {
            'pipeline': 'IP-Adapter (spec §4.6, convention C as the K3D IP pipeline: positive cut + projected with '
                        'LayerNorm-bias pad rows; negative "" encoded, projected, pad rows zeroed; prompt "" ⇒ '
                        'all-zero positive context and mask of length 2)',
            'prompt': prompt, 'negative_prompt': '', 'weights': weights, 'ip_scale': ip_scale, 'seed': seed,
            'steps': steps, 'guidance_scale': guidance, 'timesteps': P.ddpm_timesteps(steps),
            'image_preprocessing': 'uint8 HWC / 255, CLIP mean/std (64×64 images: the resize and crop are identities)',
            'uncond_image_embeds': 'image_encoder of all-zero pixel_values [1,3,64,64] (spec §4.6 step 3)',
            'noise': NOTE_DDPM, 'cfg': NOTE_CFG, 'uint8': NOTE_UINT8}, tensors)


@torch.no_grad()
def controlnet_references():
    folder = CONTROLNET
    te, proj, dec = load_shared(folder)
    unet = load_from_onnx(nets.UNet(hint=True, **train.UNET_KW), 'unet_controlnet_hed',
                          unet_example(torch.rand(1, 3, 64, 64)), os.path.join(folder, 'unet', 'model.onnx'))
    check_component(folder, 'unet', lambda sample, timestep, encoder_hidden_states, encoder_attention_mask, hint:
                    unet(sample, timestep, encoder_hidden_states, encoder_attention_mask > 0, hint=hint))
    detector = nets.TinyEdgeDetector()
    check_component(folder, 'hed', lambda image: detector(image))
    writer = Writer(folder)
    steps, guidance = 25, 3.0
    prompt, seed = 'a green square on a white background', 11
    source = world.render([world.Scene('black', [world.Shape('triangle', 'yellow', 30, 34, 15)])]).images
    sides = detector(source.permute(0, 3, 1, 2).float())
    hint = nets.hed_postprocess(sides, (64, 64))
    g = torch.Generator().manual_seed(seed)
    latent = P.controlnet_latents(te, proj, unet, [prompt], hint, g, steps, guidance)
    decoded = dec(latent)
    ctx, mask = common.encode_convention_c(te, proj, [prompt], 'bias')
    u, um = common.empty_context_c(te, proj, 1, ctx.shape[1], 'bias')
    writer.pipeline('pipeline-controlnet-hed', {
        'pipeline': 'ControlNet v1 with the folder\'s edge detector (spec §4.7, §2.9; convention C as the K3D '
                    'ControlNet pipeline: positive and negative "" cut + projected with LayerNorm-bias pad rows)',
        'prompt': prompt, 'negative_prompt': '', 'seed': seed, 'steps': steps, 'guidance_scale': guidance,
        'timesteps': P.ddpm_timesteps(steps),
        'hint': 'hed sides resized bilinearly to 64×64 (align_corners false), averaged, sigmoid, ×255, truncated to '
                'uint8, /255, replicated to 3 channels (nets.hed_postprocess); fed with the CFG batch [hint, hint]',
        'noise': NOTE_DDPM, 'cfg': NOTE_CFG, 'uint8': NOTE_UINT8}, {
        'image_uint8_hwc_source': source[0], 'hint': hint, 'context': ctx, 'context_mask': mask,
        'uncond_context': u, 'uncond_context_mask': um, 'latent_final': latent, 'decoded': decoded,
        'image_uint8_hwc': to_uint8_rounded(decoded)[0]})


if __name__ == '__main__':
    ip_references()
    controlnet_references()
