import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TEXT_ENCODER_CONTRACT,
  TEXT_PROJECTION_CONTRACT,
  TorchGenerator,
  encodePrompt,
  tokenizePrompt,
  type Tensor,
} from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { loadKandinsky3 } from './load-kandinsky3.js';
import { openModelFolder } from './model-directory.js';
import { loadTokenizer } from './tokenizer.js';

const MODEL = tinyModelPath('kandinsky3-tiny');
const REFERENCE = join(MODEL, 'reference', 'pipeline-text-to-image.json');
const FLASH_REFERENCE = join(MODEL, 'reference', 'pipeline-flash.json');

interface TensorRef {
  dtype: 'float32' | 'int64' | 'uint8';
  dims: number[];
  file: string;
}

function load(ref: TensorRef): Float32Array | BigInt64Array | Uint8Array {
  const bytes = readFileSync(join(MODEL, 'reference', ref.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return ref.dtype === 'float32' ? new Float32Array(buffer) : ref.dtype === 'int64' ? new BigInt64Array(buffer) : new Uint8Array(buffer);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe.runIf(existsSync(REFERENCE))('PyTorch whole-pipeline reference (text → image, convention A, original sampler)', () => {
  const reference = existsSync(REFERENCE)
    ? (JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
        prompt: string;
        seed: number;
        steps: number;
        guidance_scale: number;
        tensors: Record<string, TensorRef>;
      })
    : undefined;

  it('matches stage by stage: token ids, contexts, initial noise', async () => {
    const { prompt, seed, tensors } = reference!;
    const folder = await openModelFolder(MODEL);
    const tokenizer = await loadTokenizer(folder);
    const tokens = tokenizePrompt(tokenizer, prompt);
    expect(tokens.ids.map(BigInt)).toEqual(Array.from(load(tensors.input_ids!) as BigInt64Array));
    expect(tokens.mask.map(BigInt)).toEqual(Array.from(load(tensors.attention_mask!) as BigInt64Array));

    const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
    const encoder = await folder.loadSession(backend, 'text_encoder', TEXT_ENCODER_CONTRACT);
    const projection = await folder.loadSession(backend, 'text_projection', TEXT_PROJECTION_CONTRACT);
    const config = await folder.config('text_projection');
    const nullBytes = readFileSync(join(MODEL, folder.index.components.text_projection!, String(config.null_embedding)));
    const contexts = await encodePrompt(
      {
        tokenizer,
        encode: async (ids, mask) => (await encoder.run({ input_ids: ids, attention_mask: mask })).last_hidden_state as Tensor<'float32'>,
        project: async (hidden) => (await projection.run({ hidden })).context as Tensor<'float32'>,
        nullEmbedding: new Float32Array(nullBytes.buffer.slice(nullBytes.byteOffset, nullBytes.byteOffset + nullBytes.byteLength)),
      },
      { convention: 'A', prompt, withUnconditional: true },
    );
    expect(contexts.conditional.context.dims).toEqual(tensors.context!.dims);
    expect(maxAbsDifference(contexts.conditional.context.data, load(tensors.context!) as Float32Array)).toBeLessThan(1e-5);
    expect(Array.from(contexts.conditional.mask.data)).toEqual(Array.from(load(tensors.context_mask!), (v) => BigInt(v)));
    expect(maxAbsDifference(contexts.unconditional!.context.data, load(tensors.uncond_context!) as Float32Array)).toBe(0);
    await Promise.all([encoder.dispose(), projection.dispose()]);

    const initial = new TorchGenerator(seed).randn(tensors.initial_latent!.dims);
    expect(maxAbsDifference(initial.data, load(tensors.initial_latent!) as Float32Array)).toBe(0);
  });

  it('produces the reference image (within 1 of 255 per channel)', async () => {
    const { prompt, seed, steps, guidance_scale, tensors } = reference!;
    const pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
    const { images } = await pipeline.textToImage({ prompt, seed, steps, guidanceScale: guidance_scale });
    await pipeline.dispose();
    const expected = load(tensors.image_uint8_hwc!) as Uint8Array;
    const difference = maxAbsDifference(images[0]!.data, expected);
    console.log(`[reference] text→image max |Δ| = ${difference} of 255 over ${expected.length} values`);
    expect(difference).toBeLessThanOrEqual(1);
  });
});

describe.runIf(existsSync(FLASH_REFERENCE))('PyTorch whole-pipeline reference (Flash, spec §3.5)', () => {
  it('produces the reference image (within 1 of 255 per channel)', async () => {
    const { prompt, seed, tensors } = JSON.parse(readFileSync(FLASH_REFERENCE, 'utf8')) as {
      prompt: string;
      seed: number;
      tensors: Record<string, TensorRef>;
    };
    const pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
    const { images } = await pipeline.flash({ prompt, seed });
    await pipeline.dispose();
    const expected = load(tensors.image_uint8_hwc!) as Uint8Array;
    const difference = maxAbsDifference(images[0]!.data, expected);
    console.log(`[reference] Flash max |Δ| = ${difference} of 255 over ${expected.length} values`);
    expect(difference).toBeLessThanOrEqual(1);
  });
});
