// The browser half of the consumer test: serves the consumer project's bundled page and worker,
// onnxruntime-web's wasm from its installed package and the tiny model folder from the installed
// @kandinsky/tiny-models over a loopback server, runs the page in headless Chromium (Debian's,
// through the repository's playwright-core, as the browser tests do) and compares its PNG with the
// one `kandinsky generate` wrote from the tarballs for the same prompt, seed and steps.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, normalize } from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** Where each URL prefix is served from, all inside the consumer project. */
function routes(app) {
  return [
    ['/models/', join(app, 'node_modules', '@kandinsky', 'tiny-models')],
    ['/ort/', join(app, 'node_modules', 'onnxruntime-web', 'dist')],
    ['/out/', join(app, 'out')],
  ];
}

function serve(app) {
  const table = routes(app);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    let file = path === '/' ? join(app, 'web-index.html') : undefined;
    for (const [prefix, root] of table) if (path.startsWith(prefix)) file = join(root, normalize(path.slice(prefix.length)));
    if (file === undefined || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs the page; resolves with its PNG decoded to RGB, and what else it reported. */
export async function runWebPage(app, repo) {
  const executablePath = process.env.KANDINSKY_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: apt-get install -y chromium, or set KANDINSKY_CHROMIUM (the web package is run in a browser here)`);
  }
  const { chromium } = createRequire(join(repo, 'package.json'))('playwright-core');
  const sharp = createRequire(join(app, 'package.json'))('sharp');
  const server = await serve(app);
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    const page = await browser.newPage();
    const outside = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`http://127.0.0.1:${server.address().port}/`) && !request.url().startsWith('blob:') && !request.url().startsWith('data:')) outside.push(request.url());
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.consumerResult !== undefined, undefined, { timeout: 120_000 });
    const result = await page.evaluate(() => window.consumerResult);
    if (result.error) throw new Error(`the consumer page failed: ${result.error}`);
    if (outside.length > 0) throw new Error(`the consumer page fetched from outside the app: ${outside.join(', ')}`);
    const decode = async (png) => (await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true }));
    const web = await decode(Buffer.from(result.png));
    const cli = await decode(readFileSync(join(app, 'out', 'cli.png')));
    if (web.info.width !== cli.info.width || web.info.height !== cli.info.height) {
      throw new Error(`web image ${web.info.width}×${web.info.height}, CLI image ${cli.info.width}×${cli.info.height}`);
    }
    let max = 0;
    let differing = 0;
    for (let i = 0; i < web.data.length; i++) {
      const d = Math.abs(web.data[i] - cli.data[i]);
      if (d > 0) differing++;
      max = Math.max(max, d);
    }
    // The same fp32 kernels on both runtimes (measured in the playground test: 0 bytes differ);
    // summation order may move a byte by one.
    if (max > 2) throw new Error(`web vs CLI: max |Δ| ${max} of 255 (${differing} bytes differ)`);
    console.log(`  web page in Chromium (${result.device}, ${result.sampler}): ${web.info.width}×${web.info.height}, vs kandinsky generate ${differing} of ${web.data.length} bytes differ, max ${max}`);
  } finally {
    await browser.close();
    server.close();
  }
}
