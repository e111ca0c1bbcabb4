import { Tokenizer } from '@huggingface/tokenizers';
import { loadFolderTokenizer, type ModelFolder, type TextTokenizer } from '@kandinsky/core';

/**
 * Loads the folder's `tokenizer/tokenizer.json` (+ optional `tokenizer_config.json`) with
 * `@huggingface/tokenizers` (pure JavaScript) as core's {@link TextTokenizer}: ids without special
 * tokens (core appends the T5 EOS itself, spec §2.1).
 */
export function loadTokenizer(folder: ModelFolder, role = 'tokenizer'): Promise<TextTokenizer> {
  return loadFolderTokenizer(folder, (json, config) => new Tokenizer(json, config), role);
}
