import { kandinskyError } from '../errors/error-constructors.js';
import { WarningCodes } from '../events/warning-codes.js';
import type { PromptConvention } from '../model/model-index.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import {
  MAX_PROMPT_TOKENS,
  cutLength,
  originalNegativeTokens,
  tokenizePrompt,
  type PromptTokens,
  type TextTokenizer,
} from './prompt-tokens.js';
import { checkFunction, checkObject } from '../errors/argument-checks.js';

/** A context batch item ready for the UNet. */
export interface EncodedPrompt {
  /** `[1, L, D]`: projected (A) or raw encoder states (B). */
  readonly context: Tensor<'float32'>;
  /** `[1, L]` int64 0/1. */
  readonly mask: Tensor<'int64'>;
}

/** Conditional and (when guidance is on) unconditional contexts of one prompt. */
export interface PromptContexts {
  readonly conditional: EncodedPrompt;
  readonly unconditional: EncodedPrompt | undefined;
  /** The cut length L shared by both. */
  readonly length: number;
}

/** The model calls prompt encoding needs, supplied by the pipeline. */
export interface PromptEncoderModels {
  readonly tokenizer: TextTokenizer;
  /** `text_encoder`: ids/mask `[B, 128]` → `last_hidden_state` `[B, 128, E]`. */
  encode(ids: Tensor<'int64'>, mask: Tensor<'int64'>): Promise<Tensor<'float32'>>;
  /** `text_projection` (convention A): `[B, S, E]` → `[B, S, D]`. */
  project?(hidden: Tensor<'float32'>): Promise<Tensor<'float32'>>;
  /** The learned unconditional row of convention A (D floats). */
  readonly nullEmbedding?: Float32Array;
}

/** Options of {@link encodePrompt}. */
export interface EncodePromptOptions {
  readonly convention: PromptConvention;
  readonly prompt: string;
  /** @default undefined (null embedding in A, zeros in B) */
  readonly negativePrompt?: string;
  /** Whether to build the unconditional context (false for Flash and for B with w ≤ 1). */
  readonly withUnconditional: boolean;
  /** Receives `warning` events (truncation, non-finite encoder output). */
  readonly warn?: (code: (typeof WarningCodes)[keyof typeof WarningCodes], message: string) => void;
}

/** Whether typed arrays are little-endian here (every platform Node and browsers run on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `values` into `data[offset…]` as int64. Writes the two 32-bit halves of each value instead of
 * making a BigInt per element when every value is an int32 on a little-endian
 * platform; otherwise BigInt by BigInt.
 */
function writeInt64(data: BigInt64Array, offset: number, values: readonly number[], count: number): void {
  let int32 = LITTLE_ENDIAN;
  for (let i = 0; i < count && int32; i++) int32 = ((values[i] ?? 0) | 0) === (values[i] ?? 0);
  if (!int32) {
    for (let i = 0; i < count; i++) data[offset + i] = BigInt(values[i] ?? 0);
    return;
  }
  const words = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
  for (let i = 0; i < count; i++) {
    const value = values[i] ?? 0;
    words[2 * (offset + i)] = value;
    words[2 * (offset + i) + 1] = value < 0 ? -1 : 0;
  }
}

function idsTensor(list: readonly PromptTokens[], pick: (tokens: PromptTokens) => readonly number[]): Tensor<'int64'> {
  const width = list[0]!.ids.length;
  const data = new BigInt64Array(list.length * width);
  list.forEach((tokens, item) => writeInt64(data, item * width, pick(tokens), width));
  return createTensor('int64', [list.length, width], data);
}

/** Copies item `item`'s first `length` rows of `[B, S, D]`, zeroing rows whose mask is 0. */
function cutRows(states: Tensor<'float32'>, item: number, mask: readonly number[], length: number): Tensor<'float32'> {
  const [, rows, width] = states.dims as [number, number, number];
  const out = createTensor('float32', [1, length, width]);
  for (let row = 0; row < length; row++) {
    if (mask[row] === 0) continue; // spec §4.1 step 3: padded rows are zero
    const from = (item * rows + row) * width;
    out.data.set(states.data.subarray(from, from + width), row * width);
  }
  return out;
}

function maskTensor(mask: readonly number[], length: number): Tensor<'int64'> {
  const data = new BigInt64Array(length);
  writeInt64(data, 0, mask, length);
  return createTensor('int64', [1, length], data);
}

// Tokenisation of recent prompts, per tokenizer: a TextTokenizer is a pure function of the text,
// and PromptTokens are frozen, so a repeated prompt (the usual case when generating again or
// with another seed) skips the tokenizer.
const TOKEN_CACHE_SIZE = 16;
const tokenCaches = new WeakMap<TextTokenizer, Map<string, PromptTokens>>();

