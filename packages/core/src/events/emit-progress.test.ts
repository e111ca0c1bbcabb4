import { afterEach, describe, expect, it, vi } from 'vitest';
import { emitProgress } from './emit-progress.js';
import type { ProgressEvent } from './progress-event.js';

const step: ProgressEvent = { type: 'step', stage: 'denoise', index: 2, total: 25, timestep: 919 };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('emitProgress', () => {
  it('delivers the event to the callback, unchanged', () => {
    const received: ProgressEvent[] = [];
    emitProgress((event) => received.push(event), step);
    expect(received).toEqual([step]);
    expect(received[0]).toBe(step);
  });

  it('does nothing without a callback', () => {
    expect(() => emitProgress(undefined, step)).not.toThrow();
  });

  it('isolates a throwing callback and hands the error and event to onCallbackError', () => {
    const failure = new Error('progress bar broke');
    const onCallbackError = vi.fn();
    expect(() =>
      emitProgress(
        () => {
          throw failure;
        },
        step,
        onCallbackError,
      ),
    ).not.toThrow();
    expect(onCallbackError).toHaveBeenCalledExactlyOnceWith(failure, step);
  });

  it('catches the rejection of an async callback instead of leaving it unhandled', async () => {
    const failure = new Error('async bar broke');
    const onCallbackError = vi.fn();
    emitProgress(async () => Promise.reject(failure), step, onCallbackError);
    await vi.waitFor(() => expect(onCallbackError).toHaveBeenCalledWith(failure, step));
  });

  it('survives an error handler that throws too', () => {
    expect(() =>
      emitProgress(
        () => {
          throw new Error('one');
        },
        step,
        () => {
          throw new Error('two');
        },
      ),
    ).not.toThrow();
  });

  it('reports through reportError when the platform has it', () => {
    const reportError = vi.fn();
    vi.stubGlobal('reportError', reportError);
    const failure = new Error('x');
    emitProgress(() => {
      throw failure;
    }, step);
    expect(reportError).toHaveBeenCalledExactlyOnceWith(failure);
  });

  it('falls back to console.error naming the event type (Node has no reportError)', () => {
    vi.stubGlobal('reportError', undefined);
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failure = new Error('x');
    emitProgress(() => {
      throw failure;
    }, step);
    expect(consoleError).toHaveBeenCalledTimes(1);
    expect(consoleError.mock.calls[0]?.[0]).toContain('"step"');
    expect(consoleError.mock.calls[0]?.[1]).toBe(failure);
  });

  it('lets a callback abort the work through its signal, the supported way to stop', () => {
    const controller = new AbortController();
    emitProgress((event) => {
      if (event.type === 'step' && event.index === 2) controller.abort();
    }, step);
    expect(controller.signal.aborted).toBe(true);
  });
});
