import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { compareLargeDraws, compareSequences, compareSingleDraws } from './test-support/torch-generator-fixture.js';
import { TorchGenerator } from './torch-generator.js';

describe('TorchGenerator vs torch.Generator().manual_seed(seed) on CPU', () => {
  it('reproduces single randn/rand draws of every size bit for bit', () => {
    const result = compareSingleDraws();
    expect(result.firstMismatch).toBeUndefined();
    expect(result.values).toBeGreaterThan(15000);
    expect(result.identical).toBe(result.values);
  });

  it('continues the stream across mixed scalar, vectorised and uniform draws', () => {
    const result = compareSequences();
    expect(result.firstMismatch).toBeUndefined();
    expect(result.identical).toBe(result.values);
  });

  it('reproduces 1×4×128×128 latents exactly (hash of all bits)', () => {
    const result = compareLargeDraws();
    expect(result.edges.firstMismatch).toBeUndefined();
    expect(result.hashesMatching).toBe(result.cases);
  });

  it('matches the well-known torch.manual_seed(0) randn values', () => {
    // torch.randn(3, generator=torch.Generator().manual_seed(0)) == [1.5410, -0.2934, -2.1788]
    const values = Array.from(new TorchGenerator(0).randn([3]).data);
    expect(values.map((v) => Number(v.toFixed(4)))).toEqual([1.541, -0.2934, -2.1788]);
  });

  it('reports the seed as torch.initial_seed() does', () => {
    expect(new TorchGenerator(-1).initialSeed).toBe(2n ** 64n - 1n);
    expect(new TorchGenerator(2n ** 63n - 1n).initialSeed).toBe(2n ** 63n - 1n);
    expect(new TorchGenerator(42).initialSeed).toBe(42n);
  });

  it('clone() continues the same stream independently, including the cached normal', () => {
    const generator = new TorchGenerator(7);
    generator.randn([1]); // leaves the sine half of the scalar Box–Muller pair cached
    const copy = generator.clone();
    const a = [...generator.randn([3]).data, ...generator.randn([20]).data];
    const b = [...copy.randn([3]).data, ...copy.randn([20]).data];
    expect(b).toEqual(a);
  });

  it('fills a subarray view (non-zero byte offset) exactly like a fresh tensor', () => {
    const buffer = new Float32Array(64);
    const view = buffer.subarray(5, 5 + 37);
    new TorchGenerator(11).fillNormal(view);
    expect(Array.from(view)).toEqual(Array.from(new TorchGenerator(11).randn([37]).data));
    expect(buffer[4]).toBe(0);
    expect(buffer[42]).toBe(0);
  });

  it('draws nothing for an empty tensor', () => {
    const generator = new TorchGenerator(3);
    expect(generator.randn([0]).data.length).toBe(0);
    expect(generator.randn([4]).data).toEqual(new TorchGenerator(3).randn([4]).data);
  });

  it('fills a 4×128×128 latent in milliseconds, not hundreds', () => {
    const generator = new TorchGenerator(1);
    generator.randn([4, 128, 128]); // warm up the JIT
    // CPU time, not wall time: CI machines are shared. Typical is well under 20 ms.
    const before = process.cpuUsage();
    generator.randn([4, 128, 128]);
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(150);
  });

  it('rejects a fractional seed, naming it', () => {
    const error = catchError(() => new TorchGenerator(1.5));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('1.5');
  });

  it('rejects a seed outside [-2^63, 2^64), naming it', () => {
    const error = catchError(() => new TorchGenerator(2n ** 64n));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('18446744073709551616');
  });

  it('rejects invalid dims with SHAPE_MISMATCH', () => {
    const error = catchError(() => new TorchGenerator(0).randn([2, -1]));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('-1');
  });

  it('rejects a non-Float32Array output buffer', () => {
    const error = catchError(() => new TorchGenerator(0).fillNormal(new Float64Array(4) as never));
    expect(error.code).toBe('DTYPE_MISMATCH');
    expect(error.message).toContain('Float64Array');
  });
});

function catchError(action: () => unknown): KandinskyError {
  try {
    action();
  } catch (error) {
    if (KandinskyError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a KandinskyError');
}
