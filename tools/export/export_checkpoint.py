"""Export REAL Kandinsky 3.1 checkpoints into a docs/model-format.md folder.

NOT EXERCISED HERE: no real weights and no network on the machine where this was written.
The adapters below follow the published code (ai-forever/Kandinsky-3 kandinsky3/__init__.py,
model/unet.py, movq.py; huggingface/diffusers unet_kandinsky3.py, vq_model.py) but have not been
run end to end. Read tools/export/README.md first.

  python3 tools/export/export_checkpoint.py original --kandinsky3-repo /path/to/Kandinsky-3 \
      --unet /weights/kandinsky3.1/unet --flash-unet ... --movq /weights/movq.pt \
      --t5 /weights/flan_ul2_encoder --out models/kandinsky3.1 [--fp16] [--device cuda]
  python3 tools/export/export_checkpoint.py diffusers --repo /path/to/kandinsky-community--kandinsky-3 \
      --out models/kandinsky3-diffusers [--fp16] [--device cuda]
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from export import export_component, write_f32_bin, write_json, write_model_index  # noqa: E402

D_REAL = 4096


def unet_example(device, in_channels=4, length=8):
    mask = torch.ones(2, length, dtype=torch.int64, device=device)
    mask[1, 5:] = 0
    return [torch.randn(2, in_channels, 16, 16, device=device), torch.tensor([999.0, 500.0], device=device),
            torch.randn(2, length, D_REAL, device=device), mask]


def text_encoder_call(net, input_ids, attention_mask):
    # transformers T5EncoderModel; fp16 T5 overflows without HF's clamps (spec §2.2) — export fp32
    # or keep transformers' fp16 clamping code in the traced graph.
    return net(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def original_unet_call(net, sample, timestep, encoder_hidden_states, encoder_attention_mask):
    # ai-forever UNet.forward(x, time, context, context_mask); the mask is used as a boolean.
    return net(sample, timestep, encoder_hidden_states, encoder_attention_mask.bool())


def diffusers_unet_call(net, sample, timestep, encoder_hidden_states, encoder_attention_mask):
    # Kandinsky3UNet.forward(sample, timestep, encoder_hidden_states, encoder_attention_mask);
    # includes encoder_hid_proj → convention B.
    return net(sample, timestep, encoder_hidden_states=encoder_hidden_states,
               encoder_attention_mask=encoder_attention_mask, return_dict=False)[0]


class MovqEncode(torch.nn.Module):
    def __init__(self, movq, diffusers):
        super().__init__()
        self.movq, self.diffusers = movq, diffusers

    def forward(self, image):
        if self.diffusers:  # VQModel.encode → latents before quantisation (spec §2.6)
            return self.movq.encode(image).latents
        return self.movq.quant_conv(self.movq.encoder(image))


class MovqDecode(torch.nn.Module):
    def __init__(self, movq, diffusers):
        super().__init__()
        self.movq, self.diffusers = movq, diffusers

    def forward(self, latent):
        if self.diffusers:
            return self.movq.decode(latent, force_not_quantize=True).sample
        return self.movq.decoder(self.movq.post_quant_conv(latent), latent)


def export_movq(movq, out, device, diffusers):
    export_component('movq_encoder', MovqEncode(movq, diffusers), os.path.join(out, 'movq_encoder'),
                     [torch.randn(1, 3, 128, 128, device=device)],
                     {'latent_channels': 4, 'scale_factor': 8, 'image_range': [-1, 1]})
    export_component('movq_decoder', MovqDecode(movq, diffusers), os.path.join(out, 'movq_decoder'),
                     [torch.randn(1, 4, 16, 16, device=device)],
                     {'latent_channels': 4, 'scale_factor': 8, 'image_range': [-1, 1]})


def unet_config(variant, in_channels, includes_projection):
    return {'variant': variant, 'in_channels': in_channels, 'out_channels': 4, 'context_dim': D_REAL,
            'latent_channels': 4, 'latent_multiple': 8, 'prediction_type': 'epsilon',
            'includes_projection': includes_projection}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('layout', choices=['original', 'diffusers'])
    ap.add_argument('--out', required=True)
    ap.add_argument('--fp16', action='store_true', help='fp16 compute inside, fp32 boundary (trace on CUDA)')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--kandinsky3-repo', help='checkout of ai-forever/Kandinsky-3 (original layout)')
    ap.add_argument('--unet'), ap.add_argument('--flash-unet'), ap.add_argument('--inpainting-unet')
    ap.add_argument('--inpainting-config'), ap.add_argument('--movq'), ap.add_argument('--t5')
    ap.add_argument('--repo', help='local snapshot of kandinsky-community/kandinsky-3 (diffusers layout)')
    a = ap.parse_args()
    dev = torch.device(a.device)
    comps = {}
    from transformers import T5EncoderModel  # noqa: WPS433 (only available where real weights are)
    if a.layout == 'original':
        sys.path.insert(0, a.kandinsky3_repo)
        import kandinsky3 as k3  # noqa: E402
        t5 = T5EncoderModel.from_pretrained(a.t5).eval().to(dev)
        ids = torch.zeros(1, 128, dtype=torch.int64, device=dev)
        export_component('text_encoder', t5, os.path.join(a.out, 'text_encoder'), [ids, torch.ones_like(ids)],
                         {'hidden_size': D_REAL, 'max_length': 128, 'vocab_size': 32128}, call=text_encoder_call,
                         fp16=a.fp16)
        comps['text_encoder'] = 'text_encoder'
        for role, path, variant, ch in [('unet', a.unet, 'base', 4), ('unet_flash', a.flash_unet, 'flash', 4),
                                        ('unet_inpainting', a.inpainting_unet, 'inpainting', 9)]:
            if not path:
                continue
            if variant == 'inpainting':
                _, unet, null, proj_sd = k3.get_inpainting_unet(dev, a.inpainting_config, path)
            else:
                unet, null, proj_sd = k3.get_T2I_unet(dev, path)
            export_component('unet', unet, os.path.join(a.out, role), unet_example(dev, ch),
                             unet_config(variant, ch, False), call=original_unet_call, fp16=a.fp16)
            # Projection = Linear(4096→4096, no bias) + LayerNorm (spec §2.3); the state-dict keys
            # are taken in order (weight, ln.weight, ln.bias) — check them on the real file.
            proj = torch.nn.Sequential(torch.nn.Linear(D_REAL, D_REAL, bias=False), torch.nn.LayerNorm(D_REAL))
            values = [v for k, v in proj_sd.items()]
            proj[0].weight.data.copy_(values[0])
            proj[1].weight.data.copy_(values[1])
            proj[1].bias.data.copy_(values[2])
            prole = role.replace('unet', 'text_projection')
            export_component('text_projection', proj.to(dev), os.path.join(a.out, prole),
                             [torch.randn(1, 8, D_REAL, device=dev)],
                             {'input_dim': D_REAL, 'context_dim': D_REAL, 'null_embedding': 'null_embedding.bin'})
            write_f32_bin(os.path.join(a.out, prole, 'null_embedding.bin'), null)
            comps[role], comps[prole] = role, prole
        export_movq(k3.get_movq(dev, a.movq), a.out, dev, diffusers=False)
        convention, cls = 'A', 'Kandinsky3Pipeline'
    else:
        from diffusers import Kandinsky3UNet, VQModel  # noqa: E402
        t5 = T5EncoderModel.from_pretrained(a.repo, subfolder='text_encoder').eval().to(dev)
        ids = torch.zeros(1, 128, dtype=torch.int64, device=dev)
        export_component('text_encoder', t5, os.path.join(a.out, 'text_encoder'), [ids, torch.ones_like(ids)],
                         {'hidden_size': D_REAL, 'max_length': 128, 'vocab_size': 32128}, call=text_encoder_call,
                         fp16=a.fp16)
        unet = Kandinsky3UNet.from_pretrained(a.repo, subfolder='unet').eval().to(dev)
        export_component('unet', unet, os.path.join(a.out, 'unet'), unet_example(dev), unet_config('base', 4, True),
                         call=diffusers_unet_call, fp16=a.fp16)
        export_movq(VQModel.from_pretrained(a.repo, subfolder='movq').eval().to(dev), a.out, dev, diffusers=True)
        comps.update({'text_encoder': 'text_encoder', 'unet': 'unet'})
        convention, cls = 'B', 'Kandinsky3Pipeline'
    comps.update({'tokenizer': 'tokenizer', 'movq_encoder': 'movq_encoder', 'movq_decoder': 'movq_decoder',
                  'scheduler': 'scheduler'})
    write_model_index(a.out, cls, convention, {'name': os.path.basename(a.out), 'family': 'kandinsky-3.1',
                                               'tiny': False, 'source': a.layout}, comps)
    print('copy tokenizer.json / tokenizer_config.json of the T5 tokenizer into', os.path.join(a.out, 'tokenizer'),
          'and write scheduler/ (see tools/export/README.md)')


if __name__ == '__main__':
    main()
