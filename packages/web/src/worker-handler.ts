import { Beautifier, type OnnxCausalLM } from '@kandinsky/beautifier';
import {
  KandinskyError,
  kandinskyError,
  toGenerationMetadata,
  type ControlNetPipeline,
  type FlashOptions,
  type GenerationMetadata,
  type GenerationParameters,
  type GenerationResult,
  type IpAdapterPipeline,
  type Kandinsky3,
  type ProgressEvent,
  type PromptBeautifier,
  type RgbImage,
  type SchedulerName,
} from '@kandinsky/core';
import type { KandiSuperRes, UpscaleParameters } from '@kandinsky/superres';
import { checkObjectWith, checkOptions } from './argument-checks.js';
import { encodePng } from './image-io.js';
import { loadOnnxCausalLM } from './load-causal-lm.js';
import { loadControlNet, loadIpAdapter, loadKandinsky3, type LoadKandinsky3Options, type WebPipeline } from './load-kandinsky3.js';
import { loadKandiSuperRes } from './load-kandisuperres.js';
import type { WebDeviceProbe } from './probe-device.js';
import type { WorkerError, WorkerGenerateRequest, WorkerLoadRequest, WorkerRequest, WorkerResponse } from './worker-protocol.js';

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

type AnyPipeline = WebPipeline<Kandinsky3 | IpAdapterPipeline | ControlNetPipeline | KandiSuperRes | OnnxCausalLM>;

/** What one request produced, before it is encoded for the page. */
interface RunOutput {
  readonly image: RgbImage;
  readonly metadata: GenerationMetadata;
  readonly timings: Readonly<Record<string, number>>;
  readonly parameters?: GenerationParameters;
  readonly upscale?: UpscaleParameters;
  readonly hint?: RgbImage;
}

