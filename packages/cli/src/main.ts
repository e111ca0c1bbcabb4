import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  KandinskyError,
  type GenerationResult,
  type Kandinsky3,
  type ProgressEvent,
} from '@kandinsky/core';
import { loadKandinsky3, readImage, writePng, type NodeDevice } from '@kandinsky/node';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { parseInteger, parseNumber, parseSize } from './argument-parsers.js';
import type { CliIo } from './cli-io.js';
import { GENERATE_HELP, IMG2IMG_HELP, MAIN_HELP } from './help-text.js';
import { outputPaths } from './output-paths.js';
import { createProgressReporter } from './progress-reporter.js';
import { SDK_VERSION } from './version.js';

/** The model the CLI uses without --model. */
export const DEFAULT_MODEL = 'kandinsky3-tiny';

const options = {
  negative: { type: 'string' },
  flash: { type: 'boolean' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  strength: { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  model: { type: 'string' },
  device: { type: 'string' },
  out: { type: 'string' },
  'low-memory': { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(message: string, hint: string): KandinskyError {
  return new KandinskyError({ code: 'INVALID_ARGUMENT', message, hint });
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 2 bad input (message and hint on stderr), 1 any other failure.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout.write(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`${SDK_VERSION}\n`);
      return 0;
    }
    if (command !== 'generate' && command !== 'img2img') {
      throw usage(`Unknown command ${JSON.stringify(command)}.`, 'Use "kandinsky generate" or "kandinsky img2img"; see kandinsky --help.');
    }
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true });
    } catch (cause) {
      throw usage(
        `${cause instanceof Error ? cause.message : String(cause)}`,
        `See "kandinsky ${command} --help" for the options.`,
      );
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(command === 'generate' ? GENERATE_HELP : IMG2IMG_HELP);
      return 0;
    }
    return await run(command, values, positionals, io);
  } catch (error) {
    const known = KandinskyError.isInstance(error);
    const message = known ? error.message : error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message}\n`);
    if (known) io.stderr.write(`hint: ${error.hint}\n`);
    const badInput = known && /^INVALID_|^MODEL_NOT_FOUND$|^DEVICE_UNAVAILABLE$/.test(error.code);
    return badInput ? 2 : 1;
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

async function run(command: 'generate' | 'img2img', values: Values, positionals: string[], io: CliIo): Promise<number> {
  const needed = command === 'generate' ? 1 : 2;
  if (positionals.length !== needed) {
    throw usage(
      command === 'generate'
        ? `generate takes exactly one prompt, got ${positionals.length} arguments.`
        : `img2img takes an image and a prompt, got ${positionals.length} arguments.`,
      command === 'generate' ? 'Quote the prompt: kandinsky generate "a red circle".' : 'Example: kandinsky img2img in.png "a blue square".',
    );
  }
  if (command === 'img2img' && values.flash) throw usage('--flash is not available for img2img.', 'Drop --flash.');
  if (command === 'generate' && values.strength !== undefined) {
    throw usage('--strength applies to img2img only.', 'Use "kandinsky img2img IMAGE PROMPT --strength S".');
  }
  const device = (values.device ?? 'auto') as NodeDevice | 'auto';
  const size: { width?: number; height?: number } = values.size === undefined ? {} : parseSize(values.size);
  const seed = values.seed === undefined ? undefined : parseInteger('--seed', values.seed, 0);
  const count = values.count === undefined ? 1 : parseInteger('--count', values.count, 1, 64);
  const steps = values.steps === undefined ? undefined : parseInteger('--steps', values.steps, 1, 1000);
  const guidanceScale = values.guidance === undefined ? undefined : parseNumber('--guidance', values.guidance);
  const strength = values.strength === undefined ? undefined : parseNumber('--strength', values.strength);
  const modelDirectory = values.model ? resolve(values.model) : tinyModelPath(DEFAULT_MODEL);
  // With --json, stdout carries only the JSON document; progress goes to stderr.
  const progressStream = values.json ? io.stderr : io.stdout;
  const onProgress: (event: ProgressEvent) => void = createProgressReporter(progressStream, values.quiet === true);

  const pipeline: Kandinsky3 = await loadKandinsky3(modelDirectory, {
    device,
    lowMemory: values['low-memory'] === true,
    onProgress,
  });
  try {
    const prompt = command === 'generate' ? positionals[0]! : positionals[1]!;
    const common = { prompt, ...size, ...(seed === undefined ? {} : { seed }), count, onProgress };
    let result: GenerationResult;
    if (command === 'img2img') {
      const image = await readImage(positionals[0]!);
      result = await pipeline.imageToImage({
        ...common,
        image,
        width: size.width ?? image.width,
        height: size.height ?? image.height,
        ...(values.negative === undefined ? {} : { negativePrompt: values.negative }),
        ...(steps === undefined ? {} : { steps }),
        ...(guidanceScale === undefined ? {} : { guidanceScale }),
        ...(strength === undefined ? {} : { strength }),
      });
    } else if (values.flash) {
      result = await pipeline.flash({
        ...common,
        ...(values.negative === undefined ? {} : { negativePrompt: values.negative }),
        ...(guidanceScale === undefined ? {} : { guidanceScale }),
      });
      if (steps !== undefined) throw usage('--steps cannot be used with --flash (Flash has 4 fixed steps).', 'Drop --steps.');
    } else {
      result = await pipeline.textToImage({
        ...common,
        ...(values.negative === undefined ? {} : { negativePrompt: values.negative }),
        ...(steps === undefined ? {} : { steps }),
        ...(guidanceScale === undefined ? {} : { guidanceScale }),
      });
    }
    const files = outputPaths(resolve(values.out ?? '.'), result.seeds, 'kandinsky');
    const { parameters } = result;
    for (let i = 0; i < result.images.length; i++) {
      await writePng(files[i]!, result.images[i]!, {
        prompt: parameters.prompt,
        ...(parameters.negativePrompt === undefined ? {} : { negativePrompt: parameters.negativePrompt }),
        seed: result.seeds[i]!,
        steps: parameters.steps,
        ...(parameters.guidanceScale === undefined ? {} : { guidanceScale: parameters.guidanceScale }),
        width: parameters.width,
        height: parameters.height,
        model: parameters.model,
        sampler: parameters.sampler,
        mode: parameters.mode,
        ...(parameters.strength === undefined ? {} : { strength: parameters.strength }),
        sdkVersion: SDK_VERSION,
      });
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ files, seeds: result.seeds, parameters, timings: result.timings }, null, 2)}\n`);
    } else {
      for (const file of files) io.stdout.write(`wrote ${file}\n`);
    }
    return 0;
  } finally {
    await pipeline.dispose();
  }
}
