import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { kandinskyError } from '../errors/error-constructors.js';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { createModelSession } from './create-model-session.js';
import type { RunOptions, TensorMap } from './model-session.js';
import type { RawSession } from './raw-session.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Outputs = Record<string, Tensor>;

/**
 * A raw session whose runs finish when the test says so: every call is recorded with a deferred
 * result, and `release` calls are counted.
 */
function fakeRawSession() {
  const calls: { feeds: TensorMap; options: RunOptions; result: Deferred<Outputs> }[] = [];
  const fake = {
    calls,
    releases: 0,
    release: (): void | Promise<void> => {
      fake.releases += 1;
    },
    raw: undefined as unknown as RawSession,
  };
  fake.raw = {
    inputs: [
      { name: 'sample', dtype: 'float32', dims: ['B', 4] },
      { name: 'timestep', dtype: 'float32', dims: ['B'] },
    ],
    outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4] }],
    run: (feeds, options) => {
      const result = deferred<Outputs>();
      calls.push({ feeds, options, result });
      return result.promise;
    },
    release: () => fake.release(),
  };
  return fake;
}

const feeds = (batch = 1, timesteps = batch) => ({
  sample: createTensor('float32', [batch, 4]),
  timestep: createTensor('float32', [timesteps]),
});
const outputs = (): Outputs => ({ noise_pred: createTensor('float32', [1, 4], Float32Array.of(1, 2, 3, 4)) });

async function rejection(promise: Promise<unknown>): Promise<KandinskyError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (caught: unknown) => caught,
  );
  if (!KandinskyError.isInstance(error)) throw error;
  return error;
}

