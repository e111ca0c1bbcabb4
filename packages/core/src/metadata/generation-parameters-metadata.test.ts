import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GenerationParameters } from '../pipelines/generation-types.js';
import { embedGenerationMetadata, extractGenerationMetadata, PARAMETERS_KEYWORD } from './generation-metadata.js';
import { toGenerationMetadata } from './generation-parameters-metadata.js';
import { readPngText } from './png-text-chunks.js';

const png = new Uint8Array(readFileSync(new URL('./fixtures/pillow-text.png', import.meta.url)));
const sdkVersion = 'kandinsky-ts 9.8.7';

/** What textToImage reports for `count: 3, seed: 41` (fields as the pipeline fills them). */
const textToImage: GenerationParameters = {
  mode: 'text-to-image',
  prompt: 'a red circle, on white',
  negativePrompt: 'blurry',
  width: 128,
  height: 64,
  steps: 10,
  guidanceScale: 3,
  strength: undefined,
  sampler: 'Kandinsky3Sampler',
  convention: 'A',
  model: 'kandinsky3-tiny',
  seeds: [41, 42, 43],
  timesteps: [999, 899, 799, 699, 599, 499, 399, 299, 199, 99],
};

const flash: GenerationParameters = {
  ...textToImage,
  mode: 'flash',
  negativePrompt: undefined,
  steps: 4,
  guidanceScale: undefined,
  sampler: 'Flash',
  seeds: [7],
  timesteps: [979, 729, 479, 229],
};

const imageToImage: GenerationParameters = { ...textToImage, mode: 'image-to-image', strength: 0.45, steps: 4, seeds: [0] };

describe('toGenerationMetadata', () => {
  it('round-trips each image of a call through the PNG text chunks with its own seed', () => {
    for (const [imageIndex, seed] of [
      [0, 41],
      [2, 43],
    ] as const) {
      const stored = extractGenerationMetadata(embedGenerationMetadata(png, toGenerationMetadata(textToImage, { imageIndex, sdkVersion })));
      expect(stored).toStrictEqual({
        prompt: 'a red circle, on white',
        negativePrompt: 'blurry',
        seed,
        steps: 10,
        guidanceScale: 3,
        width: 128,
        height: 64,
        model: 'kandinsky3-tiny',
        sampler: 'Kandinsky3Sampler',
        mode: 'text-to-image',
        sdkVersion,
      });
    }
  });

  it('writes the readable "parameters" entry other image tools show', () => {
    const written = embedGenerationMetadata(png, toGenerationMetadata(imageToImage, { sdkVersion }));
    expect(readPngText(written).find((entry) => entry.keyword === PARAMETERS_KEYWORD)?.text).toBe(
      'a red circle, on white\nNegative prompt: blurry\nSteps: 4, Sampler: Kandinsky3Sampler, Guidance scale: 3, ' +
        'Seed: 0, Size: 128x64, Model: kandinsky3-tiny, Mode: image-to-image, Denoising strength: 0.45, ' +
        'Version: kandinsky-ts 9.8.7',
    );
  });

  it('tells an empty negative prompt from none in the "parameters" text', () => {
    const text = (negativePrompt: string | undefined) =>
      readPngText(embedGenerationMetadata(png, toGenerationMetadata({ ...imageToImage, negativePrompt }, { sdkVersion }))).find(
        (entry) => entry.keyword === PARAMETERS_KEYWORD,
      )?.text;
    expect(text('')!.split('\n').slice(0, 2)).toEqual(['a red circle, on white', 'Negative prompt: ']);
    expect(text(undefined)!.split('\n')[1]).toMatch(/^Steps: 4, /);
  });

  it('records an upscale after the generation in both entries', () => {
    const upscale = { model: 'kandisuperres-x4-tiny', scale: 4, steps: 5, seed: 0, width: 512, height: 256 };
    const metadata = { ...toGenerationMetadata(imageToImage, { sdkVersion }), upscale };
    const written = embedGenerationMetadata(png, metadata);
    expect(extractGenerationMetadata(written)).toStrictEqual(metadata);
    expect(readPngText(written).find((entry) => entry.keyword === PARAMETERS_KEYWORD)?.text).toMatch(
      /Size: 128x64, .*Upscale: x4 to 512x256 by kandisuperres-x4-tiny \(steps 5 seed 0\), Version: kandinsky-ts 9\.8\.7$/,
    );
  });

  it('leaves out what the call did not use (Flash: no negative prompt, guidance or strength)', () => {
    const metadata = toGenerationMetadata(flash, { sdkVersion });
    expect(Object.keys(metadata).sort()).toEqual(['height', 'mode', 'model', 'prompt', 'sampler', 'sdkVersion', 'seed', 'steps', 'width']);
    expect(extractGenerationMetadata(embedGenerationMetadata(png, metadata))).toStrictEqual(metadata);
    expect(metadata).toMatchObject({ mode: 'flash', seed: 7, steps: 4, sampler: 'Flash' });
  });

  it('rejects an image index the call does not have, naming it', () => {
    for (const imageIndex of [3, -1, 0.5]) {
      expect(() => toGenerationMetadata(textToImage, { imageIndex, sdkVersion })).toThrowError(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: `imageIndex must be an integer in [0, 2], got ${imageIndex}.`,
          details: { imageIndex, seeds: 3 },
        }),
      );
    }
  });
});
