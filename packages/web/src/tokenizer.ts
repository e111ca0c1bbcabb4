import { KandinskyError, type ModelFolder, type TextTokenizer, kandinskyError } from '@kandinsky/core';
import { Tokenizer } from '@huggingface/tokenizers';

/**
 * Loads the folder's `tokenizer/tokenizer.json` (+ optional `tokenizer_config.json`) with
 * `@huggingface/tokenizers` and adapts it to core's {@link TextTokenizer}: ids without special
 * tokens (core appends the T5 EOS itself, spec §2.1).
 */
export async function loadTokenizer(folder: ModelFolder, role = 'tokenizer'): Promise<TextTokenizer> {
  const json = await folder.readJson(folder.componentPath(role, 'tokenizer.json'));
  let config: unknown = {};
  try {
    config = await folder.readJson(folder.componentPath(role, 'tokenizer_config.json'));
  } catch (error) {
    if (!(KandinskyError.isInstance(error) && error.code === 'MODEL_NOT_FOUND')) throw error;
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json as object, config as object);
  } catch (cause) {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `The tokenizer.json of ${folder.files.location} could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}.`,
      'Export the tokenizer in the Hugging Face tokenizers format (docs/model-format.md §3.1).',
      undefined,
      cause,
    );
  }
  return { encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids };
}
