import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { createAbortError, isAbortError } from './abort-error.js';
import { throwIfAborted } from './throw-if-aborted.js';

describe('throwIfAborted', () => {
  it('does nothing without a signal or before the signal fires', () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
  });

  it('throws ABORTED named AbortError, keeping the reason as cause and naming the operation', () => {
    const controller = new AbortController();
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    let thrown: unknown;
    try {
      throwIfAborted(controller.signal, 'UNet step 3 of 25');
    } catch (error) {
      thrown = error;
    }
    expect(KandinskyError.isInstance(thrown)).toBe(true);
    const error = thrown as KandinskyError;
    expect(error.code).toBe('ABORTED');
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe(reason);
    expect(error.message).toContain('UNet step 3 of 25');
    expect(error.message).toContain('user pressed stop');
    expect(error.details).toEqual({ operation: 'UNet step 3 of 25' });
  });

  it('keeps the default DOMException reason of abort() as cause', () => {
    const controller = new AbortController();
    controller.abort();
    const error = createAbortError(controller.signal, 'Decoding');
    expect((error.cause as Error).name).toBe('AbortError');
    expect(error.message).toMatch(/^Decoding was aborted \(reason: AbortError: /);
  });

  it('describes non-Error reasons', () => {
    const controller = new AbortController();
    controller.abort('timeout');
    expect(createAbortError(controller.signal, 'Loading').message).toBe('Loading was aborted (reason: timeout).');
  });
});

describe('isAbortError', () => {
  it('recognises ABORTED KandinskyErrors and DOMException AbortErrors only', () => {
    const controller = new AbortController();
    controller.abort();
    expect(isAbortError(createAbortError(controller.signal, 'x'))).toBe(true);
    expect(isAbortError(controller.signal.reason)).toBe(true);
    expect(isAbortError(new KandinskyError({ code: 'RUNTIME_ERROR', message: 'm', hint: 'h' }))).toBe(false);
    expect(isAbortError(new Error('AbortError'))).toBe(false);
    expect(isAbortError('AbortError')).toBe(false);
    expect(isAbortError(null)).toBe(false);
  });
});
