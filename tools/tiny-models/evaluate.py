"""Measure the tiny models' quality (issue 3) on held-out scenes (world.EVAL_SEED_BASE) and write
.cache/eval.json (the model cards quote it). Usage: /usr/bin/python3 evaluate.py [--quick]
--base-flash: only the MoVQ, base and Flash measures, written to .cache/eval-base-flash.json (a quick
check after retraining; eval.json and the contact sheets are left alone).
--spread: base and Flash on five more sets of 100 held-out prompts and noise seeds, written to
.cache/eval-spread.json: how far the text → image rates move when only the sample changes."""
from __future__ import annotations

import json
import os
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import export_tiny  # noqa: E402
import nets  # noqa: E402
import pipelines as P  # noqa: E402
import train  # noqa: E402
import world  # noqa: E402

PALETTE = torch.tensor([world.COLORS[c] for c in world.COLOR_NAMES], dtype=torch.float32)


def color_index(images):
    """Nearest palette colour per pixel: uint8 [N,H,W,3] → long [N,H,W]."""
    d = ((images.float().unsqueeze(-2) - PALETTE) ** 2).sum(-1)
    return d.argmin(-1)


def analyse(images):
    """Dominant-colour rule: background = most common colour on the 1-px border; shape region =
    pixels of any other colour; shape colour = its most common colour; shape by a geometric rule."""
    idx = color_index(images)
    out = []
    for k in range(images.shape[0]):
        m = idx[k]
        border = torch.cat([m[0], m[-1], m[:, 0], m[:, -1]])
        bg = int(torch.bincount(border, minlength=len(PALETTE)).argmax())
        region = m != bg
        if int(region.sum()) < 12:
            out.append({'background': world.COLOR_NAMES[bg], 'color': None, 'shape': None, 'shape_template': None,
                        'region': region})
            continue
        col = int(torch.bincount(m[region], minlength=len(PALETTE)).argmax())
        shape_mask = m == col
        out.append({'background': world.COLOR_NAMES[bg], 'color': world.COLOR_NAMES[col],
                    'shape': classify_shape(shape_mask), 'shape_template': classify_shape_template(shape_mask),
                    'region': shape_mask})
    return out


def classify_shape_template(mask):
    """Template rule (a second opinion the model cards also quote): fit each of the world's three shapes to
    the mask's bounding box, exactly as world.py draws them, and return the one with the highest
    IoU. Unlike a threshold on one statistic, it picks the nearest shape, so a square whose corners
    come out slightly rounded still counts as a square and a circle with a wobbly edge as a circle."""
    ys, xs = torch.nonzero(mask, as_tuple=True)
    if len(ys) < 12:
        return None
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    box = mask[y0:y1 + 1, x0:x1 + 1]
    h, w = box.shape
    yy = (torch.arange(h, dtype=torch.float32) + 0.5).view(-1, 1)
    xx = (torch.arange(w, dtype=torch.float32) + 0.5).view(1, -1)
    cy, cx = h / 2, w / 2
    circle = ((xx - cx) / (w / 2)) ** 2 + ((yy - cy) / (h / 2)) ** 2 <= 1
    square = torch.ones(h, w, dtype=torch.bool)
    triangle = (xx - cx).abs() <= (yy / h) * (w / 2)  # apex at the top centre, base = bottom row
    best, best_iou = None, -1.0
    for name, t in (('circle', circle), ('square', square), ('triangle', triangle)):
        iou = float((t & box).sum()) / max(1, int((t | box).sum()))
        if iou > best_iou:
            best, best_iou = name, iou
    return best


