import { createWorkerClient, decodeImage, rgbToImageData, type TransferredImage, type WorkerMode } from '@kandinsky/web';
import { extractGenerationMetadata, type GenerationMetadata, type ProgressEvent, type RgbImage } from '@kandinsky/core';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('form');
const mode = $<HTMLSelectElement>('mode');
const deviceSelect = $<HTMLSelectElement>('device-select');
const deviceOut = $<HTMLOutputElement>('device');
const modelUrl = $<HTMLInputElement>('model-url');
const generate = $<HTMLButtonElement>('generate');
const cancel = $<HTMLButtonElement>('cancel');
const progressBar = $<HTMLProgressElement>('progress');
const stage = $<HTMLSpanElement>('stage');
const downloadStatus = $<HTMLSpanElement>('download-status');
const errorBox = $<HTMLParagraphElement>('error');
const warningBox = $<HTMLParagraphElement>('warning');
const beautify = $<HTMLInputElement>('beautify');
const beautifiedPrompt = $<HTMLOutputElement>('beautified-prompt');
const preview = $<HTMLCanvasElement>('preview');
const result = $<HTMLImageElement>('result');
const download = $<HTMLAnchorElement>('download');
const timings = $<HTMLSpanElement>('timings');
const sourceCanvas = $<HTMLCanvasElement>('source-canvas');
const maskCanvas = $<HTMLCanvasElement>('mask-canvas');

const client = createWorkerClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
const ENABLED_MODES: readonly WorkerMode[] = ['text2image', 'flash', 'img2img', 'inpaint', 'variation', 'controlnet', 'upscale'];
/** The modes that run on their own model folder rather than the base folder of the URL field. */
const MODE_FOLDERS: Partial<Record<WorkerMode, string>> = {
  variation: '/models/kandinsky3-tiny-ip-adapter/',
  controlnet: '/models/kandinsky3-tiny-controlnet-hed/',
  upscale: '/models/kandisuperres-x4/',
};
const IMAGE_MODES: readonly WorkerMode[] = ['img2img', 'inpaint', 'variation', 'controlnet', 'upscale'];
/** The modes that take the beautify toggle (spec §4.9), and the LM folder it loads. */
const BEAUTIFY_MODES: readonly WorkerMode[] = ['text2image', 'flash'];
const BEAUTIFIER_FOLDER = '/models/beautifier-lm/';

const threads = new URLSearchParams(location.search).get('threads');
let sourceImage: RgbImage | undefined;
/** The generation record of the uploaded image, when it is a PNG this SDK wrote (kept by upscale). */
let sourceMetadata: GenerationMetadata | undefined;
let secondImage: RgbImage | undefined;
/** The load request each folder URL was last loaded with. */
const loadedKeys = new Map<string, string>();
let controller: AbortController | undefined;

/** State the automated tests read: the last run's timings and what the page saw. */
const state = { runs: 0, lastTimings: {} as Record<string, number>, downloads: 0, fromCache: 0 };
(window as unknown as { kandinskyPlayground: typeof state }).kandinskyPlayground = state;

function showError(error: unknown): void {
  const plain = error as { code?: string; message?: string; hint?: string };
  errorBox.textContent = `${plain.code ? `${plain.code}: ` : ''}${plain.message ?? String(error)}${plain.hint ? `\n${plain.hint}` : ''}`;
  errorBox.hidden = false;
}

function updateMode(): void {
  const current = mode.value;
  for (const element of document.querySelectorAll<HTMLElement>('[data-for]')) {
    element.classList.toggle('hidden-mode', !element.dataset.for!.split(' ').includes(current));
  }
}

function drawImage(canvas: HTMLCanvasElement, image: RgbImage | TransferredImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(rgbToImageData(image as RgbImage), 0, 0);
}

function onProgress(event: ProgressEvent): void {
  switch (event.type) {
    case 'stage':
      stage.textContent = event.stage;
      return;
    case 'step':
      progressBar.max = event.total;
      progressBar.value = event.index + 1;
      stage.textContent = `${event.stage} ${event.index + 1}/${event.total}`;
      return;
    case 'preview':
      drawImage(preview, event.image);
      return;
    case 'download': {
      if (event.fromCache) state.fromCache++;
      else if (event.loadedBytes === event.totalBytes) state.downloads++;
      const overall = event.overall;
      const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
      downloadStatus.textContent = `${event.fromCache ? 'cache' : 'download'}: ${event.file}${overall ? ` (${mb(overall.loadedBytes)}${overall.totalBytes ? ` of ${mb(overall.totalBytes)}` : ''})` : ''}`;
      return;
    }
    case 'warning':
      console.warn(event);
      warningBox.textContent = `${event.code}: ${event.message}`;
      warningBox.hidden = false;
      return;
  }
}

