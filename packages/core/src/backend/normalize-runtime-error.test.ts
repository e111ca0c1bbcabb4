import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { normalizeRuntimeError } from './normalize-runtime-error.js';

describe('normalizeRuntimeError', () => {
  it('returns a KandinskyError untouched', () => {
    const original = new KandinskyError({ code: 'SHAPE_MISMATCH', message: 'm', hint: 'h' });
    expect(normalizeRuntimeError(original, { operation: 'Running unet' })).toBe(original);
  });

  it('wraps an Error as RUNTIME_ERROR quoting it and keeping it as cause', () => {
    const original = new TypeError("Non-zero status code returned while running Conv node. Name:'/conv_in/Conv'");
    const error = normalizeRuntimeError(original, { operation: 'Running unet', component: 'unet' });
    expect(error.code).toBe('RUNTIME_ERROR');
    expect(error.cause).toBe(original);
    expect(error.message).toBe(
      "Running unet failed in the runtime: TypeError: Non-zero status code returned while running Conv node. Name:'/conv_in/Conv'",
    );
    expect(error.details).toEqual({ operation: 'Running unet', component: 'unet', outOfMemory: false });
    expect(error.hint).toContain('error.cause');
  });

  it.each([
    'std::bad_alloc',
    'Failed to allocate memory for requested buffer of size 4294967296',
    'CUDA error cudaErrorMemoryAllocation: out of memory',
  ])('gives out-of-memory advice for %j', (text) => {
    const error = normalizeRuntimeError(new Error(text), { operation: 'Running sr_unet' });
    expect(error.code).toBe('RUNTIME_ERROR');
    expect(error.details.outOfMemory).toBe(true);
    expect(error.hint).toContain('smaller image or tile size');
  });

  it('describes thrown non-Errors', () => {
    expect(normalizeRuntimeError('plain string', { operation: 'Loading' }).message).toBe(
      'Loading failed in the runtime: plain string',
    );
    expect(normalizeRuntimeError({ status: 3 }, { operation: 'Loading' }).message).toBe(
      'Loading failed in the runtime: non-Error value {"status":3}',
    );
    expect(normalizeRuntimeError(new Error(''), { operation: 'Loading' }).message).toBe('Loading failed in the runtime: Error');
  });

  it('reports any failure after the signal fired as ABORTED with the reason as cause', () => {
    const controller = new AbortController();
    controller.abort('user');
    const error = normalizeRuntimeError(new Error('session run interrupted'), {
      operation: 'Running unet',
      signal: controller.signal,
    });
    expect(error.code).toBe('ABORTED');
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe('user');
  });

  it('turns an AbortError DOMException (e.g. from fetch) into ABORTED keeping it as cause', () => {
    const domAbort = new DOMException('This operation was aborted', 'AbortError');
    const error = normalizeRuntimeError(domAbort, { operation: 'Downloading unet' });
    expect(error.code).toBe('ABORTED');
    expect(error.cause).toBe(domAbort);
    expect(error.message).toContain('Downloading unet');
  });
});
