import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TEXT_ENCODER_CONTRACT,
  TEXT_PROJECTION_CONTRACT,
  createRgbImage,
  encodeK3dPrompt,
  prepareClipPixelValues,
  type K3dPromptVariant,
  type RgbImage,
  type Tensor,
} from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { describe, expect, it } from 'vitest';
import { loadControlNet, loadIpAdapter } from './load-k3d-pipelines.js';
import { openModelFolder } from './model-directory.js';
import { createNodeBackend } from './node-backend.js';
import { loadTokenizer } from './tokenizer.js';

// Whole-pipeline references of the two convention-C tiny folders, computed with PyTorch by
// tools/tiny-models/k3d_pipeline_references.py (the nets rebuilt from the committed ONNX weights
// and checked against the component references first). Committed: a missing file fails here.
const IP = tinyModelPath('kandinsky3-tiny-ip-adapter');
const CONTROLNET = tinyModelPath('kandinsky3-tiny-controlnet-hed');

interface TensorRef {
  dtype: 'float32' | 'int64' | 'uint8';
  dims: number[];
  file: string;
}

interface PipelineReference {
  prompt: string;
  negative_prompt: string;
  seed: number;
  steps: number;
  guidance_scale: number;
  weights?: number[];
  ip_scale?: number;
  tensors: Record<string, TensorRef>;
}

function reference(folder: string, name: string): PipelineReference & { folder: string } {
  return { ...(JSON.parse(readFileSync(join(folder, 'reference', `${name}.json`), 'utf8')) as PipelineReference), folder };
}

