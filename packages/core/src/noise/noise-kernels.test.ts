import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalBlocksFromWords } from './box-muller-float32.js';
import { MersenneTwister } from './mersenne-twister.js';
import { NOISE_KERNEL_CAPACITY, noiseKernels, type NoiseKernels } from './noise-kernels.js';

const UNIFORMS = 1 << 24;
/** The uniform k for which the radius √(−2·log(1 − k·2⁻²⁴)) is exactly 1 (box-muller-float32.test.ts). */
const RADIUS_ONE = 6601320;
const repository = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

function kernelsHere(): NoiseKernels {
  const kernels = noiseKernels();
  if (kernels === null) throw new Error('the WebAssembly noise kernels did not instantiate in this Node');
  return kernels;
}

/** `words` through the WebAssembly Box–Muller and through the JavaScript one; differing words. */
function differences(kernels: NoiseKernels, words: Uint32Array): { count: number; first?: string } {
  kernels.words.set(words);
  kernels.toNormals(words.length);
  const expected = words.slice();
  normalBlocksFromWords(expected, new Float32Array(expected.buffer), 0, expected.length);
  let count = 0;
  let first: string | undefined;
  for (let i = 0; i < words.length; i++) {
    if (kernels.words[i] === expected[i]) continue;
    count++;
    first ??= `word ${i} (input ${words[i]}): ${kernels.normals[i]} vs ${new Float32Array(expected.buffer)[i]}`;
  }
  return { count, ...(first ? { first } : {}) };
}

describe('noiseKernels (WebAssembly SIMD)', () => {
  it('instantiates in Node (WebAssembly with SIMD), compiled from a binary under 4 KiB', async () => {
    const kernels = kernelsHere();
    expect(kernels.words.length).toBe(NOISE_KERNEL_CAPACITY);
    expect(kernels.normals.buffer).toBe(kernels.words.buffer);
    expect(kernels.state.length).toBe(624);
    const { NOISE_KERNELS_WASM } = await import('./noise-kernels-bytes.js');
    expect((NOISE_KERNELS_WASM.length * 3) / 4).toBeLessThan(4096);
    expect(noiseKernels()).toBe(kernels); // one instance per realm
  });

  it('fills MT19937 words exactly as MersenneTwister.fillUint32, across twists and partial blocks', () => {
    const kernels = kernelsHere();
    for (const seed of [0, 1, 5489, 2 ** 32 - 1, 123456789]) {
      const reference = new MersenneTwister(seed);
      const engine = new MersenneTwister(seed);
      // Runs that end inside a block, on its edge, across one twist and across several.
      for (const count of [1, 3, 4, 5, 16, 600, 23, 624, 624, 625, 1247, 1249, 13056, NOISE_KERNEL_CAPACITY, 7]) {
        const expected = new Uint32Array(count);
        reference.fillUint32(expected);
        engine.fillKernelWords(kernels, count);
        expect(Array.from(kernels.words.subarray(0, count))).toEqual(Array.from(expected));
        // The engine continues the same stream on the JavaScript path too.
        expect(engine.nextUint32()).toBe(reference.nextUint32());
      }
    }
  });

  it('leaves another generator\'s stream alone (each copies its own state in)', () => {
    const kernels = kernelsHere();
    const [a, b] = [new MersenneTwister(1), new MersenneTwister(2)];
    const [ra, rb] = [new MersenneTwister(1), new MersenneTwister(2)];
    for (const count of [700, 300, 1300]) {
      for (const [engine, reference] of [
        [a, ra],
        [b, rb],
      ] as const) {
        const expected = new Uint32Array(count);
        reference.fillUint32(expected);
        engine.fillKernelWords(kernels, count);
        expect(Array.from(kernels.words.subarray(0, count))).toEqual(Array.from(expected));
      }
    }
  });

  // As in box-muller-float32.test.ts: each output is round32(radius(u1) · ±trig(u2)) + 0, so all
  // 2^24 values of u1 against u2 = 0 (cos = 1) and all 2^24 values of u2 against the u1 of radius
  // 1 cover every pair. The JavaScript kernel is proven there against the reference transcription.
  it('is bit-identical to normalBlocksFromWords for all 2^24 values of u1 and of u2', () => {
    const kernels = kernelsHere();
    const words = new Uint32Array(NOISE_KERNEL_CAPACITY);
    const pairs = NOISE_KERNEL_CAPACITY / 2;
    let count = 0;
    let first: string | undefined;
    for (const role of ['u1', 'u2'] as const) {
      for (let from = 0; from < UNIFORMS; from += pairs) {
        for (let pair = 0; pair < pairs; pair++) {
          const slot = (pair >> 3) * 16 + (pair & 7);
          // High bits set: only the low 24 bits of a word may count.
          words[slot] = ((role === 'u1' ? from + pair : RADIUS_ONE) | 0xa5000000) >>> 0;
          words[slot + 8] = ((role === 'u2' ? from + pair : 0) | 0x5a000000) >>> 0;
        }
        const found = differences(kernels, words);
        count += found.count;
        first ??= found.first;
      }
    }
    expect(first).toBeUndefined();
    expect(count).toBe(0);
  }, 120_000);

  it('is bit-identical to normalBlocksFromWords on random words, and sees a one-bit change', () => {
    const kernels = kernelsHere();
    const words = new Uint32Array(NOISE_KERNEL_CAPACITY);
    new MersenneTwister(20261128).fillUint32(words);
    expect(differences(kernels, words)).toEqual({ count: 0 });
    // The comparison can fail: the lowest bit of one uniform moves both normals of its pair.
    kernels.words.set(words.subarray(0, 16));
    kernels.toNormals(16);
    const normals = Array.from(kernels.normals.subarray(0, 16));
    const nudged = words.slice(0, 16);
    nudged[3] = nudged[3]! ^ 1;
    kernels.words.set(nudged);
    kernels.toNormals(16);
    const changed = Array.from(kernels.normals.subarray(0, 16));
    expect(changed.map((value, i) => value !== normals[i])).toEqual(Array.from({ length: 16 }, (_, i) => i === 3 || i === 11));
  });

  it('refuses to fill more words than its buffer holds (they would run into the state)', () => {
    const kernels = kernelsHere();
    const engine = new MersenneTwister(1);
    expect(() => engine.fillKernelWords(kernels, NOISE_KERNEL_CAPACITY + 1)).toThrow(RangeError);
    expect(() => engine.fillKernelWords(kernels, -1)).toThrow(RangeError);
    // Nothing was drawn.
    expect(engine.nextUint32()).toBe(new MersenneTwister(1).nextUint32());
  });

  it('transforms only the words it is given (count words from index 0)', () => {
    const kernels = kernelsHere();
    kernels.words.fill(0x12345678, 0, 64);
    kernels.toNormals(32);
    expect(Array.from(kernels.words.subarray(32, 64))).toEqual(new Array(32).fill(0x12345678));
    expect(Array.from(kernels.words.subarray(0, 32))).not.toContain(0x12345678);
  });

  it('is what tools/wasm/build-noise-kernels.mjs makes from its source (text and binary)', () => {
    const run = spawnSync(process.execPath, [resolve(repository, 'tools/wasm/build-noise-kernels.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 60_000);
});
