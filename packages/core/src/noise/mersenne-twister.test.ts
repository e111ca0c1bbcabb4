import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { MersenneTwister, torchSeedToUint32 } from './mersenne-twister.js';

describe('MersenneTwister', () => {
  it('matches the MT19937 reference outputs for the default seed 5489', () => {
    const engine = new MersenneTwister(5489);
    // mt19937ar.c with init_genrand(5489): first outputs.
    expect([engine.nextUint32(), engine.nextUint32(), engine.nextUint32()]).toEqual([
      3499211612, 581869302, 3890346734,
    ]);
  });

  it('gives 4123659995 as its 10000th output (the C++ standard check for std::mt19937)', () => {
    const engine = new MersenneTwister(5489);
    let value = 0;
    for (let i = 0; i < 10000; i++) value = engine.nextUint32();
    expect(value).toBe(4123659995);
  });

  it('fillUint32 continues the same stream as nextUint32 across twists', () => {
    const a = new MersenneTwister(12345);
    const b = new MersenneTwister(12345);
    a.nextUint32();
    b.nextUint32();
    const filled = new Uint32Array(1500);
    a.fillUint32(filled);
    for (let i = 0; i < filled.length; i++) expect(filled[i]).toBe(b.nextUint32());
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('clone() is independent and continues the stream', () => {
    const engine = new MersenneTwister(99);
    for (let i = 0; i < 700; i++) engine.nextUint32();
    const copy = engine.clone();
    const expected = [engine.nextUint32(), engine.nextUint32()];
    expect([copy.nextUint32(), copy.nextUint32()]).toEqual(expected);
  });
});

describe('torchSeedToUint32', () => {
  it('keeps the low 32 bits of the uint64 seed like torch manual_seed', () => {
    expect(torchSeedToUint32(5)).toBe(5);
    expect(torchSeedToUint32(2 ** 32 + 5)).toBe(5);
    expect(torchSeedToUint32(-1)).toBe(0xffffffff);
    expect(torchSeedToUint32(2n ** 64n - 1n)).toBe(0xffffffff);
    expect(torchSeedToUint32(-(2n ** 63n))).toBe(0);
  });

  it.each([
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
    [2 ** 60, String(2 ** 60)],
    [2n ** 64n, '18446744073709551616'],
    [-(2n ** 63n) - 1n, '-9223372036854775809'],
  ])('rejects %s with INVALID_ARGUMENT naming it', (seed, shown) => {
    let caught: unknown;
    try {
      torchSeedToUint32(seed as number | bigint);
    } catch (error) {
      caught = error;
    }
    expect(KandinskyError.isInstance(caught)).toBe(true);
    expect((caught as KandinskyError).code).toBe('INVALID_ARGUMENT');
    expect((caught as KandinskyError).message).toContain(shown);
  });
});