/** A KandinskyError (or any error) as plain data that survives `postMessage`. */
export function toWorkerError(error: unknown): WorkerError {
  if (KandinskyError.isInstance(error)) {
    const plain = error as KandinskyError;
    return { name: plain.name, code: plain.code, message: plain.message, hint: plain.hint, ...(plain.details ? { details: JSON.parse(JSON.stringify(plain.details)) } : {}) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Opens the folder with the pipeline its `model_index.json` names. */
async function openFolder(baseUrl: string, options: LoadKandinsky3Options): Promise<AnyPipeline> {
  const index = (await (await fetch(new URL('model_index.json', new URL(baseUrl, location.href))).catch(() => undefined))?.json().catch(() => undefined)) as
    | { _class_name?: string }
    | undefined;
  switch (index?._class_name) {
    case 'Kandinsky3IpAdapterPipeline':
      return loadIpAdapter(baseUrl, options);
    case 'Kandinsky3ControlnetPipeline':
      return loadControlNet(baseUrl, options);
    case 'KandiSuperResPipeline':
      return loadKandiSuperRes(baseUrl, options);
    case 'BeautifierLM': {
      const { llm, files, backend } = await loadOnnxCausalLM(baseUrl, options);
      return { pipeline: llm, files, backend, className: 'BeautifierLM' };
    }
    default:
      // Also the path for a folder that cannot be read: loadKandinsky3 reports it precisely.
      return loadKandinsky3(baseUrl, options);
  }
}

function wrongFolder(mode: string, opened: AnyPipeline, wanted: string): KandinskyError {
  return kandinskyError(
    'INVALID_ARGUMENT',
    `The mode ${JSON.stringify(mode)} needs a ${wanted} folder, but ${opened.files.location} is a ${opened.className || 'Kandinsky3Pipeline'} folder.`,
    `Load a ${wanted} folder and pass its URL as baseUrl.`,
    { mode, folder: opened.files.location },
  );
}

/** Folder classes the base pipeline's modes cannot run on. */
/** The modes whose pipelines take a sampler choice. */
const SAMPLER_MODES: readonly string[] = ['text2image', 'img2img', 'flash'];
const OTHER_FOLDERS = ['Kandinsky3IpAdapterPipeline', 'Kandinsky3ControlnetPipeline', 'KandiSuperResPipeline', 'BeautifierLM'];

async function generateImage(
  opened: AnyPipeline,
  request: WorkerGenerateRequest,
  signal: AbortSignal,
  onProgress: (event: ProgressEvent) => void,
  beautify: PromptBeautifier | undefined,
): Promise<GenerationResult & { hint?: RgbImage }> {
  const common = {
    signal,
    onProgress,
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.previewEvery ? { previewEvery: request.previewEvery } : {}),
    ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
  };
  const size = { ...(request.width !== undefined ? { width: request.width } : {}), ...(request.height !== undefined ? { height: request.height } : {}) };
  const steps = request.steps !== undefined ? { steps: request.steps } : {};
  const guidance = request.guidanceScale !== undefined ? { guidanceScale: request.guidanceScale } : {};
  const needImage = (): RgbImage => {
    if (!request.image) throw kandinskyError('INVALID_IMAGE', `The mode ${JSON.stringify(request.mode)} needs an image.`, 'Pass `image` with the request.');
    return request.image as RgbImage;
  };
  if (beautify !== undefined && request.mode !== 'text2image' && request.mode !== 'flash') {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `The mode ${JSON.stringify(request.mode)} does not beautify prompts (beautify ${JSON.stringify(request.beautify)}).`,
      'Only text2image and flash take `beautify` (spec §4.9); leave it out for the other modes.',
      { mode: request.mode },
    );
  }
  const withBeautify = beautify === undefined ? {} : { beautify };
  if ((request.scheduler !== undefined || request.schedulerConfig !== undefined) && !SAMPLER_MODES.includes(request.mode)) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `The mode ${JSON.stringify(request.mode)} takes no scheduler (scheduler ${JSON.stringify(request.scheduler)}).`,
      `Only ${SAMPLER_MODES.join(', ')} take \`scheduler\`; leave it out for the other modes.`,
      { mode: request.mode },
    );
  }
  const sampler = {
    ...(request.scheduler !== undefined ? { scheduler: request.scheduler as SchedulerName } : {}),
    ...(request.schedulerConfig !== undefined ? { schedulerConfig: request.schedulerConfig } : {}),
  };
  if (request.mode === 'variation') {
    if (opened.className !== 'Kandinsky3IpAdapterPipeline') throw wrongFolder(request.mode, opened, 'Kandinsky3IpAdapterPipeline');
    const pipeline = opened.pipeline as IpAdapterPipeline;
    const prompt = request.prompt ? { prompt: request.prompt } : {};
    if (request.secondImage) {
      const weight = request.mixWeight ?? 0.5;
      return pipeline.mix({ ...common, ...size, ...steps, ...guidance, ...prompt, images: [needImage(), request.secondImage as RgbImage], weights: [1 - weight, weight] });
    }
    return pipeline.variation({ ...common, ...size, ...steps, ...guidance, ...prompt, image: needImage() });
  }
  if (request.mode === 'controlnet') {
    if (opened.className !== 'Kandinsky3ControlnetPipeline') throw wrongFolder(request.mode, opened, 'Kandinsky3ControlnetPipeline');
    return (opened.pipeline as ControlNetPipeline).generate({ ...common, ...size, ...steps, ...guidance, prompt: request.prompt, image: needImage() });
  }
  if (OTHER_FOLDERS.includes(opened.className)) throw wrongFolder(request.mode, opened, 'Kandinsky3Pipeline');
  const pipeline = opened.pipeline as Kandinsky3;
  const prompt = { prompt: request.prompt };
  switch (request.mode) {
    case 'text2image':
      return pipeline.textToImage({ ...common, ...prompt, ...size, ...steps, ...guidance, ...sampler, ...withBeautify });
    case 'flash':
      // Flash's own sampler ignores steps (with a warning); LCM counts them.
      return pipeline.flash({ ...common, ...prompt, ...size, ...(sampler as Pick<FlashOptions, 'scheduler' | 'schedulerConfig'>), ...steps, ...withBeautify });
    case 'img2img':
      return pipeline.imageToImage({ ...common, ...prompt, ...size, ...steps, ...guidance, ...sampler, image: needImage(), ...(request.strength !== undefined ? { strength: request.strength } : {}) });
    case 'inpaint':
      if (!request.mask) throw kandinskyError('INVALID_ARGUMENT', 'Inpainting needs a mask.', 'Pass `mask`: one byte per pixel of the image, 255 = repaint.');
      return pipeline.inpaint({ ...common, ...prompt, ...steps, ...guidance, image: needImage(), mask: request.mask });
    default:
      throw kandinskyError('INVALID_ARGUMENT', `Unknown mode ${JSON.stringify(request.mode)}.`, 'Use text2image, flash, img2img, inpaint, variation, controlnet or upscale.');
  }
}

