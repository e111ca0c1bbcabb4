import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KandinskyError, createRgbImage, type Kandinsky3, type ProgressEvent } from '@kandinsky/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend, loadControlNet, loadIpAdapter, loadKandinsky3, readImage } from './index.js';

// The library's bad-input suite (issue 20): every case rejects with a KandinskyError and a stable
// code, or is handled as documented (a warning naming what happened), on the real tiny model.
const tiny = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');
type Call = () => Promise<unknown>;

async function codeOf(call: Call): Promise<string> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a rejection').toBeDefined();
  if (!KandinskyError.isInstance(error)) throw new Error(`not a KandinskyError: ${String(error)}`, { cause: error });
  return error.code;
}

let kandinsky: Kandinsky3;
beforeAll(async () => {
  kandinsky = await loadKandinsky3(tiny, { device: 'cpu' });
});
afterAll(async () => {
  await kandinsky.dispose();
});

describe('bad input to the library: typed errors', () => {
  const image = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3));
  const cases: [string, () => Call, string][] = [
    ['textToImage()', () => () => (kandinsky.textToImage as () => Promise<unknown>)(), 'INVALID_ARGUMENT'],
    ['textToImage(null)', () => () => kandinsky.textToImage(null as never), 'INVALID_ARGUMENT'],
    ['textToImage("a prompt")', () => () => kandinsky.textToImage('a red circle' as never), 'INVALID_ARGUMENT'],
    ['flash(undefined)', () => () => kandinsky.flash(undefined as never), 'INVALID_ARGUMENT'],
    ['imageToImage(null)', () => () => kandinsky.imageToImage(null as never), 'INVALID_ARGUMENT'],
    ['inpaint(null)', () => () => kandinsky.inpaint(null as never), 'INVALID_ARGUMENT'],
    ['image: null', () => () => kandinsky.imageToImage({ prompt: 'x', image: null as never }), 'INVALID_IMAGE'],
    ['image: {}', () => () => kandinsky.imageToImage({ prompt: 'x', image: {} as never }), 'INVALID_IMAGE'],
    ['prompt: 5', () => () => kandinsky.textToImage({ prompt: 5 as never }), 'INVALID_ARGUMENT'],
    ['prompt missing', () => () => kandinsky.textToImage({} as never), 'INVALID_ARGUMENT'],
    ['seed: 1n (BigInt)', () => () => kandinsky.textToImage({ prompt: 'x', seed: 1n as never }), 'INVALID_ARGUMENT'],
    ['seeds: [1n]', () => () => kandinsky.textToImage({ prompt: 'x', seeds: [1n] as never }), 'INVALID_ARGUMENT'],
    ['seed: -1', () => () => kandinsky.textToImage({ prompt: 'x', seed: -1 }), 'INVALID_ARGUMENT'],
    ['seed: 2**53', () => () => kandinsky.textToImage({ prompt: 'x', seed: 2 ** 53 }), 'INVALID_ARGUMENT'],
    ['seed: "42"', () => () => kandinsky.textToImage({ prompt: 'x', seed: '42' as never }), 'INVALID_ARGUMENT'],
    ['count: 0', () => () => kandinsky.textToImage({ prompt: 'x', count: 0 }), 'INVALID_ARGUMENT'],
    ['count: 1.5', () => () => kandinsky.textToImage({ prompt: 'x', count: 1.5 }), 'INVALID_ARGUMENT'],
    ['seeds: []', () => () => kandinsky.textToImage({ prompt: 'x', seeds: [] }), 'INVALID_ARGUMENT'],
    ['width: 100', () => () => kandinsky.textToImage({ prompt: 'x', width: 100 }), 'INVALID_ARGUMENT'],
    ['width: -64', () => () => kandinsky.textToImage({ prompt: 'x', width: -64 }), 'INVALID_ARGUMENT'],
    ['width: NaN', () => () => kandinsky.textToImage({ prompt: 'x', width: Number.NaN }), 'INVALID_ARGUMENT'],
    ['99968x64', () => () => kandinsky.textToImage({ prompt: 'x', width: 99968, height: 64 }), 'IMAGE_TOO_LARGE'],
    ['maxPixels: 0', () => () => kandinsky.textToImage({ prompt: 'x', maxPixels: 0 }), 'INVALID_ARGUMENT'],
    ['steps: 0', () => () => kandinsky.textToImage({ prompt: 'x', steps: 0 }), 'INVALID_STEPS'],
    ['steps: 1001', () => () => kandinsky.textToImage({ prompt: 'x', steps: 1001 }), 'INVALID_STEPS'],
    ['steps: "4"', () => () => kandinsky.textToImage({ prompt: 'x', steps: '4' as never }), 'INVALID_STEPS'],
    ['guidanceScale: NaN', () => () => kandinsky.textToImage({ prompt: 'x', guidanceScale: Number.NaN }), 'INVALID_ARGUMENT'],
    ['guidanceScale: -1', () => () => kandinsky.textToImage({ prompt: 'x', guidanceScale: -1 }), 'INVALID_ARGUMENT'],
    ['guidanceScale: Infinity', () => () => kandinsky.textToImage({ prompt: 'x', guidanceScale: Number.POSITIVE_INFINITY }), 'INVALID_ARGUMENT'],
    ['strength: 2', () => () => kandinsky.imageToImage({ prompt: 'x', image, strength: 2 }), 'INVALID_STRENGTH'],
    ['signal: {}', () => () => kandinsky.textToImage({ prompt: 'x', signal: {} as never }), 'INVALID_ARGUMENT'],
    ['signal: null', () => () => kandinsky.textToImage({ prompt: 'x', signal: null as never }), 'INVALID_ARGUMENT'],
    ['signal already aborted', () => () => kandinsky.textToImage({ prompt: 'x', signal: AbortSignal.abort() }), 'ABORTED'],
    ['onProgress: 5', () => () => kandinsky.textToImage({ prompt: 'x', onProgress: 5 as never }), 'INVALID_ARGUMENT'],
    ['previewEvery: -1', () => () => kandinsky.textToImage({ prompt: 'x', previewEvery: -1 }), 'INVALID_ARGUMENT'],
    ['scheduler: "nope"', () => () => kandinsky.textToImage({ prompt: 'x', scheduler: 'nope' as never }), 'INVALID_ARGUMENT'],
    ['loadKandinsky3(undefined)', () => () => loadKandinsky3(undefined as never), 'INVALID_ARGUMENT'],
    ['loadKandinsky3(null)', () => () => loadKandinsky3(null as never), 'INVALID_ARGUMENT'],
    ['loadKandinsky3("")', () => () => loadKandinsky3(''), 'INVALID_ARGUMENT'],
    ['loadKandinsky3(dir, null)', () => () => loadKandinsky3(tiny, null as never), 'INVALID_ARGUMENT'],
    ['loadKandinsky3(missing)', () => () => loadKandinsky3('/nonexistent/model'), 'MODEL_NOT_FOUND'],
    ['loadKandinsky3(dir, { device: "tpu" })', () => () => loadKandinsky3(tiny, { device: 'tpu' as never }), 'INVALID_ARGUMENT'],
    ['loadIpAdapter(dir, null)', () => () => loadIpAdapter(tiny, null as never), 'INVALID_ARGUMENT'],
    ['loadControlNet(undefined)', () => () => loadControlNet(undefined as never), 'INVALID_ARGUMENT'],
    ['createNodeBackend(null)', () => () => createNodeBackend(null as never), 'INVALID_ARGUMENT'],
    ['createNodeBackend({ maxMemoryBytes: -1 })', () => () => createNodeBackend({ maxMemoryBytes: -1 }), 'INVALID_ARGUMENT'],
    ['readImage(null)', () => () => readImage(null as never), 'INVALID_ARGUMENT'],
    ['readImage(undefined)', () => () => readImage(undefined as never), 'INVALID_ARGUMENT'],
    ['readImage(42)', () => () => readImage(42 as never), 'INVALID_ARGUMENT'],
    ['readImage(path, null)', () => () => readImage('x.png', null as never), 'INVALID_ARGUMENT'],
    ['readImage(missing)', () => () => readImage('/nonexistent/x.png'), 'INVALID_IMAGE'],
    ['readImage(garbage bytes)', () => () => readImage(new Uint8Array([1, 2, 3])), 'INVALID_IMAGE'],
    ['readImage(maxPixels: 0)', () => () => readImage(new Uint8Array(8), { maxPixels: 0 }), 'INVALID_ARGUMENT'],
  ];
  for (const [name, make, code] of cases) {
    it(name, async () => {
      expect(await codeOf(make())).toBe(code);
    });
  }

  it('a manifest without movq_decoder is refused when the folder opens, not after denoising', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-no-movq-'));
    cpSync(tiny, folder, { recursive: true, filter: (path) => !path.includes('reference') });
    const index = JSON.parse(readFileSync(join(folder, 'model_index.json'), 'utf8')) as { components: Record<string, unknown> };
    delete index.components.movq_decoder;
    writeFileSync(join(folder, 'model_index.json'), JSON.stringify(index));
    expect(await codeOf(() => loadKandinsky3(folder, { device: 'cpu' }))).toBe('INVALID_MODEL_MANIFEST');
  });

  it('an odd-length null_embedding.bin is INVALID_MODEL_MANIFEST, not a RangeError', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-odd-'));
    cpSync(tiny, folder, { recursive: true, filter: (path) => !path.includes('reference') });
    const file = join(folder, 'text_projection', 'null_embedding.bin');
    writeFileSync(file, readFileSync(file).subarray(1));
    const odd = await loadKandinsky3(folder, { device: 'cpu' });
    try {
      expect(await codeOf(() => odd.textToImage({ prompt: 'x', steps: 1 }))).toBe('INVALID_MODEL_MANIFEST');
    } finally {
      await odd.dispose();
    }
  });
});

