import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, copyFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
/** The tiny model folders the page serves by default (models/tiny). */
export const MODELS_DIRECTORY = join(root, 'models/tiny');
/** onnxruntime-web's runtime files, served by the app under /ort/ (never a CDN). */
export const ORT_DIRECTORY = join(root, 'node_modules/onnxruntime-web/dist');
// The default `onnxruntime-web` entry runs WASM and WebGPU through the JSEP build.
const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'];
const MODEL_FOLDERS = ['kandinsky3-tiny', 'kandinsky3-tiny-ip-adapter', 'kandinsky3-tiny-controlnet-hed', 'kandisuperres-x4', 'beautifier-lm'];

/**
 * Drops the copy of onnxruntime-web's wasm that Vite emits into `assets/` for the runtime's
 * `new URL('ort-wasm-….wasm', import.meta.url)` fallback: the app always sets `wasmPaths` to
 * `/ort/`, so that 28 MB copy would never be loaded (the build would ship the file twice).
 */
export function dropOrtWasmAsset(): Plugin {
  return {
    name: 'kandinsky-drop-ort-wasm-asset',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const [name, output] of Object.entries(bundle)) {
        if (output.type === 'asset' && /(^|\/)ort-wasm-[\w.-]+\.wasm$/.test(name)) delete bundle[name];
      }
    },
  };
}

function walk(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(directory, entry.name)) : [join(directory, entry.name)],
  );
}

const fileLists = new Map<string, string>();
/**
 * `files.json` of a model folder: every file's size and sha256, which `fetchFileSource` checks
 * before it caches a file. Reference data (`reference/`) is left out: the page never reads it.
 */
export function fileList(folder: string): string {
  let text = fileLists.get(folder);
  if (text === undefined) {
    const files: Record<string, { size: number; sha256: string }> = {};
    for (const full of walk(folder).sort()) {
      const path = relative(folder, full).split(sep).join('/');
      if (path.startsWith('reference/') || path === 'README.md') continue;
      const bytes = readFileSync(full);
      files[path] = { size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    text = JSON.stringify({ files }, null, 1);
    fileLists.set(folder, text);
  }
  return text;
}

function contentType(path: string): string {
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.wasm')) return 'application/wasm';
  if (path.endsWith('.mjs') || path.endsWith('.js')) return 'text/javascript';
  return 'application/octet-stream';
}

/**
 * Serves the tiny model folders under `/models/` (with a generated `files.json`) and
 * onnxruntime-web's wasm files under `/ort/`, in `vite` and `vite preview`, and copies both into
 * the static build. A missing file is a real 404, never the app's index.html.
 */
export function modelFilesPlugin(): Plugin {
  let outDir = 'dist';
  const serve = (url: string | undefined): { body?: Buffer | string; file?: string; status: number; type: string } | undefined => {
    const path = decodeURIComponent((url ?? '').split('?')[0]!);
    if (path.startsWith('/ort/')) {
      const name = path.slice('/ort/'.length);
      const file = join(ORT_DIRECTORY, name);
      if (!/^ort-wasm-[\w.-]+$/.test(name) || !existsSync(file)) return { status: 404, type: 'text/plain', body: 'not found' };
      return { status: 200, type: contentType(name), file };
    }
    if (!path.startsWith('/models/')) return undefined;
    const rest = path.slice('/models/'.length);
    const [name, ...parts] = rest.split('/');
    const inner = parts.join('/');
    if (!MODEL_FOLDERS.includes(name!) || parts.includes('..')) return { status: 404, type: 'text/plain', body: 'not found' };
    const folder = join(MODELS_DIRECTORY, name!);
    if (inner === 'files.json') return { status: 200, type: 'application/json', body: fileList(folder) };
    const file = join(folder, inner);
    if (!existsSync(file) || !statSync(file).isFile()) return { status: 404, type: 'text/plain', body: 'not found' };
    return { status: 200, type: contentType(inner), file };
  };
  const middleware = (req: { url?: string }, res: import('node:http').ServerResponse, next: () => void) => {
    const answer = serve(req.url);
    if (!answer) return next();
    res.statusCode = answer.status;
    res.setHeader('content-type', answer.type);
    res.setHeader('cache-control', 'no-cache');
    // These responses skip Vite's own header handling: a script loaded as a worker on a
    // cross-origin isolated page (ORT's thread workers) must carry COEP itself.
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    if (answer.file) {
      res.setHeader('content-length', String(statSync(answer.file).size));
      createReadStream(answer.file).pipe(res);
    } else {
      res.end(answer.body);
    }
  };
  return {
    name: 'kandinsky-model-files',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    async writeBundle() {
      for (const name of ORT_FILES) {
        await mkdir(join(outDir, 'ort'), { recursive: true });
        await copyFile(join(ORT_DIRECTORY, name), join(outDir, 'ort', name));
      }
      for (const name of MODEL_FOLDERS) {
        const folder = join(MODELS_DIRECTORY, name);
        const list = JSON.parse(fileList(folder)) as { files: Record<string, unknown> };
        for (const path of Object.keys(list.files)) {
          const target = join(outDir, 'models', name, path);
          await mkdir(dirname(target), { recursive: true });
          await copyFile(join(folder, path), target);
        }
        await writeFile(join(outDir, 'models', name, 'files.json'), fileList(folder));
      }
    },
  };
}
