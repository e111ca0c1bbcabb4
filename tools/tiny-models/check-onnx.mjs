// Loads every ONNX component of the model folders under models/tiny (or the folders given) in
// onnxruntime-node, checks the input/output names against the component's config.json (the
// contract of docs/model-format.md), runs each UNet at two context lengths (L is dynamic) and
// replays every reference/*.json file, printing the max abs error.
// Usage: node tools/tiny-models/check-onnx.mjs [folder ...]
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'packages/node/package.json'));
const ort = require('onnxruntime-node');

const folders = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(join(root, 'models/tiny')).map((d) => join(root, 'models/tiny', d));

const typed = { float32: Float32Array, int64: BigInt64Array, bool: Uint8Array, uint8: Uint8Array };
function readRef(folder, ref) {
  const buf = readFileSync(join(folder, 'reference', ref.file));
  const T = typed[ref.dtype];
  const copy = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength); // Buffers may be unaligned
  return new ort.Tensor(ref.dtype, new T(copy), ref.dims);
}

function feedsFor(cfg, length) {
  const B = 2, h = 8;
  const f = (dims) => new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => Math.random() - 0.5), dims);
  const mask = new BigInt64Array(B * length).fill(1n);
  mask[length + length - 1] = 0n;
  const feeds = {
    sample: f([B, cfg.in_channels, h, h]),
    timestep: new ort.Tensor('float32', Float32Array.from([999, 20]), [B]),
    encoder_hidden_states: f([B, length, cfg.context_dim]),
    encoder_attention_mask: new ort.Tensor('int64', mask, [B, length]),
  };
  if (cfg.variant === 'ip_adapter') {
    feeds.image_embeds = f([B, cfg.image_embed_dim]);
    feeds.ip_scale = new ort.Tensor('float32', Float32Array.from([1]), []);
  }
  if (cfg.variant === 'controlnet_hed') feeds.hint = f([1, 3, 8 * h, 8 * h]);
  return feeds;
}

