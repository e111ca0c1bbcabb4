import { WarningCodes } from '../events/warning-codes.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import type { EncodedPrompt, PromptContexts } from './prompt-encoder.js';
import { MAX_PROMPT_TOKENS, cutLength, tokenizePrompt, type PromptTokens, type TextTokenizer } from './prompt-tokens.js';
import { checkFunction, checkObject } from '../errors/argument-checks.js';

/**
 * Which K3D pipeline's convention C to follow (spec §4.1 C; the two files differ):
 * - `'ip-adapter'` (`kandinsky3_pipeline_ip_adapter.py`): the negative prompt is padded to 128,
 *   cut to the positive length L, projected, **then** its pad rows are zeroed; prompt `""` makes
 *   the positive context and mask all zero (the image-only mode, spec §4.6).
 * - `'controlnet'` (`kandinsky3controlnet_pipeline.py`, also the K3D base pipeline): the negative
 *   prompt is tokenised with `max_length = L`, and its pad rows stay the LayerNorm bias.
 */
export type K3dPromptVariant = 'ip-adapter' | 'controlnet';

/** The model calls of {@link encodeK3dPrompt}. */
export interface K3dPromptModels {
  readonly tokenizer: TextTokenizer;
  /** `text_encoder`: ids/mask `[B, 128]` → `[B, 128, E]`. */
  encode(ids: Tensor<'int64'>, mask: Tensor<'int64'>): Promise<Tensor<'float32'>>;
  /** `text_projection`: `[B, L, E]` → `[B, L, D]`. */
  project(hidden: Tensor<'float32'>): Promise<Tensor<'float32'>>;
}

/** Options of {@link encodeK3dPrompt}. */
export interface K3dPromptOptions {
  readonly variant: K3dPromptVariant;
  readonly prompt: string;
  /**
   * The negative prompt; the K3D pipelines encode `""` (EOS only) when none is given.
   * @default ''
   */
  readonly negativePrompt?: string;
  /** Whether to build the unconditional context (guidance on). */
  readonly withUnconditional: boolean;
  /** Receives the PROMPT_TRUNCATED warning. @default undefined */
  readonly warn?: (code: (typeof WarningCodes)[keyof typeof WarningCodes], message: string) => void;
}

function int64Tensor(rows: readonly (readonly number[])[], width: number): Tensor<'int64'> {
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((row, item) => {
    for (let i = 0; i < width; i++) data[item * width + i] = BigInt(row[i] ?? 0);
  });
  return createTensor('int64', [rows.length, width], data);
}

/** Tokens padded (or cut) to `width` ids, keeping their mask. */
function padTo(tokens: PromptTokens, width: number): { ids: number[]; mask: number[] } {
  const ids = new Array<number>(width).fill(0);
  const mask = new Array<number>(width).fill(0);
  for (let i = 0; i < Math.min(width, tokens.ids.length); i++) {
    ids[i] = tokens.ids[i]!;
    mask[i] = tokens.mask[i]!;
  }
  return { ids, mask };
}

/**
 * Item `item` of `[B, 128, E]` cut to its first `length` rows and multiplied by `mask` (spec §4.1 C:
 * "cut → multiply by mask"), as `[1, length, E]`.
 */
function cutAndMask(states: Tensor<'float32'>, item: number, mask: readonly number[], length: number): Float32Array {
  const [, rows, width] = states.dims as [number, number, number];
  const out = new Float32Array(length * width);
  for (let row = 0; row < length; row++) {
    if (mask[row] === 0) continue;
    const from = (item * rows + row) * width;
    out.set(states.data.subarray(from, from + width), row * width);
  }
  return out;
}

function maskTensor(mask: readonly number[], length: number): Tensor<'int64'> {
  return int64Tensor([mask.slice(0, length)], length);
}

/**
 * The UNet contexts of convention C (spec §4.1 C, docs/model-format.md §4): the pipeline projects
 * the text itself. Positive: tokens cut to L = n + 1, raw encoder states × mask, projected, so
 * the pad row becomes the LayerNorm bias and is **not** re-zeroed. The unconditional context is
 * the negative prompt (`""` when none) of the same length L, per {@link K3dPromptVariant}.
 */
export async function encodeK3dPrompt(models: K3dPromptModels, options: K3dPromptOptions): Promise<PromptContexts> {
  checkObject('models', models, 'the encoder models { tokenizer, encode, project }', 'See K3dPromptModels.');
  for (const key of ['encode', 'project'] as const) checkFunction(`models.${key}`, models[key], 'a function', 'See K3dPromptModels.');
  checkObject('options', options, 'an options object { variant, prompt }', 'See K3dPromptOptions.');
  const { variant, withUnconditional } = options;
  const positive = tokenizePrompt(models.tokenizer, options.prompt);
  if (positive.droppedTokens > 0) {
    options.warn?.(
      WarningCodes.PROMPT_TRUNCATED,
      `The prompt has ${positive.droppedTokens + positive.length - 1} tokens; only the first ${positive.length - 1} are used (spec §2.1: 128 with EOS).`,
    );
  }
  const length = cutLength(positive);
  const rows = [padTo(positive, MAX_PROMPT_TOKENS)];
  if (withUnconditional) {
    const text = options.negativePrompt ?? '';
    // ControlNet/base K3D tokenise the negative prompt with max_length = L (EOS kept last);
    // the IP pipeline pads it to 128 and cuts the encoder states afterwards.
    const negative =
      variant === 'controlnet' ? tokenizePrompt(models.tokenizer, text, length) : tokenizePrompt(models.tokenizer, text);
    rows.push(padTo(negative, MAX_PROMPT_TOKENS));
  }
  const states = await models.encode(
    int64Tensor(
      rows.map((row) => row.ids),
      MAX_PROMPT_TOKENS,
    ),
    int64Tensor(
      rows.map((row) => row.mask),
      MAX_PROMPT_TOKENS,
    ),
  );
  const hiddenWidth = states.dims[2]!;
  const hidden = createTensor('float32', [rows.length, length, hiddenWidth]);
  rows.forEach((row, item) => hidden.data.set(cutAndMask(states, item, row.mask, length), item * length * hiddenWidth));
  const projected = await models.project(hidden);
  const width = projected.dims[2]!;
  const item = (index: number): Float32Array => projected.data.slice(index * length * width, (index + 1) * length * width);

  let conditional: EncodedPrompt;
  if (variant === 'ip-adapter' && options.prompt === '') {
    // spec §4.6 image-only mode: the K3D IP pipeline replaces the context and mask by zeros.
    conditional = { context: createTensor('float32', [1, length, width]), mask: createTensor('int64', [1, length]) };
  } else {
    conditional = { context: createTensor('float32', [1, length, width], item(0)), mask: maskTensor(rows[0]!.mask, length) };
  }
  if (!withUnconditional) return { conditional, unconditional: undefined, length };
  const negativeMask = rows[1]!.mask;
  const context = item(1);
  if (variant === 'ip-adapter') {
    for (let row = 0; row < length; row++) if (negativeMask[row] === 0) context.fill(0, row * width, (row + 1) * width);
  }
  return {
    conditional,
    unconditional: { context: createTensor('float32', [1, length, width], context), mask: maskTensor(negativeMask, length) },
    length,
  };
}