async function ensureLoaded(folder: string): Promise<void> {
  const request = {
    baseUrl: folder,
    device: deviceSelect.value as 'auto' | 'wasm' | 'webgpu',
    wasmPaths: new URL('/ort/', location.href).href,
    // `?threads=N` picks the WASM thread count (default: the backend's choice).
    ...(threads ? { numThreads: Number(threads) } : {}),
  };
  const key = JSON.stringify(request);
  if (loadedKeys.get(folder) === key) return;
  deviceOut.textContent = 'loading…';
  // The worker drops a folder whose load failed: load again next time, whatever the key.
  loadedKeys.delete(folder);
  try {
    const loaded = await client.load(request, { onProgress });
    loadedKeys.set(folder, key);
    deviceOut.textContent = loaded.device === 'webgpu' ? `WebGPU (${[loaded.probe.adapter, loaded.probe.shaderF16 ? 'shader-f16' : 'no shader-f16'].filter(Boolean).join(', ')})` : `WASM, ${loaded.threads} thread${loaded.threads === 1 ? '' : 's'}`;
  } catch (error) {
    deviceOut.textContent = 'not loaded';
    throw error;
  }
}

/** The scheduler config field as an object; a bad value is refused with a message naming it. */
function schedulerConfigField(): Record<string, unknown> | undefined {
  const text = $<HTMLInputElement>('scheduler-config').value.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw Object.assign(new Error(`Scheduler config must be a JSON object, got ${JSON.stringify(text)}.`), {
      code: 'INVALID_ARGUMENT',
      hint: 'Write e.g. {"timestep_spacing":"leading"}, or leave it empty.',
    });
  }
  return parsed as Record<string, unknown>;
}

function numberField(id: string): number | undefined {
  const value = $<HTMLInputElement>(id).value.trim();
  return value === '' ? undefined : Number(value);
}

/** The painted mask: white (repaint) where the brush went. */
function paintedMask(): Uint8Array {
  const { width, height } = maskCanvas;
  const rgba = maskCanvas.getContext('2d')!.getImageData(0, 0, width, height).data;
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = rgba[4 * i + 3]! > 127 ? 255 : 0;
  return mask;
}

async function run(): Promise<void> {
  errorBox.hidden = true;
  warningBox.hidden = true;
  const current = mode.value as WorkerMode;
  if (!ENABLED_MODES.includes(current)) throw new Error(`The mode ${current} is not available yet.`);
  if (IMAGE_MODES.includes(current) && !sourceImage) throw new Error('Choose an image first (image input).');
  const folder = new URL(MODE_FOLDERS[current] ?? modelUrl.value, location.href).href;
  controller = new AbortController();
  generate.disabled = true;
  cancel.disabled = false;
  progressBar.value = 0;
  stage.textContent = 'starting';
  try {
    await ensureLoaded(folder);
    const beautifier = beautify.checked && BEAUTIFY_MODES.includes(current) ? new URL(BEAUTIFIER_FOLDER, location.href).href : undefined;
    if (beautifier) await ensureLoaded(beautifier);
    beautifiedPrompt.textContent = '';
    const steps = numberField('steps');
    const guidance = numberField('guidance');
    const samplerModes: readonly WorkerMode[] = ['text2image', 'flash', 'img2img'];
    const scheduler = samplerModes.includes(current) ? $<HTMLSelectElement>('scheduler').value : '';
    const schedulerConfig = samplerModes.includes(current) ? schedulerConfigField() : undefined;
    const width = numberField('width');
    const height = numberField('height');
    const output = await client.generate(
      {
        mode: current,
        baseUrl: folder,
        prompt: $<HTMLInputElement>('prompt').value,
        seed: numberField('seed') ?? 0,
        ...(steps !== undefined ? { steps } : {}),
        ...(guidance !== undefined ? { guidanceScale: guidance } : {}),
        ...(scheduler !== '' ? { scheduler } : {}),
        ...(schedulerConfig !== undefined ? { schedulerConfig } : {}),
        ...(width !== undefined && current !== 'inpaint' && current !== 'upscale' ? { width } : {}),
        ...(height !== undefined && current !== 'inpaint' && current !== 'upscale' ? { height } : {}),
        ...(beautifier ? { beautify: beautifier } : {}),
        ...(current === 'upscale' && sourceMetadata ? { sourceMetadata } : {}),
        ...(current === 'img2img' ? { strength: numberField('strength') ?? 0.7 } : {}),
        ...(sourceImage && IMAGE_MODES.includes(current) ? { image: sourceImage } : {}),
        ...(secondImage && current === 'variation' ? { secondImage, mixWeight: Number($<HTMLInputElement>('mix-weight').value) } : {}),
        ...(current === 'inpaint' ? { mask: paintedMask() } : {}),
        previewEvery: 5,
      },
      { onProgress, signal: controller.signal },
    );
    if (output.hint) drawImage($<HTMLCanvasElement>('edge-map'), output.hint);
    const blob = new Blob([output.png as Uint8Array<ArrayBuffer>], { type: 'image/png' });
    const url = URL.createObjectURL(blob);
    if (result.src.startsWith('blob:')) URL.revokeObjectURL(result.src);
    result.src = url;
    download.href = url;
    download.download = `kandinsky-${output.metadata.mode ?? current}-${output.metadata.seed}.png`;
    if (output.parameters) beautifiedPrompt.textContent = output.parameters.prompt;
    download.hidden = false;
    state.runs++;
    state.lastTimings = { ...output.timings };
    timings.textContent = Object.entries(output.timings).map(([name, ms]) => `${name} ${Math.round(ms)} ms`).join(', ');
    stage.textContent = 'done';
  } finally {
    generate.disabled = false;
    cancel.disabled = true;
    controller = undefined;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run().catch((error: unknown) => {
    stage.textContent = (error as { code?: string }).code === 'ABORTED' ? 'cancelled' : 'failed';
    if ((error as { code?: string }).code !== 'ABORTED') showError(error);
  });
});
cancel.addEventListener('click', () => controller?.abort());
$<HTMLButtonElement>('clear-cache').addEventListener('click', () => {
  client.clearCache().then(() => (downloadStatus.textContent = 'cache cleared'), showError);
});
mode.addEventListener('change', updateMode);

