import { invalidArgument } from '../errors/error-constructors.js';
import { checkObject } from '../errors/argument-checks.js';

/**
 * The one thing the pipelines need from a tokenizer: text → ids **without** special tokens.
 * `@kandinsky/node` and `@kandinsky/web` adapt `@huggingface/tokenizers` to it from the model
 * folder's `tokenizer.json`; core appends the EOS itself so the T5 conventions (spec §2.1) hold
 * whatever post-processor a tokenizer.json declares. `encode` must be a pure function of the text:
 * the pipelines cache its result for recent prompts.
 */
export interface TextTokenizer {
  encode(text: string): readonly number[];
}

/** T5 conventions of spec §2.1 (docs/model-format.md §3.1). */
export const T5_PAD_ID = 0;
export const T5_EOS_ID = 1;
/** Context length of every Kandinsky 3 text encoder (spec §2.1). */
export const MAX_PROMPT_TOKENS = 128;

/** A prompt tokenised and padded the T5 way. */
export interface PromptTokens {
  /** `maxLength` ids: content, EOS, then pad (0). */
  readonly ids: readonly number[];
  /** 1 for content and EOS, 0 for padding. */
  readonly mask: readonly number[];
  /** Real tokens including the EOS (n of spec §4.1). */
  readonly length: number;
  /** Content tokens dropped by truncation (0 when the prompt fit). */
  readonly droppedTokens: number;
}

/**
 * Tokenises `text` with truncation that keeps room for the EOS (spec §2.1): at most
 * `maxLength − 1` content ids, then EOS, then padding to `maxLength`. `""` gives `[EOS]`.
 */
export function tokenizePrompt(
  tokenizer: TextTokenizer,
  text: string,
  maxLength: number = MAX_PROMPT_TOKENS,
): PromptTokens {
  if (typeof text !== 'string') {
    throw invalidArgument('prompt', text, 'a string', 'Pass the prompt as text; use "" for an empty prompt.');
  }
  checkObject('tokenizer', tokenizer, 'a tokenizer with encode(text)', 'Pass the pipeline tokenizer (loadTokenizer).');
  if (typeof tokenizer.encode !== 'function') throw invalidArgument('tokenizer.encode', tokenizer.encode, 'a function', 'Pass the pipeline tokenizer (loadTokenizer).');
  const content = tokenizer.encode(text);
  const kept = Math.min(content.length, maxLength - 1);
  const ids = new Array<number>(maxLength).fill(T5_PAD_ID);
  const mask = new Array<number>(maxLength).fill(0);
  for (let i = 0; i < kept; i++) {
    ids[i] = content[i]!;
    mask[i] = 1;
  }
  ids[kept] = T5_EOS_ID;
  mask[kept] = 1;
  return { ids, mask, length: kept + 1, droppedTokens: content.length - kept };
}

/**
 * The negative prompt of convention A (spec §4.1 A step 5): its padded ids truncated to the
 * positive prompt's length n, the last kept id forced to EOS, padded again, and the positive
 * prompt's mask. (Quirk kept on purpose: when the negative prompt is shorter, its pad ids inside
 * n count as real tokens.)
 */
export function originalNegativeTokens(negative: PromptTokens, positive: PromptTokens): PromptTokens {
  const n = positive.length;
  const ids = negative.ids.slice(0, n).concat(new Array<number>(negative.ids.length - n).fill(T5_PAD_ID));
  ids[n - 1] = T5_EOS_ID;
  return { ids, mask: positive.mask, length: n, droppedTokens: negative.droppedTokens };
}

/** Cut length L = min(maxLength, n + 1): the real tokens plus one pad row (spec §4.1 step 4). */
export function cutLength(tokens: PromptTokens): number {
  return Math.min(tokens.ids.length, tokens.length + 1);
}
