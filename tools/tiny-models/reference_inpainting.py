"""Whole-pipeline inpainting reference for kandinsky3-tiny (spec §4.5), computed with PyTorch,
Pillow, scikit-image and SciPy exactly as ai-forever/Kandinsky-3 kandinsky3/inpainting_pipeline.py
and kandinsky3/utils.py do, on networks rebuilt from the committed ONNX files (onnx_weights.py,
checked against the committed component references first). Writes only
models/tiny/kandinsky3-tiny/reference/pipeline-inpainting.* and prepare-mask.*; the other
references stay as reference.py wrote them.

Usage: /usr/bin/python3 tools/tiny-models/reference_inpainting.py
(needs python3-torch python3-onnx python3-pil python3-skimage python3-scipy)
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage
from skimage.transform import resize as skimage_resize

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import nets  # noqa: E402
import onnx_weights as W  # noqa: E402
import pipelines as P  # noqa: E402
import train  # noqa: E402
import world  # noqa: E402

FOLDER = os.path.normpath(os.path.join(HERE, '..', '..', 'models', 'tiny', 'kandinsky3-tiny'))
REF = os.path.join(FOLDER, 'reference')


def tensor_doc(prefix, name, t):
    t = t.detach().contiguous()
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    dtype = {torch.float32: 'float32', torch.int64: 'int64', torch.uint8: 'uint8'}[t.dtype]
    file = f'{prefix}.{name}.bin'
    t.numpy().astype({'float32': '<f4', 'int64': '<i8', 'uint8': 'u1'}[dtype]).tofile(os.path.join(REF, file))
    return {'dtype': dtype, 'dims': list(t.shape), 'file': file}


def write(name, meta, tensors):
    doc = dict(meta)
    doc['tensors'] = {k: tensor_doc(name, k, v) for k, v in tensors.items()}
    json.dump(doc, open(os.path.join(REF, name + '.json'), 'w'), indent=1)


def load_nets():
    path = lambda role: os.path.join(FOLDER, role, 'model.onnx')  # noqa: E731
    m = {
        'text_encoder': W.load_into(nets.TextEncoder(len(common.TOKENS), train.D), path('text_encoder')),
        'text_projection_inpainting': W.load_into(nets.TextProjection(train.D, train.D), path('text_projection_inpainting')),
        'unet_inpainting': W.load_into(nets.UNet(in_channels=9, **train.UNET_KW), path('unet_inpainting')),
        'movq_encoder': W.load_into(nets.MoVQEncoder(), path('movq_encoder')),
        'movq_decoder': W.load_into(nets.MoVQDecoder(), path('movq_decoder')),
    }
    W.load_null_embedding(m['text_projection_inpainting'], os.path.join(FOLDER, 'text_projection_inpainting'))
    W.check_against_component_references(FOLDER, m, {
        'text_encoder': lambda n, input_ids, attention_mask: n(input_ids, attention_mask),
        'text_projection_inpainting': lambda n, hidden: n(hidden),
        'unet_inpainting': lambda n, sample, timestep, encoder_hidden_states, encoder_attention_mask:
            n(sample, timestep, encoder_hidden_states, encoder_attention_mask > 0),
        'movq_encoder': lambda n, image: n(image),
        'movq_decoder': lambda n, latent: n(latent),
    })
    return m


# kandinsky3/utils.py, verbatim in behaviour (spec §4.5 step 1 and the optional prepare_mask).
def resize_mask_for_diffusion(mask):
    reduce_factor = max(1, (mask.size / 1024 ** 2) ** 0.5)
    return skimage_resize(mask, ((round(mask.shape[0] / reduce_factor) // 64) * 64,
                                 (round(mask.shape[1] / reduce_factor) // 64) * 64),
                          preserve_range=True, anti_aliasing=False)


def resize_image_for_diffusion(image):
    reduce_factor = max(1, (image.size[0] * image.size[1] / 1024 ** 2) ** 0.5)
    return image.resize(((round(image.size[0] / reduce_factor) // 64) * 64,
                         (round(image.size[1] / reduce_factor) // 64) * 64))


def prepare_mask(mask):
    ker = np.array([[1, 1, 1, 1, 1], [1, 5, 5, 5, 1], [1, 5, 44, 5, 1], [1, 5, 5, 5, 1], [1, 1, 1, 1, 1]]) / 100
    out = ndimage.convolve(mask, ker)
    out = ndimage.convolve(out, ker)
    out = ndimage.convolve(out, ker)
    return (out > 0).astype(int)


def to_tensor(array_or_image):
    """torchvision ToTensor: uint8 HWC → float [0, 1] CHW; a float HxW array → [1, H, W] as is."""
    if isinstance(array_or_image, Image.Image):
        a = np.asarray(array_or_image)
        return torch.from_numpy(a.copy()).permute(2, 0, 1).float() / 255
    return torch.from_numpy(np.ascontiguousarray(array_or_image))[None]


@torch.no_grad()
def main():
    m = load_nets()
    scene = world.sample_batch(1, world.EVAL_SEED_BASE + 503, two_shape_probability=0)
    s = scene.scenes[0]
    shape = s.shapes[0]
    colour = [c for c in world.COLOR_NAMES if c not in (s.background, shape.color)][0]
    prompt = f'a {colour} {shape.kind} on a {s.background} background'
    # The input is 96×80 (not a multiple of 64), so the pipeline's own resizing (Pillow bicubic for
    # the image, skimage bilinear for the mask) is part of the reference.
    width, height = 96, 80
    source = Image.fromarray(scene.images[0].numpy()).resize((width, height), Image.NEAREST)
    ys, xs = torch.nonzero(scene.first_mask[0], as_tuple=True)
    user_mask = np.zeros((height, width), dtype=np.float64)
    y0, y1 = int(ys.min() * height / 64) - 4, int((ys.max() + 1) * height / 64) + 4
    x0, x1 = int(xs.min() * width / 64) - 4, int((xs.max() + 1) * width / 64) + 4
    user_mask[max(0, y0):y1, max(0, x0):x1] = 1.0

    # inpainting_pipeline.py prepare_batch / shared_step (spec §4.5 steps 1–5).
    image = to_tensor(resize_image_for_diffusion(source.convert('RGB'))) * 2 - 1
    resized_mask = resize_mask_for_diffusion(user_mask)
    mask = (1 - to_tensor(resized_mask)).type(torch.float32)[None]
    image = image[None]
    masked_image = image.masked_fill((1 - mask).bool(), 0)
    masked_latent = m['movq_encoder'](masked_image)
    latent_mask = F.interpolate(mask, size=(masked_latent.shape[2], masked_latent.shape[3]))

    seed, steps, guidance = 42, 50, 4.0
    g = torch.Generator().manual_seed(seed)
    trace = {}
    z = P.text_to_image_latents(m['text_encoder'], m['text_projection_inpainting'], m['unet_inpainting'], [prompt], g,
                                steps, guidance, 0.95, trace, extra_channels=torch.cat([latent_mask, masked_latent], 1))
    decoded = m['movq_decoder'](z)
    # inpainting_pipeline.py: clip((x + 1)/2, 0, 1), then ToPILImage (x·255 truncated).
    uint8 = torch.clip((decoded + 1.) / 2., 0., 1.).mul(255).byte()[0].permute(1, 2, 0).contiguous()
    ids, attention = common.tokenize_padded([prompt])
    write('pipeline-inpainting', {
        'prompt': prompt, 'seed': seed, 'steps': steps, 'guidance_scale': guidance, 'eta': 1.0,
        'threshold_percentile': 0.95, 'convention': 'A', 'projection': 'text_projection_inpainting',
        'timesteps': common.original_timesteps(steps),
        'image': 'input_image_uint8_hwc: 96×80 RGB; input_mask: float32 [80, 96], 1 = repaint',
        'resize': 'Pillow Image.resize default (bicubic) for the image, skimage resize(preserve_range=True, '
                  'anti_aliasing=False) for the mask, to ⌊round(side / r) / 64⌋·64 with r = max(1, √(W·H / 1024²))',
        'mask': 'mask_keep = 1 − resized mask (float32); masked_image = image where mask_keep == 1 else 0; '
                'latent_mask = F.interpolate(mask_keep, latent size) (nearest)',
        'unet_input': 'cat([x_t, latent_mask, masked_latent], channels) (9), duplicated for CFG',
        'noise': 'torch.Generator().manual_seed(seed): torch.randn([1,4,8,8]) initial latent, then one per step '
                 '(none at t_prev = 0)',
        'cfg': '(w+1)·cond − w·uncond, UNet batch [cond, uncond], uncond = null embedding of text_projection_inpainting',
        'uint8': 'clip((x+1)/2, 0, 1)·255 truncated (ToPILImage), no compositing of kept pixels (spec §4.5 step 8)',
        'made_by': 'tools/tiny-models/reference_inpainting.py'},
        {'input_image_uint8_hwc': torch.from_numpy(np.asarray(source).copy()),
         'input_mask': torch.from_numpy(user_mask.astype(np.float32)),
         'input_ids': ids, 'attention_mask': attention,
         'resized_image': image, 'resized_mask': torch.from_numpy(resized_mask.astype(np.float32)),
         'mask_keep': mask, 'masked_image': masked_image, 'masked_latent': masked_latent, 'latent_mask': latent_mask,
         'context': trace['context'], 'uncond_context': trace['uncond_context'],
         'initial_latent': trace['initial_latent'], 'guided_eps_step_1': trace['guided_eps_step_1'],
         'latent_after_step_1': trace['latent_after_step_1'], 'latent_after_step_2': trace['latent_after_step_2'],
         'latent_final': z, 'decoded': decoded, 'image_uint8_hwc': uint8})

    # prepare_mask (utils.py) on a float mask with a fractional value, a lone pixel and the border.
    small = np.zeros((20, 24), dtype=np.float64)
    small[0, 0] = 1.0
    small[10, 12] = 0.3
    small[19, 5:8] = 1.0
    small[4:6, 23] = 0.05
    write('prepare-mask', {
        'note': 'kandinsky3/utils.py prepare_mask on a float64 mask: three ndimage.convolve (reflect) with the '
                '5×5 centre-weighted kernel / 100, then > 0',
        'made_by': 'tools/tiny-models/reference_inpainting.py'},
        {'input': torch.from_numpy(small.astype(np.float32)),
         'output': torch.from_numpy(prepare_mask(small).astype(np.uint8)),
         'input_large': torch.from_numpy(user_mask.astype(np.float32)),
         'output_large': torch.from_numpy(prepare_mask(user_mask).astype(np.uint8))})
    print('prompt', prompt, 'mask box', (x0, y0, x1, y1))
    print('inpainting reference written')


if __name__ == '__main__':
    main()