async function readFileInput(input: HTMLInputElement): Promise<RgbImage | undefined> {
  const file = input.files?.[0];
  return file ? decodeImage(file) : undefined;
}

/** The Kandinsky metadata of an uploaded PNG, if it has any (never fails). */
async function readMetadata(input: HTMLInputElement): Promise<GenerationMetadata | undefined> {
  const file = input.files?.[0];
  if (!file) return undefined;
  try {
    return extractGenerationMetadata(new Uint8Array(await file.arrayBuffer()));
  } catch {
    return undefined;
  }
}

$<HTMLInputElement>('image-input').addEventListener('change', (event) => {
  errorBox.hidden = true;
  readFileInput(event.target as HTMLInputElement)
    .then((image) => {
      if (!image) return undefined;
      sourceImage = image;
      drawImage(sourceCanvas, image);
      maskCanvas.width = image.width;
      maskCanvas.height = image.height;
      return readMetadata(event.target as HTMLInputElement).then((metadata) => {
        sourceMetadata = metadata;
      });
    })
    .catch(showError);
});
$<HTMLInputElement>('second-image-input').addEventListener('change', (event) => {
  errorBox.hidden = true;
  readFileInput(event.target as HTMLInputElement)
    .then((image) => {
      secondImage = image;
    })
    .catch(showError);
});
$<HTMLInputElement>('mix-weight').addEventListener('input', (event) => {
  $<HTMLOutputElement>('mix-weight-value').textContent = (event.target as HTMLInputElement).value;
});
$<HTMLInputElement>('mask-input').addEventListener('change', (event) => {
  errorBox.hidden = true;
  readFileInput(event.target as HTMLInputElement)
    .then((mask) => {
      if (!mask) return;
      maskCanvas.width = mask.width;
      maskCanvas.height = mask.height;
      const context = maskCanvas.getContext('2d')!;
      const rgba = context.createImageData(mask.width, mask.height);
      for (let i = 0; i < mask.width * mask.height; i++) {
        const white = (mask.data[3 * i]! + mask.data[3 * i + 1]! + mask.data[3 * i + 2]!) / 3 > 127;
        rgba.data.set(white ? [255, 64, 64, 255] : [0, 0, 0, 0], 4 * i);
      }
      context.putImageData(rgba, 0, 0);
    })
    .catch(showError);
});

// Brush and eraser paint the mask over the image.
let painting = false;
function paint(event: PointerEvent): void {
  if (!painting) return;
  const rect = maskCanvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * maskCanvas.width;
  const y = ((event.clientY - rect.top) / rect.height) * maskCanvas.height;
  const size = Number($<HTMLInputElement>('brush-size').value) * (maskCanvas.width / 256);
  const context = maskCanvas.getContext('2d')!;
  const eraser = (document.querySelector<HTMLInputElement>('input[name="tool"]:checked')?.value ?? 'brush') === 'eraser';
  context.globalCompositeOperation = eraser ? 'destination-out' : 'source-over';
  context.fillStyle = 'rgb(255, 64, 64)';
  context.beginPath();
  context.arc(x, y, size, 0, 2 * Math.PI);
  context.fill();
}
maskCanvas.addEventListener('pointerdown', (event) => {
  painting = true;
  paint(event);
});
maskCanvas.addEventListener('pointermove', paint);
window.addEventListener('pointerup', () => (painting = false));
$<HTMLButtonElement>('clear-mask').addEventListener('click', () => maskCanvas.getContext('2d')!.clearRect(0, 0, maskCanvas.width, maskCanvas.height));

updateMode();
