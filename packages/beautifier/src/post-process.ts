import { MAX_PROMPT_TOKENS, invalidArgument, type TextTokenizer } from '@kandinsky/core';
import { firstStop } from './stop-strings.js';
import { checkObject, checkString } from './argument-checks.js';

/** Where the answer starts when a model echoes the template (spec §4.9: strip up to the last one). */
const ASSISTANT_HEADER = '### Assistant:';
const QUOTE_PAIRS: Record<string, string> = { '"': '"', "'": "'", '“': '”' };
/** Every header of the template starts so; an answer never contains it (spec §4.9). */
const HEADER_MARK = '###';

/**
 * Cleans an LLM answer (spec §4.9): drops an echoed template up to the last `### Assistant:`, cuts
 * at the first stop string and at the next `###` header, joins lines, trims spaces and one pair of
 * wrapping quotes. Returns `''` when nothing usable is left.
 */
export function cleanAnswer(raw: string, stopStrings: readonly string[] = []): string {
  checkString('raw', raw, 'Pass the text the LLM returned.');
  if (!Array.isArray(stopStrings) || !stopStrings.every((stop) => typeof stop === 'string')) {
    throw invalidArgument('stopStrings', stopStrings, 'an array of strings', 'Pass e.g. DEFAULT_STOP_STRINGS, or leave it out.');
  }
  let text = raw;
  const header = text.lastIndexOf(ASSISTANT_HEADER);
  if (header >= 0) text = text.slice(header + ASSISTANT_HEADER.length);
  const stop = firstStop(text, [...stopStrings, HEADER_MARK]);
  if (stop !== undefined) text = text.slice(0, stop);
  text = text.replace(/\s+/g, ' ').trim();
  // Only a pair that wraps the whole answer: `"a" and "b"` keeps its quotes.
  const closing = QUOTE_PAIRS[text[0] ?? ''];
  if (closing !== undefined && text.length >= 2 && text.endsWith(closing)) {
    const inner = text.slice(1, -1);
    if (!inner.includes(text[0]!) && !inner.includes(closing)) text = inner.trim();
  }
  return text;
}

/** The result of {@link fitToTokenLimit}. */
export interface FittedPrompt {
  readonly text: string;
  /** Content tokens of `text` for the image model's tokenizer. */
  readonly tokens: number;
  /** Tokens of the input beyond the limit (0 when it fit). */
  readonly droppedTokens: number;
}

/**
 * Cuts `text` at a word boundary to the longest prefix whose tokens the text encoder keeps:
 * `maxTokens − 1` content tokens plus the EOS (spec §2.1: 128 in all), counted with `tokenizer`,
 * the image model's own, so nothing the LLM wrote is silently dropped later by truncation.
 */
export function fitToTokenLimit(text: string, tokenizer: TextTokenizer, maxTokens: number = MAX_PROMPT_TOKENS): FittedPrompt {
  checkString('text', text, 'Pass the prompt to fit.');
  checkObject('tokenizer', tokenizer, 'a tokenizer with encode(text)', 'Pass the text-encoder tokenizer.');
  if (typeof tokenizer.encode !== 'function') throw invalidArgument('tokenizer.encode', tokenizer.encode, 'a function', 'Pass the text-encoder tokenizer.');
  if (!Number.isInteger(maxTokens) || maxTokens < 2) throw invalidArgument('maxTokens', maxTokens, 'an integer ≥ 2', 'Leave it out for the 128-token limit.');
  const limit = maxTokens - 1;
  const total = tokenizer.encode(text).length;
  if (total <= limit) return { text, tokens: total, droppedTokens: 0 };
  const words = text.split(' ');
  // Token counts grow with the number of words kept: binary search the largest prefix that fits.
  let low = 0;
  let high = words.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (tokenizer.encode(words.slice(0, middle).join(' ')).length <= limit) low = middle;
    else high = middle - 1;
  }
  // A prefix may end in punctuation ("…, red,"): drop it so the cut reads as a phrase.
  const kept = words.slice(0, low).join(' ').replace(/[\s,;:]+$/, '');
  const tokens = tokenizer.encode(kept).length;
  return { text: kept, tokens, droppedTokens: total - tokens };
}