/** Upscales `request.image` (spec §4.8) and records it in the metadata as the CLI does. */
async function upscaleImage(
  opened: AnyPipeline,
  request: WorkerGenerateRequest,
  signal: AbortSignal,
  onProgress: (event: ProgressEvent) => void,
  sdkVersion: string,
): Promise<RunOutput> {
  if (opened.className !== 'KandiSuperResPipeline') throw wrongFolder(request.mode, opened, 'KandiSuperResPipeline');
  if (!request.image) throw kandinskyError('INVALID_IMAGE', 'The mode "upscale" needs an image.', 'Pass `image` with the request.');
  const sr = opened.pipeline as KandiSuperRes;
  const started = performance.now();
  const { image, parameters } = await sr.upscale({
    image: request.image as RgbImage,
    seed: request.seed ?? 0,
    ...(request.steps !== undefined ? { steps: request.steps } : {}),
    signal,
    onProgress,
  });
  const model = sr.folder.index.variant.name;
  const upscale = { model, scale: parameters.scale, steps: parameters.steps, seed: parameters.seed, width: image.width, height: image.height };
  // A generated image keeps its generation record and gains the upscale; any other image gets a
  // record of the upscale alone (as `kandinsky upscale` writes it).
  const metadata: GenerationMetadata = request.sourceMetadata
    ? { ...request.sourceMetadata, upscale }
    : {
        prompt: '',
        seed: parameters.seed,
        steps: parameters.steps,
        width: image.width,
        height: image.height,
        model,
        sampler: 'DPMSolverMultistepScheduler',
        mode: `upscale-x${parameters.scale}`,
        sdkVersion,
      };
  return { image, metadata, upscale: parameters, timings: { upscale: performance.now() - started } };
}

