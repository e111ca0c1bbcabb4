import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { abortable } from './abortable.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('abortable', () => {
  it('passes the value through and removes its listener once settled', async () => {
    const controller = new AbortController();
    const pending = deferred<number>();
    const raced = abortable(pending.promise, controller.signal);
    expect(abortListeners(controller.signal)).toBe(1);
    pending.resolve(42);
    await expect(raced).resolves.toBe(42);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('passes a rejection through and removes its listener', async () => {
    const controller = new AbortController();
    const failure = new Error('kernel failed');
    await expect(abortable(Promise.reject(failure), controller.signal)).rejects.toBe(failure);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('leaves no listeners after many races on one long-lived signal', async () => {
    const controller = new AbortController();
    for (let step = 0; step < 200; step++) await abortable(Promise.resolve(step), controller.signal);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects with ABORTED as soon as the signal fires, before the work settles', async () => {
    const controller = new AbortController();
    const pending = deferred<string>();
    const raced = abortable(pending.promise, controller.signal, { operation: 'Running unet' });
    controller.abort(new Error('stop'));
    await expect(raced).rejects.toMatchObject({ code: 'ABORTED', name: 'AbortError', message: expect.stringContaining('Running unet') });
    expect(abortListeners(controller.signal)).toBe(0);
    // The late rejection of the abandoned work must not become an unhandled rejection.
    pending.reject(new Error('late failure'));
    await new Promise((resolve) => setTimeout(resolve, 0));
  });

  it('hands a value that arrives after the abort to onAbandonedResult', async () => {
    const controller = new AbortController();
    const pending = deferred<{ id: number }>();
    const onAbandonedResult = vi.fn();
    const raced = abortable(pending.promise, controller.signal, { onAbandonedResult });
    controller.abort();
    await expect(raced).rejects.toMatchObject({ code: 'ABORTED' });
    expect(onAbandonedResult).not.toHaveBeenCalled();
    const value = { id: 7 };
    pending.resolve(value);
    await vi.waitFor(() => expect(onAbandonedResult).toHaveBeenCalledWith(value));
  });

  it('rejects at once for an already-aborted signal, registers nothing, and still releases the late value', async () => {
    const controller = new AbortController();
    controller.abort('gone');
    const onAbandonedResult = vi.fn(() => {
      throw new Error('cleanup failed'); // must not surface as an unhandled rejection
    });
    const raced = abortable(Promise.resolve('session'), controller.signal, { onAbandonedResult });
    expect(abortListeners(controller.signal)).toBe(0);
    await expect(raced).rejects.toMatchObject({ code: 'ABORTED', cause: 'gone' });
    await vi.waitFor(() => expect(onAbandonedResult).toHaveBeenCalledWith('session'));
  });

  it('returns the promise unchanged in effect without a signal', async () => {
    await expect(abortable(Promise.resolve('x'), undefined)).resolves.toBe('x');
    const thenable: PromiseLike<number> = { then: (resolve) => Promise.resolve(5).then(resolve) };
    await expect(abortable(thenable, undefined)).resolves.toBe(5);
  });
});
