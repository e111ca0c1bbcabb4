import { resolve } from 'node:path';
import type { PixelLimits } from '@kandinsky/core';
import type { NodeDevice } from '@kandinsky/node';
import { parseInteger, parseNumber, parseSize } from './argument-parsers.js';
import { toLlmRequest, type LlmRequest } from './beautify-command.js';
import type { CommandName } from './command-options.js';
import type { ParsedOptions } from './parse-options.js';
import { parsePixelLimits } from './pixel-limit-options.js';
import { parseSchedulerOptions, type SchedulerRequest } from './scheduler-option.js';
import { usageError } from './usage-error.js';

/** The devices `--device` accepts. */
export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const satisfies readonly (NodeDevice | 'auto')[];

/** Most images one command makes; more is better done in a loop that can be stopped. */
export const MAX_COUNT = 64;
/** Most denoising steps: the models are trained on 1000 timesteps (spec §3.1). */
export const MAX_STEPS = 1000;

/** Everything one `generate` or `img2img` run needs, checked and typed. */
export interface GenerationRequest extends SchedulerRequest {
  readonly mode: 'text-to-image' | 'flash' | 'image-to-image';
  readonly prompt: string;
  /** The input image of img2img. */
  readonly imagePath: string | undefined;
  readonly negativePrompt: string | undefined;
  readonly steps: number | undefined;
  readonly guidanceScale: number | undefined;
  readonly strength: number | undefined;
  /** Both sides, or neither (the model's default, or img2img's input size). */
  readonly size: { readonly width: number; readonly height: number } | undefined;
  readonly seed: number | undefined;
  readonly count: number;
  /** Absolute model folder; undefined selects the default model. */
  readonly modelDirectory: string | undefined;
  readonly device: NodeDevice | 'auto';
  /** Absolute folder or `.png` file. */
  readonly out: string;
  readonly lowMemory: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  /** The LLM of `--beautify`; undefined without it. */
  readonly beautify: LlmRequest | undefined;
  /** `--max-pixels` / `--max-job-pixels`; each left out when not given (core's defaults). */
  readonly limits: PixelLimits;
}

/**
 * Checks every option of a `generate` / `img2img` command line and resolves it into a request:
 * types, ranges and combinations (Flash takes no steps, guidance or negative prompt). Nothing
 * here touches a model, so every mistake on the command line is reported before one loads.
 */
export function toGenerationRequest(command: CommandName, { values, positionals }: ParsedOptions): GenerationRequest {
  const text = (name: keyof typeof values): string | undefined => {
    const value = values[name];
    return value === true ? undefined : value;
  };
  const expected = command === 'generate' ? 1 : 2;
  if (positionals.length !== expected) {
    throw usageError(
      command === 'generate'
        ? `generate takes exactly one prompt, got ${positionals.length} arguments${positionals.length > 1 ? ` (${positionals.map((p) => JSON.stringify(p)).join(', ')})` : ''}.`
        : `img2img takes an image and a prompt, got ${positionals.length} arguments.`,
      command === 'generate'
        ? 'Quote the prompt: kandinsky generate "a red circle".'
        : 'Example: kandinsky img2img in.png "a blue square".',
      { arguments: positionals.length },
    );
  }
  const flash = values.flash === true;
  if (flash) {
    const scheduler = text('scheduler');
    // Flash samples with its own 4-step loop or, for another step count, diffusers' LCM (same x0 re-noising).
    const lcm = scheduler === 'lcm' || scheduler === 'LCMScheduler';
    if (scheduler !== undefined && !lcm) {
      throw usageError(
        `--scheduler ${JSON.stringify(scheduler)} cannot be used with --flash: the distilled Flash UNet runs its own 4-step sampler or LCM.`,
        'Use --flash --scheduler lcm --steps N for another step count, or drop --flash to use the guided sampler.',
        { option: '--scheduler', value: scheduler },
      );
    }
    for (const [name, why] of [
      ...(lcm ? [] : ([['steps', 'Flash runs its 4 fixed steps (add --scheduler lcm to choose the count)']] as const)),
      ['guidance', 'Flash uses no classifier-free guidance'],
      ['negative', 'Flash uses no classifier-free guidance, so no negative prompt'],
    ] as const) {
      const value = text(name);
      if (value !== undefined) {
        throw usageError(
          `--${name} ${JSON.stringify(value)} cannot be used with --flash: ${why}.`,
          `Drop --${name}, or drop --flash to use the guided sampler.`,
          { option: `--${name}`, value },
        );
      }
    }
  }

  const count = optional(text('count'), (value) =>
    parseInteger('--count', value, 1, MAX_COUNT, `Ask for 1 to ${MAX_COUNT} images, e.g. --count 4.`),
  ) ?? 1;
  // Image i uses seed + i, and every seed must stay an exact integer.
  const seed = optional(text('seed'), (value) =>
    parseInteger('--seed', value, 0, Number.MAX_SAFE_INTEGER - (count - 1), 'Use a whole number such as 42 (as torch.manual_seed takes).'),
  );
  const device = text('device') ?? 'auto';
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw usageError(`--device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(device)}.`, 'Use --device cpu, or auto to pick the fastest that works.', {
      '--device': device,
    });
  }
  const model = text('model');
  const out = text('out');
  for (const [name, value] of [
    ['model', model],
    ['out', out],
  ] as const) {
    if (value !== undefined && value.trim() === '') {
      throw usageError(`--${name} is empty.`, name === 'model' ? 'Pass a model folder, or leave --model out for the default model.' : 'Pass a folder, or a .png, .jpg or .webp file name.', {
        option: `--${name}`,
      });
    }
  }
  return {
    mode: command === 'img2img' ? 'image-to-image' : flash ? 'flash' : 'text-to-image',
    prompt: command === 'generate' ? positionals[0]! : positionals[1]!,
    imagePath: command === 'img2img' ? resolve(positionals[0]!) : undefined,
    negativePrompt: text('negative'),
    ...parseSchedulerOptions(text('scheduler'), text('scheduler-config')),
    steps: optional(text('steps'), (value) =>
      parseInteger('--steps', value, 1, MAX_STEPS, 'Use e.g. --steps 50 (the original sampler\'s default) or fewer for speed.'),
    ),
    guidanceScale: optional(text('guidance'), (value) =>
      parseNumber('--guidance', value, 0, Number.POSITIVE_INFINITY, 'Kandinsky 3 uses 3 (a "standard" CFG scale of 4); 0 turns guidance off.'),
    ),
    strength: optional(text('strength'), (value) =>
      parseNumber('--strength', value, 0, 1, 'Use 0.3 for light edits, up to 1 to ignore the input image.'),
    ),
    size: optional(text('size'), parseSize),
    seed,
    count,
    modelDirectory: model === undefined ? undefined : resolve(model),
    device: device as NodeDevice | 'auto',
    out: resolve(out ?? '.'),
    lowMemory: values['low-memory'] === true,
    json: values.json === true,
    quiet: values.quiet === true,
    // The image seed is not the LLM's: --beautify decodes greedily.
    beautify: command === 'generate' ? toLlmRequest(command, values, undefined) : undefined,
    limits: parsePixelLimits(text('max-pixels'), text('max-job-pixels')),
  };
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}
