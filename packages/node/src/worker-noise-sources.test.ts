import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Kandinsky3Pipeline,
  KandinskyError,
  PrecomputedNoiseSource,
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

/** Whether a source draws on the calling thread (core's sources) rather than on the worker. */
const drawsInline = (source: TrajectoryNoiseSource) => source instanceof PrefetchingNoiseSource || source instanceof PrecomputedNoiseSource;

/** Asks for sources until one comes from the worker (the first ones draw inline while it starts). */
async function workerSource(factory: ReturnType<typeof createWorkerNoiseSources>, seed: number, dims: readonly number[]) {
  for (let attempt = 0; attempt < 400; attempt++) {
    const source = factory.create(seed, dims);
    if (!drawsInline(source)) return source;
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

  it('draws ahead without changing the stream: 2,000 random prefetches and draws against TorchGenerator', async () => {
    // A 3-slot ring for the sample dims: the worker wraps around, sleeps on a full ring and is
    // woken, and any other request ends the run (rewinding past the draws taken) and restarts it.
    const sample = [1, 4, 8, 8];
    const factory = createWorkerNoiseSources({ minimumElements: 0, lookaheadBytes: 3 * 256 * 4 });
    try {
      const source = await workerSource(factory, 77, sample);
      const reference = new TorchGenerator(77);
      let state = 99;
      const random = (n: number): number => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return (state >>> 8) % n;
      };
      const others = [[5], [3, 37], [1, 4, 16, 16]];
      const kinds = { prefetched: 0, direct: 0, other: 0, uniform: 0 };
      let kept: { tensor: Tensor<'float32'>; expected: number[] } | undefined;
      for (let operation = 0; operation < 2000; operation++) {
        const choice = random(20);
        if (choice < 14) {
          // The denoising loop: prefetch, then draw the sample dims (a view of the ring).
          source.prefetch(sample);
          expect(bits(source.randn(sample)), `operation ${operation}: prefetched`).toEqual(bits(reference.randn(sample)));
          kinds.prefetched++;
        } else if (choice < 16) {
          const tensor = source.randn(sample); // no prefetch: the caller keeps it
          const expected = bits(reference.randn(sample));
          expect(bits(tensor), `operation ${operation}: direct`).toEqual(expected);
          kept = { tensor, expected };
          kinds.direct++;
        } else if (choice < 19) {
          const dims = others[random(others.length)]!;
          if (random(2) === 0) source.prefetch(sample); // a prefetch that is not used
          expect(bits(source.randn(dims)), `operation ${operation}: randn ${dims}`).toEqual(bits(reference.randn(dims)));
          kinds.other++;
        } else {
          expect(bits(source.rand([50])), `operation ${operation}: rand`).toEqual(bits(reference.rand([50])));
          kinds.uniform++;
        }
        if (kept) expect(bits(kept.tensor), `operation ${operation}: a kept draw is never overwritten`).toEqual(kept.expected);
      }
      expect(Math.min(...Object.values(kinds))).toBeGreaterThan(50);
      source.release();
    } finally {
      await factory.dispose();
    }
  });

  it('continues the right stream after a released trajectory that was drawing ahead', async () => {
    const factory = createWorkerNoiseSources({ minimumElements: 0 });
    try {
      const first = await workerSource(factory, 10, [1, 4, 8, 8]);
      first.prefetch([1, 4, 8, 8]);
      first.randn([1, 4, 8, 8]);
      first.release(); // the ring was full of unused draws
      // The hint says 5 draws; the trajectory takes 41: the worker is asked for more as needed.
      const second = factory.create(11, [1, 4, 8, 8], { draws: 5 });
      expect(drawsInline(second)).toBe(false);
      const reference = new TorchGenerator(11);
      expect(bits(second.randn([1, 4, 8, 8]))).toEqual(bits(reference.randn([1, 4, 8, 8])));
      for (let step = 0; step < 40; step++) {
        second.prefetch([1, 4, 8, 8]);
        expect(bits(second.randn([1, 4, 8, 8])), `step ${step}`).toEqual(bits(reference.randn([1, 4, 8, 8])));
      }
      second.release();
    } finally {
      await factory.dispose();
    }
  });

  it('draws samples below minimumElements inline without starting a thread', async () => {
    const factory = createWorkerNoiseSources({ minimumElements: 1000 });
    const source = factory.create(7, [1, 4, 8, 8]);
    expect(source).toBeInstanceOf(PrefetchingNoiseSource);
    expect(factory.activeWorkers).toBe(0);
    source.release();
    await factory.dispose();
  });

  it('draws a small trajectory whose draw count is known all at once, inline, on the same stream', async () => {
    const factory = createWorkerNoiseSources({ minimumElements: 1000 });
    const dims = [1, 4, 8, 8];
    const source = factory.create(7, dims, { draws: 51 });
    expect(source).toBeInstanceOf(PrecomputedNoiseSource);
    expect(factory.activeWorkers).toBe(0);
    const reference = new TorchGenerator(7);
    expect(bits(source.randn(dims))).toEqual(bits(reference.randn(dims)));
    for (let step = 0; step < 50; step++) {
      source.prefetch(dims);
      expect(bits(source.randn(dims)), `step ${step}`).toEqual(bits(reference.randn(dims)));
    }
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
    expect(() => createWorkerNoiseSources({ lookaheadBytes: Number.NaN })).toThrow(/lookaheadBytes must be a finite number ≥ 0, got NaN/);
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

describe('Kandinsky3Pipeline with worker noise sources', () => {
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
