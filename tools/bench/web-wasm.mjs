#!/usr/bin/env node
// onnxruntime-web WASM (in the playground's worker, headless Debian Chromium) against
// onnxruntime-node on the CPU, both on one thread: the tiny UNet's step, a KandiSuperRes ×4
// upscale and a beautifier-LM prompt expansion; plus the model download and cache times of the
// playground.
//
//   node tools/bench/web-wasm.mjs [--steps N] [--json]     (needs a prior build of @kandinsky/node)
//
// Step time = the pipeline's `denoise` timing / steps (text → image, CFG, 64×64), median of 3
// runs after a warm-up, on each side. Upscale = a 16×16 → 64×64 KandiSuperRes call (5 steps),
// beautify = the `beautify` stage of a text → image call (greedy expansion of "red circle" by the
// tiny LM), each the median of 3 after a warm-up. Download = the `load-model` timing of the first
// run on a fresh browser profile (fetch + check + cache + session creation of every component);
// cached = the same after a page reload (Cache Storage + session creation).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const steps = Number(args.includes('--steps') ? args[args.indexOf('--steps') + 1] : 50);
const json = args.includes('--json');
const nodeEntry = resolve(root, 'packages/node/dist/index.js');
if (!existsSync(nodeEntry)) {
  console.error('No built @kandinsky/node. Run `npx turbo run build --filter=@kandinsky/node` first.');
  process.exit(1);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const prompt = 'a red circle on a white background';

// Node, CPU, one intra-op thread.
const { loadKandinsky3 } = await import(pathToFileURL(nodeEntry).href);
const { tinyModelPath } = await import('@kandinsky/tiny-models');
const pipeline = await loadKandinsky3(tinyModelPath('kandinsky3-tiny'), { device: 'cpu', intraOperatorThreads: 1 });
await pipeline.textToImage({ prompt, seed: 1, steps: 2 });
const nodeStep = [];
for (let i = 0; i < 3; i++) nodeStep.push((await pipeline.textToImage({ prompt, seed: 1, steps })).timings.denoise / steps);
await pipeline.dispose();

// The upscale input: a 16×16 image (a red square on white), as a PNG file for the page's input.
const { default: sharp } = await import('sharp');
const lowRes = new Uint8Array(16 * 16 * 3).fill(240);
for (let y = 4; y < 12; y++) for (let x = 4; x < 12; x++) lowRes.set([220, 30, 40], (y * 16 + x) * 3);
const inputPng = join(mkdtempSync(join(tmpdir(), 'kandinsky-bench-')), 'low-res.png');
writeFileSync(inputPng, await sharp(lowRes, { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer());
const timed = async (work) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};
const { loadKandiSuperRes, loadOnnxCausalLM } = await import(pathToFileURL(nodeEntry).href);
const { Beautifier } = await import('@kandinsky/beautifier');
const sr = await loadKandiSuperRes(tinyModelPath('kandisuperres-x4'), { device: 'cpu', intraOperatorThreads: 1 });
const srImage = { width: 16, height: 16, data: lowRes };
await sr.upscale({ image: srImage, seed: 0 });
const nodeUpscale = [];
for (let i = 0; i < 3; i++) nodeUpscale.push(await timed(() => sr.upscale({ image: srImage, seed: 0 })));
await sr.dispose();
const lm = await loadOnnxCausalLM(tinyModelPath('beautifier-lm'), { device: 'cpu', intraOperatorThreads: 1 });
const beautifier = new Beautifier({ llm: lm });
await beautifier.beautify('red circle');
const nodeBeautify = [];
for (let i = 0; i < 3; i++) nodeBeautify.push(await timed(() => beautifier.beautify('red circle')));
await lm.dispose();

// Browser, WASM, one thread, in the playground's worker.
const server = await createServer({
  configFile: resolve(root, 'apps/playground/vite.config.ts'),
  server: { port: 0, hmr: false },
  logLevel: 'warn',
});
await server.listen();
const url = `http://localhost:${server.httpServer.address().port}/?threads=1`;
const browser = await chromium.launch({
  executablePath: process.env.KANDINSKY_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--no-sandbox'],
});
const page = await (await browser.newContext()).newPage();
async function run(runSteps) {
  if (runSteps !== undefined) await page.fill('[data-testid=steps]', String(runSteps));
  const before = await page.getAttribute('[data-testid=result]', 'src');
  await page.click('[data-testid=generate]');
  await page.waitForFunction((previous) => {
    const src = document.querySelector('[data-testid=result]').getAttribute('src');
    return (src !== null && src !== previous) || !document.querySelector('[data-testid=error]').hidden;
  }, before, { timeout: 300_000 });
  return page.evaluate(() => window.kandinskyPlayground.lastTimings);
}
await page.goto(url);
await page.selectOption('[data-testid=device-select]', 'wasm');
const download = (await run(2))['load-model'];
const webStep = [];
for (let i = 0; i < 3; i++) webStep.push((await run(steps)).denoise / steps);
await page.fill('[data-testid=prompt]', 'red circle');
await page.check('[data-testid=beautify]');
await run(2);
const webBeautify = [];
for (let i = 0; i < 3; i++) webBeautify.push((await run(2)).beautify);
await page.uncheck('[data-testid=beautify]');
await page.selectOption('[data-testid=mode]', 'upscale');
await page.setInputFiles('[data-testid=image-input]', inputPng);
await page.fill('[data-testid=seed]', '0');
const upscaleRun = async () => {
  await page.fill('[data-testid=steps]', '');
  return run(undefined);
};
await upscaleRun();
const webUpscale = [];
for (let i = 0; i < 3; i++) webUpscale.push((await upscaleRun()).upscale);
await page.reload();
await page.selectOption('[data-testid=device-select]', 'wasm');
const cached = (await run(2))['load-model'];
await browser.close();
await server.close();

const result = {
  steps,
  nodeCpuStepMs: median(nodeStep),
  wasmStepMs: median(webStep),
  ratio: median(webStep) / median(nodeStep),
  firstLoadMs: download,
  cachedLoadMs: cached,
  nodeCpuUpscaleMs: median(nodeUpscale),
  wasmUpscaleMs: median(webUpscale),
  upscaleRatio: median(webUpscale) / median(nodeUpscale),
  nodeCpuBeautifyMs: median(nodeBeautify),
  wasmBeautifyMs: median(webBeautify),
  beautifyRatio: median(webBeautify) / median(nodeBeautify),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`tiny UNet step (text → image, CFG, 64×64, ${steps} steps, 1 thread):`);
  console.log(`  onnxruntime-node CPU  ${result.nodeCpuStepMs.toFixed(2)} ms`);
  console.log(`  onnxruntime-web WASM  ${result.wasmStepMs.toFixed(2)} ms   ratio ${result.ratio.toFixed(2)}×`);
  console.log(`KandiSuperRes ×4, 16×16 → 64×64, 5 steps:`);
  console.log(`  onnxruntime-node CPU  ${result.nodeCpuUpscaleMs.toFixed(1)} ms`);
  console.log(`  onnxruntime-web WASM  ${result.wasmUpscaleMs.toFixed(1)} ms   ratio ${result.upscaleRatio.toFixed(2)}×`);
  console.log(`beautifier LM, greedy expansion of "red circle":`);
  console.log(`  onnxruntime-node CPU  ${result.nodeCpuBeautifyMs.toFixed(1)} ms`);
  console.log(`  onnxruntime-web WASM  ${result.wasmBeautifyMs.toFixed(1)} ms   ratio ${result.beautifyRatio.toFixed(2)}×`);
  console.log(`model load in the browser (kandinsky3-tiny, 4 components for text → image):`);
  console.log(`  first visit (download + check + cache + sessions)  ${result.firstLoadMs.toFixed(0)} ms`);
  console.log(`  second visit (Cache Storage + sessions)            ${result.cachedLoadMs.toFixed(0)} ms`);
}