function load(folder: string, ref: TensorRef): Float32Array | Uint8Array {
  const bytes = readFileSync(join(folder, 'reference', ref.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return ref.dtype === 'float32' ? new Float32Array(buffer) : new Uint8Array(buffer);
}

function loadMask(folder: string, ref: TensorRef): number[] {
  expect(ref.dtype).toBe('int64');
  const bytes = readFileSync(join(folder, 'reference', ref.file));
  return Array.from(new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), Number);
}

function imageOf(folder: string, ref: TensorRef): RgbImage {
  const [height, width] = ref.dims as [number, number, number];
  return createRgbImage(width, height, load(folder, ref) as Uint8Array);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Convention C contexts through the folder's own encoder and projection vs PyTorch's (stage 1). */
async function expectContexts(folder: string, name: string, variant: K3dPromptVariant): Promise<void> {
  const ref = reference(folder, name);
  const models = await openModelFolder(folder);
  const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
  const encoder = await models.loadSession(backend, 'text_encoder', TEXT_ENCODER_CONTRACT);
  const projection = await models.loadSession(backend, 'text_projection', TEXT_PROJECTION_CONTRACT);
  try {
    const contexts = await encodeK3dPrompt(
      {
        tokenizer: await loadTokenizer(models),
        encode: async (ids, mask) => (await encoder.run({ input_ids: ids, attention_mask: mask })).last_hidden_state as Tensor<'float32'>,
        project: async (hidden) => (await projection.run({ hidden })).context as Tensor<'float32'>,
      },
      { variant, prompt: ref.prompt, negativePrompt: ref.negative_prompt, withUnconditional: true },
    );
    const { tensors } = ref;
    expect(contexts.conditional.context.dims).toEqual(tensors.context!.dims);
    expect(maxAbsDifference(contexts.conditional.context.data, load(folder, tensors.context!))).toBeLessThan(1e-5);
    expect(maxAbsDifference(contexts.unconditional!.context.data, load(folder, tensors.uncond_context!))).toBeLessThan(1e-5);
    expect(Array.from(contexts.conditional.mask.data, Number)).toEqual(loadMask(folder, tensors.context_mask!));
    expect(Array.from(contexts.unconditional!.mask.data, Number)).toEqual(loadMask(folder, tensors.uncond_context_mask!));
  } finally {
    await Promise.all([encoder.dispose(), projection.dispose()]);
  }
}

const IP_CASES = ['pipeline-ip-variation', 'pipeline-ip-mix', 'pipeline-ip-image-and-text'];

describe('PyTorch whole-pipeline references: IP-Adapter (spec §4.6, convention C)', () => {
  it.each(IP_CASES)('%s: CLIP pixel values equal PyTorch\'s', (name) => {
    const ref = reference(IP, name);
    for (let i = 0; ref.tensors[`pixel_values_${i}`]; i++) {
      const pixels = prepareClipPixelValues(imageOf(IP, ref.tensors[`image_${i}_uint8_hwc`]!), { size: 64 });
      expect(maxAbsDifference(pixels.data, load(IP, ref.tensors[`pixel_values_${i}`]!))).toBeLessThan(1e-6);
    }
  });

  it('image + text: the prompt contexts equal PyTorch\'s (pads: LayerNorm bias in cond, zero in uncond)', async () => {
    await expectContexts(IP, 'pipeline-ip-image-and-text', 'ip-adapter');
  });

  it.each(IP_CASES)('%s: the image within 1 of 255 per channel', async (name) => {
    const ref = reference(IP, name);
    const images = ref.weights!.map((_, i) => imageOf(IP, ref.tensors[`image_${i}_uint8_hwc`]!));
    const pipeline = await loadIpAdapter(IP, { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const result = await pipeline.generate({
        images,
        weights: ref.weights!,
        prompt: ref.prompt,
        negativePrompt: ref.negative_prompt,
        imageWeight: ref.ip_scale!,
        seed: ref.seed,
        steps: ref.steps,
        guidanceScale: ref.guidance_scale,
      });
      const expected = load(IP, ref.tensors.image_uint8_hwc!);
      const difference = maxAbsDifference(result.images[0]!.data, expected);
      console.log(`[reference] ${name} max |Δ| = ${difference} of 255 over ${expected.length} values`);
      expect(difference).toBeLessThanOrEqual(1);
      expect(result.parameters).toMatchObject({ mode: 'ip-adapter', imageWeights: ref.weights, imageWeight: ref.ip_scale, steps: ref.steps });
    } finally {
      await pipeline.components.dispose();
    }
  });
});

describe('PyTorch whole-pipeline reference: ControlNet v1 with the HED-interface detector (spec §4.7, §2.9)', () => {
  const ref = reference(CONTROLNET, 'pipeline-controlnet-hed');

  it('the prompt contexts equal PyTorch\'s (pads: LayerNorm bias in both)', async () => {
    await expectContexts(CONTROLNET, 'pipeline-controlnet-hed', 'controlnet');
  });

  it('detects the hint PyTorch fed, byte for byte, and reproduces the image within 1 of 255', async () => {
    const source = imageOf(CONTROLNET, ref.tensors.image_uint8_hwc_source!);
    const pipeline = await loadControlNet(CONTROLNET, { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const result = await pipeline.generate({
        image: source,
        prompt: ref.prompt,
        negativePrompt: ref.negative_prompt,
        seed: ref.seed,
        steps: ref.steps,
        guidanceScale: ref.guidance_scale,
      });
      const hint = load(CONTROLNET, ref.tensors.hint!) as Float32Array; // [1, 3, 64, 64] in [0, 1]
      const plane = 64 * 64;
      let hintMismatches = 0;
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) if (result.hint.data[3 * i + c] !== Math.round(hint[c * plane + i]! * 255)) hintMismatches++;
      }
      expect(hintMismatches).toBe(0);
      const expected = load(CONTROLNET, ref.tensors.image_uint8_hwc!);
      const difference = maxAbsDifference(result.images[0]!.data, expected);
      console.log(`[reference] ControlNet max |Δ| = ${difference} of 255 over ${expected.length} values`);
      expect(difference).toBeLessThanOrEqual(1);
      expect(result.parameters).toMatchObject({ mode: 'controlnet', edges: 'hed', steps: ref.steps });
    } finally {
      await pipeline.components.dispose();
    }
  });
});
