import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { isImageFileName } from './output-paths.js';
import { parseArgs } from 'node:util';
import type { NodeDevice } from '@kandinsky/node';
import { parseInteger } from './argument-parsers.js';
import { closestName } from './closest-name.js';
import { DEVICES } from './generation-request.js';
import { usageError } from './usage-error.js';

/** The options of `kandinsky upscale`; the help text (UPSCALE_HELP) describes them. */
export const UPSCALE_OPTIONS = {
  scale: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  'view-batch': { type: 'string' },
  window: { type: 'string' },
  stride: { type: 'string' },
  'max-pixels': { type: 'string' },
  flash: { type: 'boolean' },
  model: { type: 'string' },
  device: { type: 'string' },
  out: { type: 'string' },
  'low-memory': { type: 'boolean' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type UpscaleOptionName = keyof typeof UPSCALE_OPTIONS;

/** One `kandinsky upscale` run, checked and typed. */
export interface UpscaleRequest {
  /** Absolute path of the input image. */
  readonly imagePath: string;
  /** Undefined: the model's scale. */
  readonly scale: number | undefined;
  readonly steps: number | undefined;
  readonly seed: number;
  readonly viewBatchSize: number | undefined;
  readonly window: number | undefined;
  readonly stride: number | undefined;
  readonly maxOutputPixels: number | undefined;
  /** The Flash loop (spec §3.7) instead of DPM-Solver++. */
  readonly flash: boolean;
  /** Absolute model folder; undefined selects the tiny ×4 model. */
  readonly modelDirectory: string | undefined;
  readonly device: NodeDevice | 'auto';
  /** Absolute output `.png` path, or a folder that receives `<input>-x<scale>.png`. */
  readonly out: string | undefined;
  readonly lowMemory: boolean;
  /** Overwrite an existing output file (--force); without it the command refuses before any work. */
  readonly force: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

/**
 * Parses and checks a `kandinsky upscale` command line: unknown options (with a suggestion),
 * repeated options, missing values, ranges. Nothing here touches a model or the image file.
 */
export function toUpscaleRequest(args: readonly string[]): UpscaleRequest {
  const { tokens } = parseArgs({ args: [...args], options: UPSCALE_OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const values: Partial<Record<UpscaleOptionName, string | true>> = {};
  const positionals: string[] = [];
  const helpHint = 'See "kandinsky upscale --help" for the options.';
  const names = Object.keys(UPSCALE_OPTIONS) as UpscaleOptionName[];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    if (!Object.hasOwn(UPSCALE_OPTIONS, token.name)) {
      const suggestion = closestName(token.name, names);
      throw usageError(
        `Unknown option ${JSON.stringify(token.rawName)} for kandinsky upscale.`,
        suggestion === undefined ? helpHint : `Did you mean --${suggestion}? ${helpHint}`,
        { option: token.rawName },
      );
    }
    const name = token.name as UpscaleOptionName;
    if (name in values) throw usageError(`--${name} is given twice.`, `Give --${name} once.`, { option: `--${name}` });
    if (UPSCALE_OPTIONS[name].type === 'boolean') {
      if (token.value !== undefined) {
        throw usageError(`--${name} takes no value, got ${JSON.stringify(token.value)}.`, `Write --${name} alone.`, { option: `--${name}` });
      }
      values[name] = true;
    } else {
      const value = token.value;
      if (value === undefined || (!token.inlineValue && value.startsWith('--'))) {
        throw usageError(`--${name} needs a value.`, `Write --${name} VALUE. ${helpHint}`, { option: `--${name}` });
      }
      values[name] = value;
    }
  }
  const help = values.help === true;
  const text = (name: UpscaleOptionName): string | undefined => {
    const value = values[name];
    return value === true ? undefined : value;
  };
  const integer = (name: UpscaleOptionName, minimum: number, maximum: number, hint: string): number | undefined => {
    const value = text(name);
    return value === undefined ? undefined : parseInteger(`--${name}`, value, minimum, maximum, hint);
  };
  if (!help && positionals.length !== 1) {
    throw usageError(
      `upscale takes exactly one input image, got ${positionals.length} arguments.`,
      'Example: kandinsky upscale small.png --out big.png',
      { arguments: positionals.length },
    );
  }
  const scaleText = text('scale');
  if (scaleText !== undefined && scaleText !== '2' && scaleText !== '4') {
    throw usageError(`--scale must be 4 or 2, got ${JSON.stringify(scaleText)}.`, 'KandiSuperRes exists as ×4 and ×2 models.', {
      option: '--scale',
    });
  }
  const device = text('device') ?? 'auto';
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw usageError(`--device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(device)}.`, 'Use --device cpu to be sure it runs.', {
      option: '--device',
    });
  }
  const window = integer('window', 8, 65536, 'Use a multiple of the model size multiple (8), e.g. --window 1024.');
  const stride = integer('stride', 1, 65536, 'Use a stride ≤ the window, e.g. --stride 800.');
  if (window !== undefined && stride !== undefined && stride > window) {
    throw usageError(`--stride ${stride} is larger than --window ${window}: the views would leave gaps.`, 'Use a stride ≤ the window.', {
      option: '--stride',
    });
  }
  const model = text('model');
  const out = text('out');
  return {
    imagePath: resolve(positionals[0] ?? '.'),
    scale: scaleText === undefined ? undefined : Number(scaleText),
    steps: integer('steps', 1, 1000, 'KandiSuperRes uses 5 steps.'),
    seed: integer('seed', 0, Number.MAX_SAFE_INTEGER, 'Use a whole number ≥ 0.') ?? 0,
    viewBatchSize: integer('view-batch', 1, 1024, 'Use e.g. --view-batch 1 to use the least memory.'),
    window,
    stride,
    maxOutputPixels: integer('max-pixels', 1, Number.MAX_SAFE_INTEGER, 'Pass the largest output in pixels, e.g. 100000000.'),
    flash: values.flash === true,
    modelDirectory: model === undefined ? undefined : resolve(model),
    device: device as NodeDevice | 'auto',
    out: out === undefined ? undefined : resolve(out),
    lowMemory: values['low-memory'] === true,
    force: values.force === true,
    json: values.json === true,
    quiet: values.quiet === true,
    help,
  };
}

/** `--out` as a file: a `.png` / `.jpg` / `.jpeg` / `.webp` path as given, a folder gets `<input stem>-x<scale>.png`; default: the current folder. */
export function upscaleOutputPath(request: UpscaleRequest, scale: number): string {
  const out = request.out ?? resolve('.');
  if (isImageFileName(out)) return out;
  const stem = basename(request.imagePath, extname(request.imagePath));
  return resolve(out, `${stem}-x${scale}.png`);
}

/**
 * Refuses to overwrite the output file unless --force, as the generating commands do (exit 2). A
 * folder's file name holds the scale (`<input>-x4.png`): with `scale` undefined (the model's, not
 * known yet) only an image-file --out can be checked, and the caller checks again once the model
 * folder has been read, before the upscale runs.
 */
export function checkUpscaleNoOverwrite(request: UpscaleRequest, scale: number | undefined): void {
  if (request.force) return;
  const out = request.out ?? resolve('.');
  if (scale === undefined && !isImageFileName(out)) return;
  const file = upscaleOutputPath(request, scale ?? 0);
  if (existsSync(file)) {
    throw usageError(`--out would overwrite an existing file: ${JSON.stringify(file)}.`, 'Pass --force to overwrite it, or choose another --out.', {
      out: file,
    });
  }
}
