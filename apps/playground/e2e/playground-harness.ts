import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '@kandinsky/core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { createServer, type ViteDevServer } from 'vite';

/** Screenshots and PNGs of the browser tests (git-ignored). */
export const OUTPUT_DIRECTORY = fileURLToPath(new URL('../test-output/', import.meta.url));

// Debian's chromium through playwright-core (ENVIRONMENT.md), as the core-browser project does.
const CHROMIUM = process.env.KANDINSKY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--no-sandbox',
];

/** Launches another headless Chromium, e.g. one without WebGPU (`webgpu: false`). */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = options.webgpu === false ? [...CHROMIUM_ARGS.filter((arg) => arg !== '--enable-unsafe-webgpu'), '--disable-gpu'] : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

export interface Playground {
  readonly url: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

/** Starts the playground's Vite server on a free port and launches headless Chromium. */
export async function startPlayground(): Promise<Playground> {
  await mkdir(OUTPUT_DIRECTORY, { recursive: true });
  const server: ViteDevServer = await createServer({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    server: { port: 0, strictPort: false, hmr: false },
    logLevel: 'warn',
  });
  await server.listen();
  const address = server.httpServer!.address();
  const port = typeof address === 'object' && address ? address.port : 5173;
  const browser = await launchChromium();
  return {
    url: `http://localhost:${port}/`,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Requests the page made, by URL path, and any that left localhost. */
export interface RequestLog {
  readonly paths: string[];
  readonly external: string[];
}

export function logRequests(context: BrowserContext): RequestLog {
  const log: RequestLog = { paths: [], external: [] };
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'blob:' || url.protocol === 'data:') return;
    if (url.hostname !== 'localhost') log.external.push(request.url());
    else log.paths.push(url.pathname);
  });
  return log;
}

export interface GenerateOptions {
  readonly mode?: string;
  readonly prompt?: string;
  readonly seed?: number;
  readonly steps?: number;
  readonly device?: 'auto' | 'wasm' | 'webgpu';
  readonly strength?: number;
  /** The sampler select's value; '' (default) when left out. */
  readonly scheduler?: string;
  /** The scheduler config field's text; '' when left out. */
  readonly schedulerConfig?: string;
  readonly timeout?: number;
}

/** Fills the form, clicks Generate and waits for the result or the error. */
export async function generate(page: Page, options: GenerateOptions = {}): Promise<{ png: Uint8Array; image: RgbImage } | { error: string }> {
  if (options.device) await page.selectOption('[data-testid=device-select]', options.device);
  if (options.mode) await page.selectOption('[data-testid=mode]', options.mode);
  if (options.prompt !== undefined) await page.fill('[data-testid=prompt]', options.prompt);
  if (options.seed !== undefined) await page.fill('[data-testid=seed]', String(options.seed));
  await page.fill('[data-testid=steps]', options.steps === undefined ? '' : String(options.steps));
  if (options.strength !== undefined) await page.fill('[data-testid=strength]', String(options.strength));
  // Set directly: the sampler fields are hidden in the modes that take none, and must not carry over.
  await page.evaluate(
    ([scheduler, config]) => {
      document.querySelector<HTMLSelectElement>('[data-testid=scheduler]')!.value = scheduler!;
      document.querySelector<HTMLInputElement>('[data-testid=scheduler-config]')!.value = config!;
    },
    [options.scheduler ?? '', options.schedulerConfig ?? ''],
  );
  const before = await page.getAttribute('[data-testid=result]', 'src');
  await page.click('[data-testid=generate]');
  await page.waitForFunction(
    (previous) => {
      const src = document.querySelector<HTMLImageElement>('[data-testid=result]')!.getAttribute('src');
      return (src !== null && src !== previous) || !document.querySelector<HTMLElement>('[data-testid=error]')!.hidden;
    },
    before,
    { timeout: options.timeout ?? 120_000 },
  );
  if (await page.isVisible('[data-testid=error]')) return { error: (await page.textContent('[data-testid=error]')) ?? '' };
  const png = await page.evaluate(async () => {
    const src = document.querySelector<HTMLImageElement>('[data-testid=result]')!.src;
    return Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer()));
  });
  const bytes = Uint8Array.from(png);
  return { png: bytes, image: await decodePng(bytes) };
}

/** Decodes a PNG into RGB with sharp (independent of the browser's encoder). */
export async function decodePng(png: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Largest and mean absolute difference of two images' bytes, and how many bytes differ. */
export function compareImages(a: RgbImage, b: RgbImage): { max: number; mean: number; differing: number } {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`sizes differ: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  let max = 0;
  let sum = 0;
  let differing = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    if (d > 0) differing++;
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.data.length, differing };
}