describe('bad input to the library: silent changes are reported', () => {
  const warnings = (events: ProgressEvent[]) => events.flatMap((e) => (e.type === 'warning' ? [`${e.code}: ${e.message}`] : []));

  it('a step count the original grid cannot hold warns with the count run (300 → 250)', async () => {
    const events: ProgressEvent[] = [];
    const result = await kandinsky.textToImage({ prompt: 'a red circle', seed: 1, steps: 300, onProgress: (e) => events.push(e) });
    // range(999, 0, -(1000 // 300)) in the reference: stride 4, 250 timesteps (spec §4.2).
    expect(result.parameters.steps).toBe(250);
    expect(warnings(events)).toEqual(['STEPS_ADJUSTED: Kandinsky3Sampler runs 250 steps, not the 300 asked for: its timestep grid cannot hold 300.']);
  });

  it('no warning when the grid holds the count', async () => {
    const events: ProgressEvent[] = [];
    await kandinsky.textToImage({ prompt: 'a red circle', seed: 1, steps: 4, onProgress: (e) => events.push(e) });
    expect(warnings(events)).toEqual([]);
  });

  it('flash({ steps }) warns OPTION_IGNORED and runs its 4 steps', async () => {
    const events: ProgressEvent[] = [];
    const result = await kandinsky.flash({ prompt: 'a red circle', seed: 1, steps: 10, onProgress: (e) => events.push(e) } as never);
    expect(result.parameters.steps).toBe(4);
    expect(warnings(events)).toEqual(['OPTION_IGNORED: Flash ignores steps (10): its own sampler always runs its 4 distilled steps (spec §4.3); pass scheduler: "lcm" to choose the count.']);
  });

  it('guidance 1e308 is NON_FINITE_OUTPUT instead of a black image', async () => {
    expect(await codeOf(() => kandinsky.textToImage({ prompt: 'a red circle', seed: 1, steps: 2, guidanceScale: 1e308 }))).toBe('NON_FINITE_OUTPUT');
    // The pipeline stays usable afterwards.
    const { images } = await kandinsky.textToImage({ prompt: 'a red circle', seed: 1, steps: 2 });
    expect(Math.max(...images[0]!.data)).toBeGreaterThan(0);
  });
});

describe('concurrency on the real tiny model', () => {
  it('lowMemory: three concurrent calls succeed (they failed with SESSION_DISPOSED), and dispose() mid-call waits', async () => {
    const low = await loadKandinsky3(tiny, { device: 'cpu', lowMemory: true });
    const calls = [1, 2, 3].map((seed) => low.textToImage({ prompt: 'a red circle on a white background', seed, steps: 2 }));
    const disposed = low.dispose();
    const results = await Promise.all(calls);
    await disposed;
    expect(results.map((r) => r.seeds[0])).toEqual([1, 2, 3]);
    const alone = await low.textToImage({ prompt: 'a red circle on a white background', seed: 3, steps: 2 });
    expect(Buffer.from(results[2]!.images[0]!.data).equals(Buffer.from(alone.images[0]!.data))).toBe(true);
    await low.dispose();
  });
});
