import { describe, expect, it } from 'vitest';
import { cephesLogFloat32, cephesSinCosFloat32 } from './test-support/avx-math-float32.js';
import { MersenneTwister } from './mersenne-twister.js';
import { TWO_PI_FLOAT, normalBlocksFromWords } from './box-muller-float32.js';
import { normalBlocksFromWordsReference } from './test-support/box-muller-reference.js';

const f = Math.fround;
const UNIFORMS = 1 << 24;
const PAIRS = 1 << 15;
/** The uniform k for which the reference radius √(−2·log(1 − k·2⁻²⁴)) is exactly 1. */
const RADIUS_ONE = 6601320;

/**
 * Runs the fast kernel over blocks that pair each k in [from, from + PAIRS) with `partner`:
 * k as u1 (lanes 0–7) against u2 = partner, or k as u2 (lanes 8–15) against u1 = partner. High
 * bits are set to show that only the low 24 bits count. Returns the outputs as float32.
 */
function runFast(from: number, role: 'u1' | 'u2', partner: number): Float32Array {
  const words = new Uint32Array(2 * PAIRS);
  for (let pair = 0; pair < PAIRS; pair++) {
    const block = (pair >> 3) * 16;
    const lane = pair & 7;
    words[block + lane] = ((role === 'u1' ? from + pair : partner) | 0xa5000000) >>> 0;
    words[block + lane + 8] = ((role === 'u2' ? from + pair : partner) | 0x5a000000) >>> 0;
  }
  const out = new Float32Array(words.buffer);
  normalBlocksFromWords(words, out, 0, words.length);
  return out;
}

/** Where each pair's two outputs sit in {@link runFast}'s blocks. */
const cosineSlot = (pair: number) => (pair >> 3) * 16 + (pair & 7);

describe('normalBlocksFromWords (fast Box–Muller) vs the reference transcription', () => {
  it('has the known fixed points: radius 1 at k = 6601320, cos 0 = 1, sin 0 = 0', () => {
    const words = new Uint32Array(16);
    words.fill(RADIUS_ONE, 0, 8);
    const expected = [...new Array(8).fill(1), ...new Array(8).fill(0)];
    const reference = words.slice();
    normalBlocksFromWordsReference(reference, new Float32Array(reference.buffer), 0, 16);
    expect(Array.from(new Float32Array(reference.buffer))).toEqual(expected);
    normalBlocksFromWords(words, new Float32Array(words.buffer), 0, 16);
    expect(Array.from(new Float32Array(words.buffer))).toEqual(expected);
  });

  // Each output is round32(radius(u1) · ±trig(u2)) + 0 of two float32s computed independently. With
  // u2 = 0 the outputs are the radius itself (cos 0 = 1), and with the u1 whose radius is 1 they
  // are the signed cos and sin themselves: comparing those with the reference functions on all
  // 2^24 inputs of each half proves bit-identity for all 2^48 pairs. This is the proof behind
  // the shortcuts documented in box-muller-float32.ts.
  it('is bit-identical for all 2^24 values of u1 and all 2^24 values of u2', () => {
    const sinCos = new Float64Array(2);
    // Expected outputs in the fast kernel's layout, compared as bit patterns (−0 ≠ +0).
    const expectedRadii = new Float32Array(2 * PAIRS);
    const expectedTrig = new Float32Array(2 * PAIRS);
    let differing = 0;
    let first: string | undefined;
    for (let from = 0; from < UNIFORMS; from += PAIRS) {
      for (let pair = 0; pair < PAIRS; pair++) {
        const k = from + pair;
        const slot = cosineSlot(pair);
        expectedRadii[slot] = f(Math.sqrt(f(-2 * cephesLogFloat32(f(1 - k * 2 ** -24))))) + 0;
        expectedRadii[slot + 8] = 0;
        cephesSinCosFloat32(f(TWO_PI_FLOAT * (k * 2 ** -24)), sinCos);
        expectedTrig[slot] = sinCos[1]! + 0;
        expectedTrig[slot + 8] = sinCos[0]! + 0;
      }
      for (const [actual, expected] of [
        [runFast(from, 'u1', 0), expectedRadii],
        [runFast(from, 'u2', RADIUS_ONE), expectedTrig],
      ] as const) {
        const actualBits = new Uint32Array(actual.buffer);
        const expectedBits = new Uint32Array(expected.buffer);
        for (let i = 0; i < actualBits.length; i++) {
          if (actualBits[i] === expectedBits[i]) continue;
          differing++;
          first ??= `${expected === expectedRadii ? 'radius' : 'sincos'} near k = ${from}, slot ${i}: ${actual[i]} vs ${expected[i]}`;
        }
      }
    }
    expect(first).toBeUndefined();
    expect(differing).toBe(0);
  }, 120_000);

  it('is bit-identical to the reference block transform on 2^20 random pairs', () => {
    const words = new Uint32Array(1 << 21);
    new MersenneTwister(20240601).fillUint32(words);
    const fast = words.slice();
    const reference = words.slice();
    normalBlocksFromWords(fast, new Float32Array(fast.buffer), 0, fast.length);
    normalBlocksFromWordsReference(reference, new Float32Array(reference.buffer), 0, reference.length);
    let differing = 0;
    for (let i = 0; i < words.length; i++) if (fast[i] !== reference[i]) differing++;
    expect(differing).toBe(0);
  });

  it('fails on a one-ulp change (the comparison can see a difference)', () => {
    const words = new Uint32Array(16).fill(123456789);
    const fast = words.slice();
    normalBlocksFromWords(fast, new Float32Array(fast.buffer), 0, 16);
    const nudged = new Uint32Array(fast);
    nudged[3]! += 1;
    expect(Array.from(nudged)).not.toEqual(Array.from(fast));
    const reference = words.slice();
    normalBlocksFromWordsReference(reference, new Float32Array(reference.buffer), 0, 16);
    expect(Array.from(fast)).toEqual(Array.from(reference));
  });

  it('leaves words outside [start, end) alone', () => {
    const words = new Uint32Array(48).fill(0x12345678);
    normalBlocksFromWords(words, new Float32Array(words.buffer), 16, 32);
    expect(Array.from(words.subarray(0, 16))).toEqual(new Array(16).fill(0x12345678));
    expect(Array.from(words.subarray(32))).toEqual(new Array(16).fill(0x12345678));
    expect(Array.from(words.subarray(16, 32))).not.toContain(0x12345678);
  });
});