let failures = 0;
for (const folder of folders) {
  if (!existsSync(join(folder, 'model_index.json'))) continue;
  const index = JSON.parse(readFileSync(join(folder, 'model_index.json'), 'utf8'));
  const sessions = {};
  for (const [role, rel] of Object.entries(index.components)) {
    const dir = join(folder, rel);
    if (!existsSync(join(dir, 'model.onnx'))) continue;
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const s = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: 1 });
    sessions[rel] = s;
    const ok = JSON.stringify(s.inputNames) === JSON.stringify(cfg.onnx.inputs) &&
      JSON.stringify(s.outputNames) === JSON.stringify(cfg.onnx.outputs);
    if (!ok) failures++;
    let extra = '';
    if (cfg.kind === 'unet') {
      for (const L of [3, 11]) {
        const out = await s.run(feedsFor(cfg, L));
        extra += ` L=${L}→${out.noise_pred.dims.join('x')}`;
        if (!out.noise_pred.data.every(Number.isFinite)) { failures++; extra += ' NaN!'; }
      }
    }
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${index.variant.name}/${rel} in=[${s.inputNames}] out=[${s.outputNames}]${extra}`);
  }
  const refDir = join(folder, 'reference');
  if (!existsSync(refDir)) continue;
  for (const file of readdirSync(refDir).filter((f) => f.endsWith('.json') && !f.startsWith('pipeline'))) {
    const ref = JSON.parse(readFileSync(join(refDir, file), 'utf8'));
    if (!ref.component) continue;
    const s = sessions[ref.component];
    const feeds = Object.fromEntries(Object.entries(ref.inputs).map(([k, v]) => [k, readRef(folder, v)]));
    const out = await s.run(feeds);
    let max = 0;
    for (const [k, v] of Object.entries(ref.outputs)) {
      const want = readRef(folder, v).data;
      const got = out[k].data;
      for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
    }
    const tol = ref.tolerance ?? 1e-4;
    if (!(max <= tol)) failures++;
    console.log(`${max <= tol ? 'ok  ' : 'FAIL'} reference ${index.variant.name}/${file} max|Δ|=${max.toExponential(2)} (tol ${tol})`);
  }
}
if (failures) console.error(`${failures} failure(s)`);

// ---- whole-pipeline reference, stage by stage (convention A, original sampler, spec §4.1 A, §3.2)
const base = folders.find((f) => f.endsWith('kandinsky3-tiny') && existsSync(join(f, 'reference/pipeline-text-to-image.json')));
if (base) {
  const ref = JSON.parse(readFileSync(join(base, 'reference/pipeline-text-to-image.json'), 'utf8'));
  const T = Object.fromEntries(Object.entries(ref.tensors).map(([k, v]) => [k, readRef(base, v)]));
  const open = (p) => ort.InferenceSession.create(join(base, p, 'model.onnx'), { intraOpNumThreads: 1 });
  const maxDiff = (a, b) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i]))); return m; };
  const report = (name, d, tol) => { if (!(d <= tol)) failures++; console.log(`${d <= tol ? 'ok  ' : 'FAIL'} pipeline ${name} max|Δ|=${d.toExponential(2)}`); };
  const te = await open('text_encoder'), tp = await open('text_projection'), un = await open('unet'), dec = await open('movq_decoder');
  const hidden = (await te.run({ input_ids: T.input_ids, attention_mask: T.attention_mask })).last_hidden_state;
  const ctxFull = (await tp.run({ hidden })).context;
  const D = ctxFull.dims[2];
  const mask = T.attention_mask.data; const n = mask.reduce((a, b) => a + Number(b), 0); const L = Math.min(128, n + 1);
  const ctx = new Float32Array(L * D);
  for (let i = 0; i < L; i++) for (let j = 0; j < D; j++) ctx[i * D + j] = Number(mask[i]) ? ctxFull.data[i * D + j] : 0;
  report('context (encoder → projection → zero pads → cut to n+1)', maxDiff(ctx, T.context.data), 1e-5);
  // cosine ᾱ in float32 like torch (spec §3.1)
  const abar = (s) => Math.cos(((s + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const ac = new Float32Array(1000); let prod = Math.fround(1);
  for (let i = 0; i < 1000; i++) { const beta = Math.fround(Math.min(1 - abar((i + 1) / 1000) / abar(i / 1000), 0.999)); prod = Math.fround(prod * Math.fround(1 - beta)); ac[i] = prod; }
  const uncond = T.uncond_context.data; const umask = new BigInt64Array(L); umask[0] = 1n;
  const cmask = new BigInt64Array(L).fill(0n); for (let i = 0; i < L; i++) cmask[i] = mask[i];
  let x = Float32Array.from(T.initial_latent.data);
  const ts = ref.timesteps; const w = ref.guidance_scale; const N = x.length;
  for (let k = 0; k < 2; k++) {
    const t = ts[k], tp_ = ts[k + 1];
    const sample = new Float32Array(2 * N); sample.set(x); sample.set(x, N);
    const ehs = new Float32Array(2 * L * D); ehs.set(ctx); ehs.set(uncond, L * D);
    const m2 = new BigInt64Array(2 * L); m2.set(cmask); m2.set(umask, L);
    const out = (await un.run({ sample: new ort.Tensor('float32', sample, [2, 4, 8, 8]), timestep: new ort.Tensor('float32', Float32Array.from([t, t]), [2]),
      encoder_hidden_states: new ort.Tensor('float32', ehs, [2, L, D]), encoder_attention_mask: new ort.Tensor('int64', m2, [2, L]) })).noise_pred.data;
    const e = new Float32Array(N); for (let i = 0; i < N; i++) e[i] = (w + 1) * out[i] - w * out[N + i];
    report(`guided ε step ${k + 1} (CFG (w+1)c − w·u)`, maxDiff(e, T[`guided_eps_step_${k + 1}`].data), 1e-4);
    const at = ac[t], ap = ac[tp_];
    const x0 = new Float32Array(N); for (let i = 0; i < N; i++) x0[i] = (x[i] - Math.sqrt(1 - at) * e[i]) / Math.sqrt(at);
    const sorted = Array.from(x0, Math.abs).sort((a, b) => a - b); const pos = ref.threshold_percentile * (N - 1); const lo = Math.floor(pos);
    const s = Math.max(1, sorted[lo] + (sorted[Math.min(lo + 1, N - 1)] - sorted[lo]) * (pos - lo));
    for (let i = 0; i < N; i++) x0[i] = Math.min(Math.max(x0[i], -s), s) / s;
    const sigma = Math.sqrt(ref.eta * (1 - at / ap) * (1 - ap) / (1 - at));
    const z = T[`step_noise_${k + 1}`].data; const next = new Float32Array(N);
    for (let i = 0; i < N; i++) { const eps = (x[i] - Math.sqrt(at) * x0[i]) / Math.sqrt(1 - at); next[i] = Math.sqrt(ap) * x0[i] + Math.sqrt(1 - ap - sigma * sigma) * eps + sigma * z[i]; }
    report(`latent after step ${k + 1} (spec §3.2 with the stored noise)`, maxDiff(next, T[`latent_after_step_${k + 1}`].data), 1e-4);
    x = Float32Array.from(T[`latent_after_step_${k + 1}`].data);
  }
  const img = (await dec.run({ latent: T.latent_final })).image.data;
  report('MoVQ decode of the final latent', maxDiff(img, T.decoded.data), 1e-4);
  if (failures) process.exit(1);
}
