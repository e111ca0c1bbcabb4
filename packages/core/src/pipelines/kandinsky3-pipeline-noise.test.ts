import { describe, expect, it } from 'vitest';
import { ModelFolder } from '../model/model-folder.js';
import { inlineNoiseSources, type NoiseSourceFactory, type TrajectoryNoiseSource } from '../noise/noise-source-factory.js';
import { Kandinsky3Pipeline } from './kandinsky3-pipeline.js';
import { mockBackend, mockFiles, mockTokenizer } from './test-support/mock-kandinsky3.js';

/** Wraps the inline factory and records what the pipeline asks of it. */
function recordingFactory() {
  const log: string[] = [];
  const factory: NoiseSourceFactory = {
    create(seed, dims) {
      log.push(`create ${seed} [${dims.join(',')}]`);
      const inner = inlineNoiseSources.create(seed, dims);
      const source: TrajectoryNoiseSource = {
        prefetch: (d) => inner.prefetch(d),
        randn: (d) => inner.randn(d),
        rand: (d) => inner.rand(d),
        release: () => {
          log.push(`release ${seed}`);
          inner.release();
        },
      };
      return source;
    },
    dispose: async () => {
      log.push('dispose');
    },
  };
  return { factory, log };
}

async function pipelineWith(noiseSources?: NoiseSourceFactory, convention: 'A' | 'B' = 'A') {
  const folder = await ModelFolder.open(mockFiles(convention));
  return Kandinsky3Pipeline.create({ backend: mockBackend(), folder, tokenizer: mockTokenizer, ...(noiseSources ? { noiseSources } : {}) });
}

describe('Kandinsky3Pipeline noiseSources', () => {
  it('takes one source per seed, releases each, and disposes the factory with the pipeline', async () => {
    const { factory, log } = recordingFactory();
    const pipeline = await pipelineWith(factory);
    await pipeline.textToImage({ prompt: 'a red circle', seeds: [3, 4], steps: 3 });
    expect(log).toEqual(['create 3 [1,4,8,8]', 'release 3', 'create 4 [1,4,8,8]', 'release 4']);
    await pipeline.dispose();
    expect(log.at(-1)).toBe('dispose');
  });

  it('gives the images of the default for both conventions', async () => {
    for (const convention of ['A', 'B'] as const) {
      const options = { prompt: 'a red circle', seeds: [1, 2], steps: 4 };
      const expected = await (await pipelineWith(undefined, convention)).textToImage(options);
      const actual = await (await pipelineWith(recordingFactory().factory, convention)).textToImage(options);
      expect(actual.images.map((image) => Array.from(image.data))).toEqual(expected.images.map((image) => Array.from(image.data)));
    }
  });

  it('releases the source when a generation is aborted', async () => {
    const { factory, log } = recordingFactory();
    const pipeline = await pipelineWith(factory);
    const controller = new AbortController();
    const run = pipeline.textToImage({
      prompt: 'a red circle',
      seed: 9,
      steps: 5,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'step' && event.index === 1) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(log).toEqual(['create 9 [1,4,8,8]', 'release 9']);
  });
});