/** Lets every pending promise callback run. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createModelSession', () => {
  it('reports the raw specs and hands checked feeds and the run options to the runtime', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'unet' });
    expect(session.inputs).toBe(fake.raw.inputs);
    expect(session.outputs).toBe(fake.raw.outputs);
    expect(session.disposed).toBe(false);
    const input = feeds();
    const controller = new AbortController();
    const running = session.run(input, { signal: controller.signal });
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.feeds).toBe(input);
    expect(fake.calls[0]!.options.signal).toBe(controller.signal);
    const result = outputs();
    fake.calls[0]!.result.resolve(result);
    expect(await running).toBe(result);
    await session.dispose();
  });

  it('checks feeds on every run before the runtime sees them', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'unet' });
    const missing = await rejection(session.run({ sample: feeds().sample }));
    expect(missing).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('Invalid feeds for "unet"') });
    expect(missing.message).toContain('missing "timestep"');
    const dtype = await rejection(session.run({ ...feeds(), timestep: createTensor('int64', [1]) }));
    expect(dtype.code).toBe('DTYPE_MISMATCH');
    // A CFG batch of 2 with a timestep batch of 1: symbolic dimensions are checked by default.
    const batch = await rejection(session.run(feeds(2, 1)));
    expect(batch).toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('B=1') });
    expect(fake.calls).toHaveLength(0);
    await session.dispose();
  });

  it('leaves symbolic dimension consistency to the runtime when asked', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'unet', symbolicDimensions: false });
    const running = session.run(feeds(2, 1));
    expect(fake.calls).toHaveLength(1);
    fake.calls[0]!.result.resolve(outputs());
    await running;
    await session.dispose();
  });

  it('rejects a run whose signal already fired without calling the runtime', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'unet' });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const error = await rejection(session.run(feeds(), { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'ABORTED', name: 'AbortError' });
    expect((error.cause as Error).message).toBe('stop');
    expect(fake.calls).toHaveLength(0);
    await session.dispose();
  });

  it('releases an aborted caller at once, stays usable, and leaves no listener', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'unet' });
    const controller = new AbortController();
    const running = session.run(feeds(), { signal: controller.signal });
    controller.abort();
    // The runtime has not answered: the caller is released anyway.
    expect((await rejection(running)).code).toBe('ABORTED');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // Its late failure is swallowed, not reported as an unhandled rejection.
    fake.calls[0]!.result.reject(new Error('late'));
    const next = session.run(feeds());
    fake.calls[1]!.result.resolve(outputs());
    await expect(next).resolves.toHaveProperty('noise_pred');
    await session.dispose();
    expect(fake.releases).toBe(1);
  });

  it('dispose waits for runs in flight, abandoned ones included, then releases once', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'unet' });
    const controller = new AbortController();
    const abandoned = session.run(feeds(), { signal: controller.signal });
    controller.abort();
    await rejection(abandoned);
    const pending = session.run(feeds());
    const disposing = session.dispose();
    expect(session.disposed).toBe(true);
    // Later calls share the first call's promise: release happens once, when all have settled.
    expect(session.dispose()).toBe(disposing);
    await flush();
    expect(fake.releases).toBe(0);
    const result = outputs();
    fake.calls[1]!.result.resolve(result);
    // A run in flight when dispose was called settles normally.
    expect(await pending).toBe(result);
    await flush();
    expect(fake.releases).toBe(0);
    fake.calls[0]!.result.resolve(outputs());
    await disposing;
    expect(fake.releases).toBe(1);
    await session.dispose();
    expect(fake.releases).toBe(1);
  });

  it('rejects runs after dispose with SESSION_DISPOSED naming the model, without calling the runtime', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'base unet' });
    await session.dispose();
    const error = await rejection(session.run(feeds()));
    expect(error.code).toBe('SESSION_DISPOSED');
    expect(error.message).toContain('"base unet"');
    expect(error.hint).toContain('loadModel');
    expect(fake.calls).toHaveLength(0);
  });

  it('turns runtime throws into RUNTIME_ERROR with the original as cause, and keeps typed errors', async () => {
    const fake = fakeRawSession();
    const session = createModelSession(fake.raw, { label: 'unet' });
    const failing = session.run(feeds());
    const failure = new Error('kernel exploded');
    fake.calls[0]!.result.reject(failure);
    const error = await rejection(failing);
    expect(error.code).toBe('RUNTIME_ERROR');
    expect(error.cause).toBe(failure);
    expect(error.message).toContain('Running "unet" failed in the runtime: Error: kernel exploded');
    const typed = kandinskyError('DEVICE_UNAVAILABLE', 'lost the adapter', 'use cpu');
    const typedRun = session.run(feeds());
    fake.calls[1]!.result.reject(typed);
    expect(await rejection(typedRun)).toBe(typed);
    // Failed runs are no longer in flight: dispose releases at once.
    await session.dispose();
    expect(fake.releases).toBe(1);
  });

  it('normalises a runtime that throws synchronously, and does not wait for it on dispose', async () => {
    const fake = fakeRawSession();
    const failure = new TypeError('bad tensor');
    fake.raw = {
      ...fake.raw,
      run: () => {
        throw failure;
      },
    };
    const session = createModelSession(fake.raw);
    const error = await rejection(session.run(feeds()));
    expect(error).toMatchObject({ code: 'RUNTIME_ERROR', cause: failure });
    // Without a label the model is called "model".
    expect(error.message).toContain('Running "model" failed');
    await session.dispose();
    expect(fake.releases).toBe(1);
  });

  it('reports a failing release as RUNTIME_ERROR from every dispose call, releasing only once', async () => {
    const fake = fakeRawSession();
    const failure = new Error('double free');
    fake.release = () => {
      fake.releases += 1;
      return Promise.reject(failure);
    };
    const session = createModelSession(fake.raw, { label: 'movq' });
    const error = await rejection(session.dispose());
    expect(error).toMatchObject({ code: 'RUNTIME_ERROR', cause: failure });
    expect(error.message).toContain('Releasing "movq"');
    expect((await rejection(session.dispose())).cause).toBe(failure);
    expect(fake.releases).toBe(1);
    expect(session.disposed).toBe(true);
  });
});
