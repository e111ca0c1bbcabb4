import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import type { ProgressEvent } from '../events/progress-event.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { MockBackend, type MockModel } from './mock-backend.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

// A stand-in UNet with the spec §2.4 signature (trimmed to two inputs): ε = sample / 2 + t / 1000.
const unet: MockModel = {
  inputs: [
    { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
    { name: 'timestep', dtype: 'float32', dims: ['B'] },
  ],
  outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
  compute: (feeds) => {
    const sample = feeds.sample as Tensor<'float32'>;
    const timestep = feeds.timestep as Tensor<'float32'>;
    const out = createTensor('float32', sample.dims);
    const perBatch = out.data.length / (timestep.dims[0] ?? 1);
    for (let i = 0; i < out.data.length; i++) {
      out.data[i] = (sample.data[i] as number) / 2 + (timestep.data[Math.floor(i / perBatch)] as number) / 1000;
    }
    return { noise_pred: out };
  },
};

function feeds(batch = 1) {
  const sample = createTensor('float32', [batch, 4, 2, 2], new Float32Array(batch * 16).fill(1));
  const timestep = createTensor('float32', [batch], new Float32Array(batch).fill(500));
  return { sample, timestep };
}

async function rejection(promise: Promise<unknown>): Promise<KandinskyError> {
  try {
    await promise;
  } catch (error) {
    if (KandinskyError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('MockBackend', () => {
  it('reports its name, device and capabilities', () => {
    const backend = new MockBackend({ device: 'webgpu', capabilities: { maxMemoryBytes: 2 ** 30 } });
    expect(backend.name).toBe('mock');
    expect(backend.device).toBe('webgpu');
    expect(backend.capabilities).toEqual({ maxMemoryBytes: 2 ** 30 });
    expect(new MockBackend().capabilities).toEqual({ maxMemoryBytes: undefined });
  });

  it('loads a registered model and runs its compute function', async () => {
    const backend = new MockBackend().register('unet', unet);
    const session = await backend.loadModel('unet');
    expect(session.inputs).toBe(unet.inputs);
    expect(session.outputs.map((spec) => spec.name)).toEqual(['noise_pred']);
    const { noise_pred } = await session.run(feeds());
    expect(noise_pred?.dims).toEqual([1, 4, 2, 2]);
    expect(Array.from(noise_pred?.data as Float32Array)).toEqual(new Array(16).fill(1 / 2 + 500 / 1000));
    await session.dispose();
  });

  it('accepts async compute functions and passes the run context', async () => {
    const compute = vi.fn(async (_feeds, context) => {
      expect(context.model).toBe('unet');
      return unet.compute(_feeds, context);
    });
    const backend = new MockBackend().register('unet', { ...unet, compute });
    const session = await backend.loadModel('unet');
    await session.run(feeds());
    await session.run(feeds());
    expect(compute.mock.calls.map(([, context]) => context.callIndex)).toEqual([0, 1]);
    await session.dispose();
  });

  it('records every run with feed dims, outcome and duration', async () => {
    const backend = new MockBackend().register('unet', unet);
    const session = await backend.loadModel('unet');
    await session.run(feeds(2));
    await rejection(session.run({ sample: feeds().sample }));
    expect(backend.runs).toHaveLength(2);
    const [ok, failed] = backend.runsOf('unet');
    expect(ok?.feeds).toEqual({
      sample: { dtype: 'float32', dims: [2, 4, 2, 2] },
      timestep: { dtype: 'float32', dims: [2] },
    });
    expect(ok?.outcome).toBe('ok');
    expect(ok?.sessionId).toBe(session.id);
    expect(ok?.durationMs).toBeGreaterThanOrEqual(0);
    expect(failed?.outcome).toBe('error');
    expect(failed?.error?.code).toBe('INVALID_ARGUMENT');
    expect(backend.runsOf('other')).toEqual([]);
    await session.dispose();
  });

  it('validates feeds like a runtime: missing input, dtype, rank, fixed size, symbolic batch', async () => {
    const backend = new MockBackend().register('unet', unet);
    const session = await backend.loadModel('unet');
    const { sample, timestep } = feeds();
    const cases: [Record<string, Tensor>, string, string][] = [
      [{ sample }, 'INVALID_ARGUMENT', 'missing "timestep"'],
      [{ sample, timestep: createTensor('int64', [1]) }, 'DTYPE_MISMATCH', '"timestep" has dtype int64'],
      [{ sample: createTensor('float32', [4, 2, 2]), timestep }, 'SHAPE_MISMATCH', '"sample" has rank 3'],
      [{ sample: createTensor('float32', [1, 9, 2, 2]), timestep }, 'SHAPE_MISMATCH', 'size 9 at axis 1'],
      [{ sample: feeds(2).sample, timestep }, 'SHAPE_MISMATCH', '"timestep" has B=1 at axis 0, but "sample" has B=2'],
    ];
    for (const [bad, code, message] of cases) {
      const error = await rejection(session.run(bad));
      expect(error.code).toBe(code);
      expect(error.message).toContain(message);
    }
    expect(backend.pendingRunCount).toBe(0);
    await session.dispose();
  });

  it('rejects with ABORTED mid-run, promptly, leaving no pending run and no listener', async () => {
    const gate = deferred<void>();
    const started = deferred<void>();
    const backend = new MockBackend().register('unet', {
      ...unet,
      compute: async (input, context) => {
        started.resolve();
        await gate.promise;
        return unet.compute(input, context);
      },
    });
    const session = await backend.loadModel('unet');
    const controller = new AbortController();
    const running = session.run(feeds(), { signal: controller.signal });
    await started.promise;
    expect(backend.pendingRunCount).toBe(1);
    controller.abort(new Error('stop'));
    const error = await rejection(running);
    expect(error.code).toBe('ABORTED');
    expect(error.name).toBe('AbortError');
    expect((error.cause as Error).message).toBe('stop');
    expect(backend.pendingRunCount).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(backend.runs[0]?.outcome).toBe('aborted');
    gate.resolve();
    // The session stays usable after an aborted run.
    await expect(session.run(feeds())).resolves.toHaveProperty('noise_pred');
    await session.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('rejects a run whose signal already fired without calling compute', async () => {
    const compute = vi.fn(unet.compute);
    const backend = new MockBackend().register('unet', { ...unet, compute });
    const session = await backend.loadModel('unet');
    const controller = new AbortController();
    controller.abort();
    expect((await rejection(session.run(feeds(), { signal: controller.signal }))).code).toBe('ABORTED');
    expect(compute).not.toHaveBeenCalled();
    await session.dispose();
  });

  it('turns a throw from compute into RUNTIME_ERROR with the original as cause', async () => {
    const failure = new Error('kernel exploded');
    const backend = new MockBackend().register('unet', {
      ...unet,
      compute: () => {
        throw failure;
      },
    });
    const session = await backend.loadModel('unet', { label: 'base unet' });
    const error = await rejection(session.run(feeds()));
    expect(error.code).toBe('RUNTIME_ERROR');
    expect(error.cause).toBe(failure);
    expect(error.message).toContain('Running "base unet" failed in the runtime: Error: kernel exploded');
    expect(backend.pendingRunCount).toBe(0);
    await session.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('fails with MODEL_CONTRACT_MISMATCH when compute returns outputs other than declared', async () => {
    const backend = new MockBackend().register('unet', { ...unet, compute: () => ({ out: createTensor('float32', [1]) }) });
    const session = await backend.loadModel('unet');
    const error = await rejection(session.run(feeds()));
    expect(error.code).toBe('MODEL_CONTRACT_MISMATCH');
    expect(error.message).toContain('missing "noise_pred"');
    expect(error.message).toContain('unexpected "out"');
    await session.dispose();
  });

  it('dispose is idempotent, counts live sessions, and later runs reject with SESSION_DISPOSED', async () => {
    const backend = new MockBackend().register('unet', unet);
    const first = await backend.loadModel('unet');
    const second = await backend.loadModel('unet');
    expect(backend.liveSessions).toBe(2);
    expect(first.id).not.toBe(second.id);
    await first.dispose();
    await first.dispose();
    expect(first.disposed).toBe(true);
    expect(backend.liveSessions).toBe(1);
    const error = await rejection(first.run(feeds()));
    expect(error.code).toBe('SESSION_DISPOSED');
    expect(error.message).toContain('"unet"');
    expect(backend.runs.at(-1)).toMatchObject({ sessionId: first.id, outcome: 'error', error });
    await second.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('dispose waits for a computation in flight, which still resolves, before the session stops being live', async () => {
    const gate = deferred<void>();
    const backend = new MockBackend().register('unet', {
      ...unet,
      compute: async (input, context) => {
        await gate.promise;
        return unet.compute(input, context);
      },
    });
    const session = await backend.loadModel('unet');
    const running = session.run(feeds());
    const disposing = session.dispose();
    expect(session.disposed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(backend.liveSessions).toBe(1);
    gate.resolve();
    await expect(running).resolves.toHaveProperty('noise_pred');
    await disposing;
    expect(backend.liveSessions).toBe(0);
    expect(backend.pendingRunCount).toBe(0);
  });

  it('aborting a slow load creates no session, even when the load finishes later', async () => {
    const gate = deferred<void>();
    const started = deferred<void>();
    const backend = new MockBackend().register('unet', {
      ...unet,
      load: async () => {
        started.resolve();
        await gate.promise;
      },
    });
    const controller = new AbortController();
    const loading = backend.loadModel('unet', { signal: controller.signal });
    await started.promise;
    controller.abort();
    expect((await rejection(loading)).code).toBe('ABORTED');
    gate.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(backend.liveSessions).toBe(0);
    expect(backend.loads[0]?.outcome).toBe('aborted');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('passes load failures through as typed errors and creates no session', async () => {
    const backend = new MockBackend()
      .register('webgpu-only', {
        ...unet,
        load: () => {
          throw new KandinskyError({ code: 'DEVICE_UNAVAILABLE', message: 'no adapter', hint: 'use cpu' });
        },
      })
      .register('corrupt', {
        ...unet,
        load: () => {
          throw new Error('protobuf parsing failed');
        },
      });
    expect((await rejection(backend.loadModel('webgpu-only'))).code).toBe('DEVICE_UNAVAILABLE');
    const corrupt = await rejection(backend.loadModel('corrupt'));
    expect(corrupt.code).toBe('RUNTIME_ERROR');
    expect(corrupt.message).toContain('protobuf parsing failed');
    expect(backend.liveSessions).toBe(0);
    expect(backend.loads.map((record) => record.outcome)).toEqual(['error', 'error']);
  });

  it('names unknown models and lists the registered ones', async () => {
    const backend = new MockBackend().register('unet', unet);
    const error = await rejection(backend.loadModel('text_encoder/model.onnx'));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain('"text_encoder/model.onnx"');
    expect(error.hint).toContain('registered: "unet"');
  });

  it('validates the source like every backend, and reads bytes as the model name', async () => {
    const backend = new MockBackend().register('unet', unet);
    expect((await rejection(backend.loadModel(''))).code).toBe('INVALID_ARGUMENT');
    const session = await backend.loadModel({
      model: new Uint8Array([117, 110, 101, 116]),
      externalData: [{ path: 'model.onnx_data', data: 'ignored' }],
    });
    expect(session.model).toBe('unet');
    await session.dispose();
  });

  it('emits a download event when the model declares a size', async () => {
    const events: ProgressEvent[] = [];
    const backend = new MockBackend().register('unet', { ...unet, sizeBytes: 1024 });
    const session = await backend.loadModel('unet', { onProgress: (event) => events.push(event) });
    expect(events).toEqual([
      {
        type: 'download',
        file: 'unet',
        loadedBytes: 1024,
        totalBytes: 1024,
        fromCache: true,
        overall: { loadedBytes: 1024, totalBytes: 1024 },
      },
    ]);
    await session.dispose();
  });

  it('refuses a duplicate or empty registration name', () => {
    const backend = new MockBackend().register('unet', unet);
    expect(() => backend.register('unet', unet)).toThrow(/already registered/);
    try {
      backend.register('', unet);
    } catch (error) {
      expect((error as KandinskyError).code).toBe('INVALID_ARGUMENT');
      expect((error as KandinskyError).message).toContain('""');
    }
    expect.assertions(3);
  });
});
