import type { Kandinsky3, RgbImage } from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from './image-io.js';
import { loadKandinsky3 } from './load-kandinsky3.js';
import { shapeColour } from './test-support/shape-colour.js';

const MODEL = tinyModelPath('kandinsky3-tiny');

const COLOURS = ['red', 'green', 'blue', 'yellow', 'orange', 'purple', 'white', 'black'];
const SHAPES = ['circle', 'square', 'triangle'];
/** 24 prompts in the world's caption form: every colour × shape, on another colour's background. */
const PROMPTS: [string, string][] = COLOURS.flatMap((colour, i) =>
  SHAPES.map((shape, j): [string, string] => [`a ${colour} ${shape} on a ${COLOURS[(i + 1 + j) % 8]} background`, colour]),
);
/**
 * The model card's bar (issue 3): the shape takes the prompt's colour on at least 90 % of prompts,
 * here 22 of the 24 colour × shape prompts, measured by the model card's own colour rule through
 * the whole TypeScript pipeline (tokenizer, encoder, sampler, CFG, decoder, uint8 conversion).
 */
const MODEL_CARD_BAR = Math.ceil(0.9 * PROMPTS.length);

async function colourHits(generate: (prompt: string, index: number) => Promise<RgbImage>): Promise<{ hits: number; misses: string[] }> {
  let hits = 0;
  const misses: string[] = [];
  for (const [index, [prompt, colour]] of PROMPTS.entries()) {
    const found = shapeColour(await generate(prompt, index));
    if (found.shape === colour) hits++;
    else misses.push(`${prompt} → ${found.shape} on ${found.background}`);
  }
  return { hits, misses };
}

function meanAbsoluteDifference(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

describe('Kandinsky 3 tiny model end to end (onnxruntime-node CPU)', () => {
  let pipeline: Kandinsky3;
  beforeAll(async () => {
    pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
  });
  afterAll(async () => {
    await pipeline?.dispose();
  });

  it('gives the shape the prompt\'s colour with the original sampler and CFG (model card bar: ≥ 90 %)', async () => {
    const { hits, misses } = await colourHits(
      async (prompt, index) => (await pipeline.textToImage({ prompt, seed: 1000 + index })).images[0]!,
    );
    console.log(`[tiny] text→image colour right on ${hits}/${PROMPTS.length} prompts`);
    expect(hits, misses.join('; ')).toBeGreaterThanOrEqual(MODEL_CARD_BAR);
  });

  it('gives the shape the prompt\'s colour with Flash in 4 steps (model card bar: ≥ 90 %)', async () => {
    const { hits, misses } = await colourHits(async (prompt, index) => (await pipeline.flash({ prompt, seed: 2000 + index })).images[0]!);
    console.log(`[tiny] Flash colour right on ${hits}/${PROMPTS.length} prompts`);
    expect(hits, misses.join('; ')).toBeGreaterThanOrEqual(MODEL_CARD_BAR);
  });

  it('gives byte-identical PNGs for the same seed and different ones for another seed', async () => {
    const prompt = 'a green square on a white background';
    const [a, b, c] = await Promise.all([
      pipeline.textToImage({ prompt, seed: 7, steps: 20 }),
      pipeline.textToImage({ prompt, seed: 7, steps: 20 }),
      pipeline.textToImage({ prompt, seed: 8, steps: 20 }),
    ]);
    const [pa, pb, pc] = await Promise.all([a, b, c].map((result) => encodePng(result.images[0]!)));
    expect(Buffer.from(pa!).equals(Buffer.from(pb!))).toBe(true);
    expect(Buffer.from(pa!).equals(Buffer.from(pc!))).toBe(false);
  });

  it('changes the image more as strength grows (image-to-image, spec §4.4)', async () => {
    const { images } = await pipeline.textToImage({ prompt: 'a red circle on a white background', seed: 3, steps: 30 });
    const source = images[0]!;
    const distances: number[] = [];
    for (const strength of [0.3, 1]) {
      const result = await pipeline.imageToImage({ prompt: 'a blue square on a black background', image: source, strength, seed: 4 });
      distances.push(meanAbsoluteDifference(result.images[0]!, source));
    }
    expect(distances[0]).toBeLessThan(distances[1]!);
    // strength 0 runs no denoising step at all: the image is only encoded and decoded again.
    const unchanged = await pipeline.imageToImage({ prompt: 'a blue square', image: source, strength: 0, seed: 4 });
    expect(unchanged.parameters.steps).toBe(0);
  });

  it('aborts in the middle with an AbortError, and the next call still works', async () => {
    const controller = new AbortController();
    const events: number[] = [];
    await expect(
      pipeline.textToImage({
        prompt: 'a red circle',
        seed: 1,
        steps: 50,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.type !== 'step') return;
          events.push(event.index);
          if (event.index === 9) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(events.at(-1)).toBe(9);
    const after = await pipeline.flash({ prompt: 'a red circle', seed: 1 });
    expect(after.images).toHaveLength(1);
  });
});
