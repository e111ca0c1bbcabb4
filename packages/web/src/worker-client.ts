import { KandinskyError, invalidArgument, type ErrorCode, type ProgressEvent } from '@kandinsky/core';
import { checkObjectWith } from './argument-checks.js';
import type { WebDevice, WebDeviceProbe } from './probe-device.js';
import type { WorkerError, WorkerGenerateRequest, WorkerGenerateResult, WorkerLoadRequest, WorkerRequest, WorkerResponse } from './worker-protocol.js';

/** The part of a `Worker` the client uses. */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

/** Options of one {@link WorkerClient.generate} call. */
export interface WorkerCallOptions {
  /** Receives progress (stage, step, preview, download) from the worker. @default undefined */
  onProgress?: (event: ProgressEvent) => void;
  /** Cancels the call in the worker; the promise rejects with an AbortError. @default undefined */
  signal?: AbortSignal;
}

/** The page half of the pair. */
export interface WorkerClient {
  /** Opens a model folder in the worker (downloads happen on first use). */
  load(request: WorkerLoadRequest, options?: WorkerCallOptions): Promise<{ device: WebDevice; threads: number; probe: WebDeviceProbe; cached: boolean }>;
  /** Runs one generation in the worker. */
  generate(request: WorkerGenerateRequest, options?: WorkerCallOptions): Promise<WorkerGenerateResult>;
  /** Deletes the model cache. */
  clearCache(): Promise<void>;
  /** Stops the worker; pending calls reject. */
  terminate(): void;
}

/** Rebuilds the worker's error on this side: a KandinskyError when it had a code. */
export function fromWorkerError(error: WorkerError): Error {
  if (typeof error !== 'object' || error === null || typeof error.message !== 'string') {
    throw invalidArgument('error', error, 'a WorkerError { name, message, code?, hint?, details? }', 'Pass the error of a worker response.');
  }
  if (error.code !== undefined) {
    return new KandinskyError({ code: error.code as ErrorCode, message: error.message, hint: error.hint ?? '', ...(error.details ? { details: error.details } : {}) });
  }
  const plain = new Error(error.message);
  plain.name = error.name;
  return plain;
}

/**
 * The page half of the worker pair: every model runs in `worker` (a module worker that calls
 * `handleWorkerRequests`), so the page's main thread stays free.
 * ```ts
 * const client = createWorkerClient(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
 * await client.load({ baseUrl: '/models/kandinsky3-tiny/', wasmPaths: '/ort/' });
 * const { png } = await client.generate({ mode: 'text2image', prompt: 'a red circle', seed: 1 });
 * ```
 */
export function createWorkerClient(worker: WorkerLike): WorkerClient {
  checkObjectWith('worker', worker, ['addEventListener', 'postMessage'], 'a Worker', "Pass new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }).");
  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; onProgress?: (event: ProgressEvent) => void }>();
  let downloadListener: ((event: ProgressEvent) => void) | undefined;

  worker.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as WorkerResponse;
    if (message.type === 'progress' && message.id === -1) {
      downloadListener?.(message.event);
      return;
    }
    const call = pending.get(message.id);
    if (!call) return;
    switch (message.type) {
      case 'progress':
        call.onProgress?.(message.event);
        return;
      case 'error':
        pending.delete(message.id);
        call.reject(fromWorkerError(message.error));
        return;
      case 'loaded':
        pending.delete(message.id);
        call.resolve({ device: message.device, threads: message.threads, probe: message.probe, cached: message.cached });
        return;
      case 'result':
        pending.delete(message.id);
        call.resolve(message.result);
        return;
      case 'done':
        pending.delete(message.id);
        call.resolve(undefined);
        return;
    }
  });
  worker.addEventListener('error', (event: ErrorEvent) => {
    const error = new Error(`The Kandinsky worker failed: ${event.message}`);
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  });

  const call = <T>(build: (id: number) => WorkerRequest, options: WorkerCallOptions = {}, transfer: Transferable[] = []): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      const signal = options.signal;
      if (signal) {
        if (signal.aborted) worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest);
        else signal.addEventListener('abort', () => worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest), { once: true });
      }
      worker.postMessage(build(id), transfer);
    });
  };

  return {
    load(request, options = {}) {
      downloadListener = options.onProgress;
      return call((id) => ({ type: 'load', id, request }), options);
    },
    generate(request, options = {}) {
      // The image buffers are copied once here so the caller keeps its own.
      const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
      const cancelFlag = isolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
      options.signal?.addEventListener('abort', () => cancelFlag && Atomics.store(cancelFlag, 0, 1), { once: true });
      const copy = {
        ...request,
        ...(cancelFlag ? { cancelFlag } : {}),
        ...(request.image ? { image: { ...request.image, data: request.image.data.slice() } } : {}),
        ...(request.mask ? { mask: request.mask.slice() } : {}),
      };
      const transfer: Transferable[] = [];
      if (copy.image) transfer.push(copy.image.data.buffer as ArrayBuffer);
      if (copy.mask) transfer.push(copy.mask.buffer as ArrayBuffer);
      const previous = downloadListener;
      if (options.onProgress) downloadListener = options.onProgress;
      return call<WorkerGenerateResult>((id) => ({ type: 'generate', id, request: copy }), options, transfer).finally(() => {
        downloadListener = previous;
      });
    },
    clearCache() {
      return call<void>((id) => ({ type: 'clear-cache', id }));
    },
    terminate() {
      worker.terminate();
      const error = new Error('The Kandinsky worker was terminated.');
      for (const entry of pending.values()) entry.reject(error);
      pending.clear();
    },
  };
}