def classify_shape(mask):
    """Fill rule (the measure the model cards' targets use): fill ratio of the bounding box
    (square > 0.88, circle ≈ π/4, triangle < 0.66 and widening towards the bottom). Its hard
    threshold calls a square with rounded corners a circle."""
    ys, xs = torch.nonzero(mask, as_tuple=True)
    if len(ys) < 12:
        return None
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    box = mask[y0:y1 + 1, x0:x1 + 1].float()
    fill = float(box.mean())
    rows = box.sum(1)
    h = rows.shape[0]
    top, bottom = float(rows[: max(1, h // 3)].mean()), float(rows[-max(1, h // 3):].mean())
    if fill < 0.66 and top < 0.6 * bottom:
        return 'triangle'
    if fill > 0.88:
        return 'square'
    return 'circle'


def held_out(n, seed_offset=0, two=0.0):
    return world.sample_batch(n, world.EVAL_SEED_BASE + seed_offset, two_shape_probability=two)


def rates(results, truth):
    c = sum(r['color'] == t['color'] for r, t in zip(results, truth))
    s = sum(r['shape'] == t['shape'] for r, t in zip(results, truth))
    s_template = sum(r['shape_template'] == t['shape'] for r, t in zip(results, truth))
    b = [r['background'] == t['background'] for r, t in zip(results, truth) if t['background']]
    return {'color_agreement': c / len(truth), 'shape_agreement': s / len(truth),
            'shape_agreement_template': s_template / len(truth),
            'background_agreement': (sum(b) / len(b)) if b else None, 'n': len(truth)}


def run_grouped(prompts, fn):
    """Run fn(list_of_prompts, indices) per token-count group; returns latents in prompt order."""
    out = [None] * len(prompts)
    for _, idx in sorted(P.group_by_length(prompts).items()):
        z = fn([prompts[i] for i in idx], idx)
        for j, i in enumerate(idx):
            out[i] = z[j]
    return torch.stack(out)


# (prompt-stream offset, noise seed) of the --spread sets; the main set is (0, 1234).
SPREAD_SETS = [(0, 1), (0, 2), (1000, 1234), (2000, 1234), (3000, 1234)]


def text_to_image_rates(m, n, offset, seed, base_in_flash_loop=False):
    """Base (original sampler, 50 steps, CFG 3) and, when the folder has it, Flash rates on n
    held-out prompts, each sampler from a generator seeded with ``seed``; also their latents.
    ``base_in_flash_loop`` adds the base UNet run through the Flash loop, for comparison."""
    te, dec = m['text_encoder'], m['movq_decoder']
    prompts = held_out(n, offset).captions
    truth = [world.parse_caption(c) for c in prompts]

    def flash_loop(projection, unet):
        g = torch.Generator().manual_seed(seed)
        return run_grouped(prompts, lambda ps, idx: P.flash_latents(te, projection, unet, ps, g))

    g = torch.Generator().manual_seed(seed)
    z = {'base_cfg3_50steps': run_grouped(prompts, lambda ps, idx: P.text_to_image_latents(
        te, m['projection'], m['unet'], ps, g, steps=50, guidance=3.0))}
    if 'unet_flash' in m:
        z['flash_4steps'] = flash_loop(m['projection_flash'], m['unet_flash'])
        if base_in_flash_loop:
            z['base_unet_in_flash_loop'] = flash_loop(m['projection'], m['unet'])
    return {k: rates(analyse(P.decode(dec, v)), truth) for k, v in z.items()}, z


def spread():
    m = export_tiny.load_all()
    res = []
    for offset, seed in SPREAD_SETS:
        r, _ = text_to_image_rates(m, 100, offset, seed)
        res.append({'prompt_offset': offset, 'noise_seed': seed, **r})
        print(offset, seed, {k: (v['color_agreement'], v['shape_agreement'], v['shape_agreement_template'])
                             for k, v in r.items()}, flush=True)
    json.dump(res, open(os.path.join(common.CACHE, 'eval-spread.json'), 'w'), indent=1)


def main():
    if '--spread' in sys.argv:
        return spread()
    quick = '--quick' in sys.argv
    base_flash = '--base-flash' in sys.argv
    if base_flash:
        global save_grid
        save_grid = lambda *a: None  # noqa: E731
    n = 20 if quick else 100
    m = export_tiny.load_all()
    dec, enc = m['movq_decoder'], m['movq_encoder']
    res = {}
    t0 = time.time()

    # The colour/shape rule on ground-truth renders: how much the measuring stick itself errs.
    gt = held_out(200, 77)
    a = analyse(gt.images)
    truth = [world.parse_caption(c) for c in gt.captions]
    res['classifier_on_ground_truth'] = rates(a, [{'color': s.shapes[0].color, 'shape': s.shapes[0].kind,
                                                   'background': s.background} for s in gt.scenes])
    # MoVQ reconstruction.
    x = world.to_model_range(gt.images[:64])
    with torch.no_grad():
        r = dec(enc(x))
    res['movq'] = {'psnr_db': float(10 * torch.log10(4 / F.mse_loss(r.clamp(-1, 1), x))),
                   'classifier_on_reconstructions': rates(analyse(world.from_model_range(r)), truth[:64])}

    # The main set: prompt offset 0, noise seed 1234.
    tti, latents = text_to_image_rates(m, n, 0, 1234, base_in_flash_loop=True)
    res.update(tti)
    for key, name in (('base_cfg3_50steps', 'base'), ('flash_4steps', 'flash')):
        if key in latents:
            print(name, res[key], flush=True)
            save_grid(P.decode(dec, latents[key][:16]), name)

    if base_flash:
        res['n_prompts'] = n
        json.dump(res, open(os.path.join(common.CACHE, 'eval-base-flash.json'), 'w'), indent=1)
        print(json.dumps(res, indent=1))
        return
    if 'unet_inpainting' in m:
        res['inpainting'] = eval_inpainting(m, n)
        print('inpainting', res['inpainting'], flush=True)
    if 'unet_ip_adapter' in m:
        res['ip_adapter'] = eval_ip(m, n)
        print('ip', res['ip_adapter'], flush=True)
    if 'unet_controlnet' in m:
        res['controlnet'] = eval_controlnet(m, n)
        print('controlnet', res['controlnet'], flush=True)
    res['seconds'] = round(time.time() - t0, 1)
    res['n_prompts'] = n
    json.dump(res, open(os.path.join(common.CACHE, 'eval.json'), 'w'), indent=1)
    print(json.dumps(res, indent=1))


def eval_inpainting(m, n):
    """Repaint the first shape (its box + 3 px) in another colour; check the region's colour and
    how much pixels ≥ 8 px outside the mask move (mean |Δ| in 0..255)."""
    data = held_out(n, 1)
    prompts, users, new_colors = [], [], []
    for k, s in enumerate(data.scenes):
        sh = s.shapes[0]
        choices = [c for c in world.COLOR_NAMES if c not in (s.background, sh.color)]
        c = choices[k % len(choices)]
        new_colors.append(c)
        prompts.append(f'a {c} {sh.kind} on a {s.background} background')
        mk = torch.zeros(64, 64)
        ys, xs = torch.nonzero(data.first_mask[k], as_tuple=True)
        mk[max(0, int(ys.min()) - 3): int(ys.max()) + 4, max(0, int(xs.min()) - 3): int(xs.max()) + 4] = 1
        users.append(mk)
    users = torch.stack(users)
    lm, ml = train.inpaint_inputs(m['movq_encoder'], world.to_model_range(data.images), users)
    g = torch.Generator().manual_seed(99)
    z = run_grouped(prompts, lambda ps, idx: P.text_to_image_latents(
        m['text_encoder'], m['projection_inpainting'], m['unet_inpainting'], ps, g, steps=50, guidance=4.0,
        percentile=0.95, extra_channels=torch.cat([lm[idx], ml[idx]], 1)))
    imgs = P.decode(m['movq_decoder'], z)
    save_grid(imgs[:16], 'inpainting')
    idx = color_index(imgs)
    ok = 0
    far_delta = []
    for k in range(n):
        region = (users[k] > 0) & data.first_mask[k]
        cols = idx[k][region]
        if len(cols) and world.COLOR_NAMES[int(torch.bincount(cols, minlength=len(PALETTE)).argmax())] == new_colors[k]:
            ok += 1
        dil = F.max_pool2d(users[k][None, None], 17, stride=1, padding=8)[0, 0] > 0
        far = ~dil
        if far.any():
            far_delta.append(float((imgs[k].float() - data.images[k].float()).abs()[far].mean()))
    return {'region_takes_prompt_color': ok / n, 'far_pixels_mean_abs_delta_0_255': sum(far_delta) / len(far_delta),
            'n': n}


def eval_ip(m, n):
    data = held_out(n, 2)
    pix = train.clip_pixels(data.images)
    with torch.no_grad():
        emb = m['image_encoder'](pix)
    g = torch.Generator().manual_seed(7)
    z = P.ip_adapter_latents(m['text_encoder'], m['projection_ip_adapter'], m['unet_ip_adapter'], m['image_encoder'],
                             [''] * n, emb, g)
    imgs = P.decode(m['movq_decoder'], z)
    save_grid(imgs[:16], 'ip-variation')
    a = analyse(imgs)
    keep = sum(r['color'] == s.shapes[0].color for r, s in zip(a, data.scenes)) / n
    keep_bg = sum(r['background'] == s.background for r, s in zip(a, data.scenes)) / n
    # 50/50 mix of a red and a blue image.
    red = world.render([world.Scene('white', [world.Shape('circle', 'red', 32, 32, 14)])])
    blue = world.render([world.Scene('white', [world.Shape('square', 'blue', 32, 32, 12)])])
    with torch.no_grad():
        er = m['image_encoder'](train.clip_pixels(red.images))
        eb = m['image_encoder'](train.clip_pixels(blue.images))
    trio = torch.cat([er, eb, 0.5 * er + 0.5 * eb])
    g = torch.Generator().manual_seed(8)
    z = P.ip_adapter_latents(m['text_encoder'], m['projection_ip_adapter'], m['unet_ip_adapter'], m['image_encoder'],
                             [''] * 3, trio, g)
    out = P.decode(m['movq_decoder'], z).float()
    save_grid(out.to(torch.uint8), 'ip-mix')
    an = analyse(out.to(torch.uint8))
    d_red = float((out[2] - out[0]).abs().mean())
    d_blue = float((out[2] - out[1]).abs().mean())
    d_rb = float((out[0] - out[1]).abs().mean())
    return {'variation_keeps_shape_color': keep, 'variation_keeps_background': keep_bg, 'n': n,
            'mix_mean_abs_diff_vs_red_variation': d_red, 'mix_mean_abs_diff_vs_blue_variation': d_blue,
            'red_vs_blue_mean_abs_diff': d_rb,
            'colors_red_blue_mix': [r['color'] for r in an], 'shapes_red_blue_mix': [r['shape'] for r in an]}


def eval_controlnet(m, n):
    data = held_out(n, 3)
    hint = train.hint_of(data.images)
    g = torch.Generator().manual_seed(11)
    z = run_grouped(data.captions, lambda ps, idx: P.controlnet_latents(
        m['text_encoder'], m['projection_controlnet'], m['unet_controlnet'], ps, hint[idx], g))
    imgs = P.decode(m['movq_decoder'], z)
    save_grid(imgs[:16], 'controlnet')
    # Outline of the generated image by the same detector, vs the hint's edges: strict IoU, and IoU
    # with both edge maps dilated by one pixel (a 1-px shift of a 1–2 px outline otherwise scores 0).
    hint_edges = hint[:, 0] > 0.5

    def ious(images):
        e = train.hint_of(images)[:, 0] > 0.5
        strict = (e & hint_edges).flatten(1).sum(1).float() / (e | hint_edges).flatten(1).sum(1).float().clamp(min=1)
        d = lambda m: F.max_pool2d(m.float()[:, None], 3, stride=1, padding=1)[:, 0] > 0  # noqa: E731
        de, dh = d(e), d(hint_edges)
        loose = (de & dh).flatten(1).sum(1).float() / (de | dh).flatten(1).sum(1).float().clamp(min=1)
        return float(strict.mean()), float(loose.mean())

    iou, iou_1px = ious(imgs)
    # Same measure without the hint (plain base model, same prompts) as the chance level.
    g = torch.Generator().manual_seed(11)
    zb = run_grouped(data.captions, lambda ps, idx: P.text_to_image_latents(
        m['text_encoder'], m['projection'], m['unet'], ps, g, steps=25))
    bi, bi_1px = ious(P.decode(m['movq_decoder'], zb))
    a = analyse(imgs)
    return {'outline_iou_vs_hint_edges': iou, 'outline_iou_without_hint_base_model': bi,
            'outline_iou_within_1px': iou_1px, 'outline_iou_within_1px_without_hint_base_model': bi_1px,
            'color_agreement': sum(r['color'] == s.shapes[0].color for r, s in zip(a, data.scenes)) / n, 'n': n}


def save_grid(imgs, name):
    """Save a PPM contact sheet to .cache/eval-<name>.ppm for a human look."""
    k = imgs.shape[0]
    cols = min(8, k)
    rows = (k + cols - 1) // cols
    sheet = torch.zeros(rows * 64, cols * 64, 3, dtype=torch.uint8)
    for i in range(k):
        r, c = divmod(i, cols)
        sheet[r * 64:(r + 1) * 64, c * 64:(c + 1) * 64] = imgs[i]
    with open(os.path.join(common.CACHE, f'eval-{name}.ppm'), 'wb') as f:
        f.write(b'P6 %d %d 255\n' % (sheet.shape[1], sheet.shape[0]))
        f.write(sheet.numpy().tobytes())


if __name__ == '__main__':
    main()
