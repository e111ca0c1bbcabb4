import { KandinskyError, toGenerationMetadata, type GenerationResult, type Kandinsky3, type ProgressEvent } from '@kandinsky/core';
import { encodePng } from './image-io.js';
import { loadKandinsky3, type WebKandinsky3 } from './load-kandinsky3.js';
import type { WebDeviceProbe } from './probe-device.js';
import type { WorkerError, WorkerGenerateRequest, WorkerRequest, WorkerResponse } from './worker-protocol.js';

/** The part of a `DedicatedWorkerGlobalScope` the handler uses. */
export interface WorkerScopeLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Options of {@link handleWorkerRequests}. */
export interface HandleWorkerRequestsOptions {
  /**
   * Software name and version written into the PNG metadata.
   * @default 'kandinsky-ts (@kandinsky/web)'
   */
  sdkVersion?: string;
}

export function toWorkerError(error: unknown): WorkerError {
  if (KandinskyError.isInstance(error)) {
    const plain = error as KandinskyError;
    return { name: plain.name, code: plain.code, message: plain.message, hint: plain.hint, ...(plain.details ? { details: JSON.parse(JSON.stringify(plain.details)) } : {}) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

function run(pipeline: Kandinsky3, request: WorkerGenerateRequest, signal: AbortSignal, onProgress: (event: ProgressEvent) => void): Promise<GenerationResult> {
  const common = {
    prompt: request.prompt,
    signal,
    onProgress,
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.previewEvery ? { previewEvery: request.previewEvery } : {}),
    ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
  };
  const size = { ...(request.width !== undefined ? { width: request.width } : {}), ...(request.height !== undefined ? { height: request.height } : {}) };
  const steps = request.steps !== undefined ? { steps: request.steps } : {};
  const guidance = request.guidanceScale !== undefined ? { guidanceScale: request.guidanceScale } : {};
  switch (request.mode) {
    case 'text2image':
      return pipeline.textToImage({ ...common, ...size, ...steps, ...guidance });
    case 'flash':
      return pipeline.flash({ ...common, ...size });
    case 'img2img':
      return pipeline.imageToImage({ ...common, ...size, ...steps, ...guidance, image: request.image!, ...(request.strength !== undefined ? { strength: request.strength } : {}) });
    case 'inpaint':
      return pipeline.inpaint({ ...common, ...steps, ...guidance, image: request.image!, mask: request.mask! });
  }
}

/**
 * The worker half of the pair: runs the pipelines for a page that talks to it through
 * {@link createWorkerClient}. Call it once at the top of the worker module:
 * ```ts
 * // worker.ts
 * import { handleWorkerRequests } from '@kandinsky/web';
 * handleWorkerRequests(self);
 * ```
 */
export function handleWorkerRequests(scope: WorkerScopeLike, options: HandleWorkerRequestsOptions = {}): void {
  const sdkVersion = options.sdkVersion ?? 'kandinsky-ts (@kandinsky/web)';
  let loaded: { key: string; model: Promise<WebKandinsky3> } | undefined;
  const running = new Map<number, AbortController>();
  const post = (message: WorkerResponse, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

  const model = async (id: number): Promise<WebKandinsky3> => {
    if (!loaded) throw new KandinskyError({ code: 'INVALID_ARGUMENT', message: 'No model folder is loaded in the worker.', hint: 'Call client.load(baseUrl) first.' });
    return loaded.model;
  };

  scope.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as WorkerRequest;
    const { id } = message;
    const fail = (error: unknown) => post({ type: 'error', id, error: toWorkerError(error) });
    switch (message.type) {
      case 'cancel':
        running.get(id)?.abort();
        return;
      case 'load': {
        const { baseUrl, cache, ...backend } = message.request;
        const key = JSON.stringify(message.request);
        if (loaded?.key !== key) {
          const previous = loaded?.model;
          const opening = (async () => {
            await previous?.then((old) => old.pipeline.dispose()).catch(() => undefined);
            return loadKandinsky3(baseUrl, {
              ...backend,
              ...(cache === false ? { cache: false } : {}),
              // Models download on first use, inside whichever call needs them: downloads go to
              // the client's download listener (id -1), not to one call.
              onProgress: (progress) => post({ type: 'progress', id: -1, event: progress }),
            });
          })();
          loaded = { key, model: opening };
          opening.catch(() => {
            if (loaded?.model === opening) loaded = undefined;
          });
        }
        loaded.model
          .then(async (opened) => {
            const backend = opened.backend as { device?: 'wasm' | 'webgpu'; probe?: WebDeviceProbe; threads?: number };
            post({ type: 'loaded', id, device: backend.device ?? 'wasm', threads: backend.threads ?? 1, probe: backend.probe!, cached: await opened.files.isCached() });
          })
          .catch(fail);
        return;
      }
      case 'clear-cache':
        model(id)
          .then((opened) => opened.files.clearCache())
          .then(() => post({ type: 'done', id }), fail);
        return;
      case 'generate': {
        const controller = new AbortController();
        running.set(id, controller);
        model(id)
          .then(async (opened) => {
            const flag = message.request.cancelFlag;
            const result = await run(opened.pipeline, message.request, controller.signal, (progress) => {
              // The pipeline checks its signal after each event, so aborting here stops it.
              if (flag !== undefined && Atomics.load(flag, 0) !== 0) controller.abort();
              if (progress.type === 'preview') {
                const data = progress.image.data.slice();
                post({ type: 'progress', id, event: { ...progress, image: { width: progress.image.width, height: progress.image.height, data } } }, [data.buffer]);
              } else {
                post({ type: 'progress', id, event: progress });
              }
            });
            const image = result.images[0]!;
            const png = await encodePng(image, toGenerationMetadata(result.parameters, { sdkVersion }));
            const data = image.data;
            post(
              { type: 'result', id, result: { png, image: { width: image.width, height: image.height, data }, parameters: result.parameters, timings: result.timings } },
              [png.buffer, data.buffer] as Transferable[],
            );
          })
          .catch(fail)
          .finally(() => running.delete(id));
        return;
      }
    }
  });
}