function tokenizeCached(tokenizer: TextTokenizer, text: string): PromptTokens {
  let cache = tokenCaches.get(tokenizer);
  if (cache === undefined) tokenCaches.set(tokenizer, (cache = new Map()));
  let tokens = cache.get(text);
  if (tokens === undefined) {
    const fresh = tokenizePrompt(tokenizer, text, MAX_PROMPT_TOKENS);
    tokens = Object.freeze({ ...fresh, ids: Object.freeze(fresh.ids), mask: Object.freeze(fresh.mask) });
    if (cache.size >= TOKEN_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(text, tokens);
  }
  return tokens;
}

/**
 * Zeroes a prompt's states when the encoder produced NaN/±inf (fp16 T5 overflow, spec §2.2), as
 * the 3.0 reference did, and says so; returns whether it happened.
 */
function guardFinite(states: Tensor<'float32'>, item: number, warn: EncodePromptOptions['warn'], what: string): void {
  const size = states.data.length / states.dims[0]!;
  const slice = states.data.subarray(item * size, (item + 1) * size);
  // x·0 is 0 for finite x and NaN for NaN and ±inf, so the sum is NaN exactly when one value is
  // not finite: one branch-free pass instead of a test per element.
  let probe = 0;
  for (let i = 0; i < slice.length; i++) probe += slice[i]! * 0;
  if (probe === 0) return;
  slice.fill(0);
  warn?.(WarningCodes.NON_FINITE_VALUES, `The text encoder returned non-finite values for the ${what}; its embedding was zeroed (spec §2.2).`);
}

/**
 * Builds the UNet contexts of one prompt by the model's convention (spec §4.1):
 * - **A** (original 3.1): encode → project all rows → zero pad rows → cut to n+1; negative prompt
 *   truncated to the positive length with EOS forced and the positive mask; without one, zeros
 *   with row 0 = null embedding and mask `[1, 0, …]`.
 * - **B** (diffusers): raw encoder states × mask, cut to n+1 (projection inside the UNet); a
 *   negative prompt is encoded on its own and cut to the positive L; without one, zeros and an
 *   all-zero mask.
 */
export async function encodePrompt(models: PromptEncoderModels, options: EncodePromptOptions): Promise<PromptContexts> {
  checkObject('models', models, 'the encoder models { tokenizer, encode }', 'See PromptEncoderModels.');
  checkFunction('models.encode', models.encode, 'a function', 'See PromptEncoderModels.');
  checkObject('options', options, 'an options object { convention, prompt }', 'See EncodePromptOptions.');
  const { convention, withUnconditional } = options;
  if (convention !== 'A' && convention !== 'B') {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `Prompt convention ${JSON.stringify(convention)} is not supported by the text-to-image pipeline.`,
      'Convention C belongs to the IP-Adapter and ControlNet pipelines; use a convention A or B model folder.',
    );
  }
  const positive = tokenizeCached(models.tokenizer, options.prompt);
  if (positive.droppedTokens > 0) {
    options.warn?.(
      WarningCodes.PROMPT_TRUNCATED,
      `The prompt has ${positive.droppedTokens + positive.length - 1} tokens; only the first ${positive.length - 1} are used (spec §2.1: 128 with EOS).`,
    );
  }
  const length = cutLength(positive);
  const hasNegative = withUnconditional && options.negativePrompt !== undefined;
  let negative: PromptTokens | undefined;
  if (hasNegative) {
    const raw = tokenizeCached(models.tokenizer, options.negativePrompt!);
    negative = convention === 'A' ? originalNegativeTokens(raw, positive) : raw;
  }
  const batch = negative ? [positive, negative] : [positive];
  const states = await models.encode(
    idsTensor(batch, (tokens) => tokens.ids),
    idsTensor(batch, (tokens) => tokens.mask),
  );
  guardFinite(states, 0, options.warn, 'prompt');
  if (negative) guardFinite(states, 1, options.warn, 'negative prompt');

  let projected = states;
  if (convention === 'A') {
    if (!models.project) {
      throw kandinskyError(
        'MODEL_NOT_FOUND',
        'Convention A needs a text_projection component, and the model folder has none.',
        'Add text_projection to model_index.json, or mark the folder as convention "B".',
      );
    }
    projected = await models.project(states);
  }
  const conditional: EncodedPrompt = {
    context: cutRows(projected, 0, positive.mask, length),
    mask: maskTensor(positive.mask, length),
  };
  if (!withUnconditional) return { conditional, unconditional: undefined, length };
  if (negative) {
    return {
      conditional,
      unconditional: { context: cutRows(projected, 1, negative.mask, length), mask: maskTensor(negative.mask, length) },
      length,
    };
  }
  const width = projected.dims[2]!;
  const context = createTensor('float32', [1, length, width]);
  const mask = createTensor('int64', [1, length]);
  if (convention === 'A') {
    const nullEmbedding = models.nullEmbedding;
    if (!nullEmbedding || nullEmbedding.length !== width) {
      throw kandinskyError(
        'MODEL_CONTRACT_MISMATCH',
        `The null embedding has ${nullEmbedding?.length ?? 0} values; the projected context has width ${width}.`,
        'Re-export text_projection with a null_embedding.bin of context_dim float32 values.',
      );
    }
    context.data.set(nullEmbedding, 0); // spec §4.1 A step 6: row 0 = null embedding, mask [1, 0, …]
    mask.data[0] = 1n;
  }
  return { conditional, unconditional: { context, mask }, length };
}