async function run(
  opened: AnyPipeline,
  request: WorkerGenerateRequest,
  signal: AbortSignal,
  onProgress: (event: ProgressEvent) => void,
  sdkVersion: string,
  beautifier: () => Promise<PromptBeautifier | undefined>,
): Promise<RunOutput> {
  if (request.mode === 'upscale') return upscaleImage(opened, request, signal, onProgress, sdkVersion);
  const result = await generateImage(opened, request, signal, onProgress, await beautifier());
  return {
    image: result.images[0]!,
    metadata: toGenerationMetadata(result.parameters, { sdkVersion }),
    parameters: result.parameters,
    timings: result.timings,
    ...(result.hint ? { hint: result.hint } : {}),
  };
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
  checkObjectWith('scope', scope, ['addEventListener', 'postMessage'], "a worker's global scope", 'Call handleWorkerRequests(self) inside the worker module.');
  checkOptions('options', options);
  const sdkVersion = options.sdkVersion ?? 'kandinsky-ts (@kandinsky/web)';
  // One opened folder per base URL (a base folder, an IP-Adapter and a ControlNet folder can be
  // open side by side); `last` is the one used when a request names none.
  const folders = new Map<string, { key: string; model: Promise<AnyPipeline> }>();
  let last: string | undefined;
  const running = new Map<number, AbortController>();
  const post = (message: WorkerResponse, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

  const resolveUrl = (baseUrl: string) => new URL(baseUrl, location.href).href;
  const model = async (baseUrl: string | undefined): Promise<AnyPipeline> => {
    const url = baseUrl === undefined ? last : resolveUrl(baseUrl);
    const entry = url === undefined ? undefined : folders.get(url);
    if (!entry) {
      throw kandinskyError('INVALID_ARGUMENT', `No model folder${url ? ` ${url}` : ''} is loaded in the worker.`, 'Call client.load({ baseUrl }) first.');
    }
    return entry.model;
  };

  const load = (request: WorkerLoadRequest): Promise<AnyPipeline> => {
    const { baseUrl, cache, ...backend } = request;
    const url = resolveUrl(baseUrl);
    const key = JSON.stringify(request);
    const existing = folders.get(url);
    last = url;
    if (existing?.key === key) return existing.model;
    const previous = existing?.model;
    const opening = (async () => {
      // Kandinsky3 has dispose(); the convention C pipelines release through their components.
      await previous
        ?.then((old) => ('dispose' in old.pipeline ? old.pipeline.dispose() : old.pipeline.components.dispose()))
        .catch(() => undefined);
      return openFolder(url, {
        ...backend,
        ...(cache === false ? { cache: false } : {}),
        // Models download on first use, inside whichever call needs them: downloads go to the
        // client's download listener (id -1), not to one call.
        onProgress: (progress) => post({ type: 'progress', id: -1, event: progress }),
      });
    })();
    folders.set(url, { key, model: opening });
    opening.catch(() => {
      if (folders.get(url)?.model === opening) folders.delete(url);
    });
    return opening;
  };

  scope.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as WorkerRequest;
    const { id } = message;
    const fail = (error: unknown) => post({ type: 'error', id, error: toWorkerError(error) });
    switch (message.type) {
      case 'cancel':
        running.get(id)?.abort();
        return;
      case 'load':
        load(message.request)
          .then(async (opened) => {
            const backend = opened.backend as { device?: 'wasm' | 'webgpu'; probe?: WebDeviceProbe; threads?: number };
            post({ type: 'loaded', id, device: backend.device ?? 'wasm', threads: backend.threads ?? 1, probe: backend.probe!, cached: await opened.files.isCached() });
          })
          .catch(fail);
        return;
      case 'clear-cache':
        model(undefined)
          .then((opened) => opened.files.clearCache())
          .then(() => post({ type: 'done', id }), fail);
        return;
      case 'generate': {
        const controller = new AbortController();
        running.set(id, controller);
        model(message.request.baseUrl)
          .then(async (opened) => {
            const flag = message.request.cancelFlag;
            const beautifier = async () => {
              const url = message.request.beautify;
              if (url === undefined) return undefined;
              const lm = await model(url);
              if (lm.className !== 'BeautifierLM') throw wrongFolder('beautify', lm, 'BeautifierLM');
              return new Beautifier({ llm: lm.pipeline as OnnxCausalLM });
            };
            const result = await run(opened, message.request, controller.signal, (progress) => {
              // The pipeline checks its signal after each event, so aborting here stops it.
              if (flag !== undefined && Atomics.load(flag, 0) !== 0) controller.abort();
              if (progress.type === 'preview') {
                const data = progress.image.data.slice();
                post({ type: 'progress', id, event: { ...progress, image: { width: progress.image.width, height: progress.image.height, data } } }, [data.buffer]);
              } else {
                post({ type: 'progress', id, event: progress });
              }
            }, sdkVersion, beautifier);
            const image = result.image;
            const png = await encodePng(image, result.metadata);
            const transfer: Transferable[] = [png.buffer as ArrayBuffer, image.data.buffer as ArrayBuffer];
            const hint = result.hint ? { width: result.hint.width, height: result.hint.height, data: result.hint.data.slice() } : undefined;
            if (hint) transfer.push(hint.data.buffer);
            post(
              {
                type: 'result',
                id,
                result: {
                  png,
                  image: { width: image.width, height: image.height, data: image.data },
                  metadata: result.metadata,
                  timings: result.timings,
                  ...(result.parameters ? { parameters: result.parameters } : {}),
                  ...(result.upscale ? { upscale: result.upscale } : {}),
                  ...(hint ? { hint } : {}),
                },
              },
              transfer,
            );
          })
          .catch(fail)
          .finally(() => running.delete(id));
        return;
      }
    }
  });
}
