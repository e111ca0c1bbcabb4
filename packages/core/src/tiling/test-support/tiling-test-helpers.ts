// Shared helpers of the tiling tests (not part of the public API).
import { expect } from 'vitest';
import { KandinskyError } from '../../errors/kandinsky-error.js';

/** A small deterministic PRNG (mulberry32) for seeded property loops. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [low, high]. */
export function randomInteger(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** Float32 data of standard-ish values. */
export function randomData(random: () => number, length: number): Float32Array {
  const data = new Float32Array(length);
  for (let index = 0; index < length; index++) data[index] = random() * 4 - 2;
  return data;
}

/** Asserts that `run` throws a KandinskyError with `code` whose message contains every `named`. */
export function expectKandinskyError(run: () => unknown, code: string, ...named: string[]): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(KandinskyError.isInstance(thrown), `expected a KandinskyError ${code}`).toBe(true);
  expect((thrown as KandinskyError).code).toBe(code);
  for (const text of named) expect((thrown as KandinskyError).message).toContain(text);
}
