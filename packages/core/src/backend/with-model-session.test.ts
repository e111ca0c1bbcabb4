import { describe, expect, it, vi } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { createTensor } from '../tensor/tensor.js';
import type { Backend } from './backend.js';
import type { ComponentContract } from './component-contract.js';
import { MockBackend, type MockModel } from './mock-backend.js';
import type { ModelSession } from './model-session.js';
import { withModelSession } from './with-model-session.js';

const decoder: MockModel = {
  inputs: [{ name: 'latent', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
  outputs: [{ name: 'image', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
  compute: ({ latent }) => {
    const [batch, , height, width] = latent!.dims as [number, number, number, number];
    return { image: createTensor('float32', [batch, 3, height * 8, width * 8]) };
  },
};

// spec §2.6: movq_decoder latent [B,4,h,w] → image [B,3,8h,8w].
const decoderContract: ComponentContract = {
  inputs: [{ name: 'latent', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
  outputs: [{ name: 'image', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
};

describe('withModelSession', () => {
  it('loads with the component as label, runs the work, returns its result and disposes', async () => {
    const backend = new MockBackend().register('movq_decoder', decoder);
    const dims = await withModelSession(
      backend,
      'movq_decoder',
      { component: 'movq_decoder', contract: decoderContract },
      async (session) => {
        expect(backend.liveSessions).toBe(1);
        const { image } = await session.run({ latent: createTensor('float32', [1, 4, 2, 3]) });
        return image?.dims;
      },
    );
    expect(dims).toEqual([1, 3, 16, 24]);
    expect(backend.loads[0]?.options.label).toBe('movq_decoder');
    expect(backend.liveSessions).toBe(0);
  });

  it('disposes before reporting a contract mismatch, without running the work', async () => {
    const backend = new MockBackend().register('movq_decoder', {
      ...decoder,
      inputs: [{ name: 'z', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
    });
    const work = vi.fn();
    const error = await withModelSession(
      backend,
      'movq_decoder',
      { component: 'movq_decoder', contract: decoderContract },
      work,
    ).catch((caught: unknown) => caught as KandinskyError);
    expect(error.code).toBe('MODEL_CONTRACT_MISMATCH');
    expect(error.message).toContain('missing input "latent"');
    expect(work).not.toHaveBeenCalled();
    expect(backend.liveSessions).toBe(0);
  });

  it('disposes when the work throws or is aborted, rethrowing the work error', async () => {
    const backend = new MockBackend().register('movq_decoder', decoder);
    const failure = new Error('work failed');
    await expect(
      withModelSession(backend, 'movq_decoder', { component: 'movq_decoder' }, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    const controller = new AbortController();
    const aborted = withModelSession(backend, 'movq_decoder', { component: 'movq_decoder', load: { signal: controller.signal } }, (session) => {
      controller.abort();
      return session.run({ latent: createTensor('float32', [1, 4, 1, 1]) }, { signal: controller.signal });
    });
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expect(backend.liveSessions).toBe(0);
    expect(backend.pendingRunCount).toBe(0);
  });

  it('keeps the work error when dispose also fails, and reports a dispose failure after success', async () => {
    const disposeFailure = new Error('release failed');
    const session: ModelSession = {
      inputs: [],
      outputs: [],
      disposed: false,
      run: async () => ({}),
      dispose: async () => Promise.reject(disposeFailure),
    };
    const backend: Backend = {
      name: 'failing',
      device: 'cpu',
      capabilities: { float16: false, maxBufferBytes: undefined, maxMemoryBytes: undefined, externalData: false, interruptibleRun: false },
      loadModel: async () => session,
    };
    const workFailure = new Error('work failed');
    await expect(
      withModelSession(backend, 'x', { component: 'unet' }, () => {
        throw workFailure;
      }),
    ).rejects.toBe(workFailure);
    const error = await withModelSession(backend, 'x', { component: 'unet' }, () => 1).catch(
      (caught: unknown) => caught as KandinskyError,
    );
    expect(error).toMatchObject({ code: 'RUNTIME_ERROR', cause: disposeFailure });
    expect((error as KandinskyError).message).toContain('Releasing "unet" failed in the runtime: Error: release failed');
  });
});
