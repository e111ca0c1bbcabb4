import { Tokenizer } from '@huggingface/tokenizers';
import { kandinskyError } from '@kandinsky/core';
import { checkString, checkTokenIds } from './argument-checks.js';

/**
 * A causal LM's `tokenizer.json` through `@huggingface/tokenizers` (pure JavaScript: Node and
 * browsers). `encode` applies the tokenizer's post-processor, which adds `<s>` for Llama/Mistral
 * tokenizers, exactly as `tokenizer(text)` does in Python.
 */
export class CausalLMTokenizer {
  readonly #tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer) {
    this.#tokenizer = tokenizer;
  }

  /** From the parsed `tokenizer.json` and `tokenizer_config.json`; `where` names the folder in messages. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown, where: string): CausalLMTokenizer {
    try {
      return new CausalLMTokenizer(new Tokenizer(tokenizerJson as object, (tokenizerConfig ?? {}) as object));
    } catch (cause) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `The tokenizer.json of ${where} could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}.`,
        'Export the tokenizer in the Hugging Face tokenizers format (tokenizer.json).',
        undefined,
        cause,
      );
    }
  }

  /** Token ids of `text`, special tokens (e.g. `<s>`) included as the tokenizer declares them. */
  encode(text: string): number[] {
    checkString('text', text, 'Pass the text to tokenize.');
    return this.#tokenizer.encode(text).ids;
  }

  /** Text of `ids`, special tokens left out. */
  decode(ids: readonly number[]): string {
    checkTokenIds('ids', ids);
    // No ids decode to no text (the tokenizers binding rejects an empty array).
    if (ids.length === 0) return '';
    return this.#tokenizer.decode([...ids], { skip_special_tokens: true });
  }
}
