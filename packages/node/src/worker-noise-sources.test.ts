import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Kandinsky3Pipeline,
  KandinskyError,
  PrefetchingNoiseSource,
  TorchGenerator,
  type Tensor,
  type TrajectoryNoiseSource,
} from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { describe, expect, it } from 'vitest';
import { openModelFolder } from './model-directory.js';
import { createNodeBackend } from './node-backend.js';
import { loadTokenizer } from './tokenizer.js';
import { loadKandinsky3 } from './load-kandinsky3.js';
import { createWorkerNoiseSources } from './worker-noise-sources.js';

const LATENT_1024 = [1, 4, 128, 128];

/** Bit patterns, so that −0 and +0 (and NaN payloads) count as different. */
const bits = (tensor: Tensor<'float32'>) => Array.from(new Uint32Array(tensor.data.slice().buffer));

/** Asks for sources until one comes from the worker (the first ones draw inline while it starts). */
async function workerSource(factory: ReturnType<typeof createWorkerNoiseSources>, seed: number, dims: readonly number[]) {
  for (let attempt = 0; attempt < 400; attempt++) {
    const source = factory.create(seed, dims);
    if (!(source instanceof PrefetchingNoiseSource)) return source;
    source.release();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the noise worker did not start within 10 s');
}

describe('createWorkerNoiseSources', () => {
  it('draws exactly TorchGenerator\'s stream: prefetched, direct, rewound and uniform draws', async () => {
    const factory = createWorkerNoiseSources();
    try {
      const source = await workerSource(factory, 1234, LATENT_1024);
      const reference = new TorchGenerator(1234);
      const steps: [string, (s: TrajectoryNoiseSource | TorchGenerator) => Tensor<'float32'>][] = [
        ['direct 1024² latent', (s) => s.randn(LATENT_1024)],
        ['direct scalar path (< 16)', (s) => s.randn([5])],
        ['direct 1024² latent after the scalar path', (s) => s.randn(LATENT_1024)],
      ];
      for (const [what, draw] of steps) expect(bits(draw(source)), what).toEqual(bits(draw(reference)));
      for (let step = 0; step < 4; step++) {
        source.prefetch(LATENT_1024);
        expect(bits(source.randn(LATENT_1024)), `prefetched step ${step}`).toEqual(bits(reference.randn(LATENT_1024)));
      }
      source.prefetch(LATENT_1024);
      expect(bits(source.randn([3, 37])), 'other dims after a prefetch (rewound)').toEqual(bits(reference.randn([3, 37])));
      source.prefetch(LATENT_1024);
      expect(bits(source.rand([1000])), 'rand after a prefetch (rewound)').toEqual(bits(reference.rand([1000])));
      source.prefetch([1, 4, 16, 16]);
      expect(bits(source.randn([1, 4, 16, 16])), 'a smaller prefetch').toEqual(bits(reference.randn([1, 4, 16, 16])));
      source.release();
    } finally {
      await factory.dispose();
    }
  });

  it('returns draws without a prefetch as the caller\'s own copy', async () => {
    const factory = createWorkerNoiseSources({ minimumElements: 0 });
    try {
      const source = await workerSource(factory, 3, [1, 4, 8, 8]);
      const kept = source.randn([1, 4, 8, 8]);
      const copy = bits(kept);
      source.prefetch([1, 4, 8, 8]);
      source.randn([1, 4, 8, 8]);
      expect(bits(kept)).toEqual(copy);
      source.release();
    } finally {
      await factory.dispose();
    }
  });

  it('draws small samples inline without starting a thread', async () => {
    const factory = createWorkerNoiseSources();
    const source = factory.create(7, [1, 4, 8, 8]);
    expect(source).toBeInstanceOf(PrefetchingNoiseSource);
    expect(factory.activeWorkers).toBe(0);
    source.release();
    await factory.dispose();
  });

  it('ends its thread on dispose and starts a new one on demand', async () => {
    const factory = createWorkerNoiseSources();
    const first = await workerSource(factory, 1, LATENT_1024);
    expect(factory.activeWorkers).toBe(1);
    first.prefetch(LATENT_1024); // still drawing when dispose comes
    first.release();
    await factory.dispose();
    expect(factory.activeWorkers).toBe(0);
    const again = await workerSource(factory, 2, LATENT_1024);
    expect(bits(again.randn([64]))).toEqual(bits(new TorchGenerator(2).randn([64])));
    again.release();
    await factory.dispose();
    expect(factory.activeWorkers).toBe(0);
  });

  it('serves one trajectory at a time; a concurrent one draws inline with the same numbers', async () => {
    const factory = createWorkerNoiseSources();
    try {
      const busy = await workerSource(factory, 5, LATENT_1024);
      const concurrent = factory.create(6, LATENT_1024);
      expect(concurrent).toBeInstanceOf(PrefetchingNoiseSource);
      expect(bits(concurrent.randn([100]))).toEqual(bits(new TorchGenerator(6).randn([100])));
      concurrent.release();
      busy.release();
      expect(factory.create(8, LATENT_1024)).not.toBeInstanceOf(PrefetchingNoiseSource);
    } finally {
      await factory.dispose();
    }
  });

  it('refuses draws from a released source, and bad options, naming them', async () => {
    const factory = createWorkerNoiseSources();
    try {
      const source = await workerSource(factory, 9, LATENT_1024);
      source.release();
      expect(() => source.randn([4])).toThrow(KandinskyError);
    } finally {
      await factory.dispose();
    }
    expect(() => createWorkerNoiseSources({ timeoutMs: -1 })).toThrow(/timeoutMs must be a finite number ≥ 0, got -1/);
    expect(() => factory.create(1.5, LATENT_1024)).toThrow(/1\.5/);
  });

  it('never keeps a process alive: a script that forgets dispose() still exits', async () => {
    const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    expect(existsSync(built), 'run `npx turbo run build` first').toBe(true);
    const script = join(mkdtempSync(join(tmpdir(), 'noise-worker-')), 'forget.mjs');
    writeFileSync(
      script,
      `import { createWorkerNoiseSources } from ${JSON.stringify(pathToFileURL(built).href)};
const factory = createWorkerNoiseSources();
factory.create(1, [1, 4, 128, 128]).release(); // starts the thread
await new Promise((resolve) => setTimeout(resolve, 1000));
const source = factory.create(2, [1, 4, 128, 128]);
source.prefetch([1, 4, 128, 128]);
console.log(source.constructor.name, factory.activeWorkers);
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`the process did not exit within 20 s: ${output}`));
      }, 20_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(output.trim()).toBe('WorkerTrajectory 1');
    expect(code).toBe(0);
  });
});

const MODEL = tinyModelPath('kandinsky3-tiny');

describe.skipIf(!existsSync(`${MODEL}/model_index.json`))('Kandinsky3Pipeline with worker noise sources', () => {
  it('produces the images of inline noise, and pipeline.dispose() ends the thread', async () => {
    const backend = await createNodeBackend({ device: 'cpu' });
    const folder = await openModelFolder(MODEL);
    const tokenizer = await loadTokenizer(folder);
    const noiseSources = createWorkerNoiseSources({ minimumElements: 0 });
    const inline = await Kandinsky3Pipeline.create({ backend, folder, tokenizer });
    const threaded = await Kandinsky3Pipeline.create({ backend, folder, tokenizer, noiseSources });
    try {
      (await workerSource(noiseSources, 0, [1, 4, 8, 8])).release(); // the worker is up before the runs
      const options = { prompt: 'a red circle on a white background', steps: 12, seeds: [4, 5] };
      const expected = await inline.textToImage(options);
      const actual = await threaded.textToImage(options);
      expect(actual.images.map((image) => Array.from(image.data))).toEqual(expected.images.map((image) => Array.from(image.data)));
      expect(noiseSources.activeWorkers).toBe(1);
    } finally {
      await inline.dispose();
      await threaded.dispose();
    }
    expect(noiseSources.activeWorkers).toBe(0);
  });
  it('is accepted by loadKandinsky3, which hands it to the pipeline (same images, disposed with it)', async () => {
    const noiseSources = createWorkerNoiseSources({ minimumElements: 0 });
    const inline = await loadKandinsky3(MODEL, { device: 'cpu' });
    const threaded = await loadKandinsky3(MODEL, { device: 'cpu', noiseSources });
    try {
      (await workerSource(noiseSources, 0, [1, 4, 8, 8])).release();
      const options = { prompt: 'a blue square on a yellow background', steps: 10, seed: 3 };
      const expected = await inline.textToImage(options);
      const actual = await threaded.textToImage(options);
      expect(Array.from(actual.images[0]!.data)).toEqual(Array.from(expected.images[0]!.data));
      expect(noiseSources.activeWorkers).toBe(1);
    } finally {
      await inline.dispose();
      await threaded.dispose();
    }
    expect(noiseSources.activeWorkers).toBe(0);
  });
});
