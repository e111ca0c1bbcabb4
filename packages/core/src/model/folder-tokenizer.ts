import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import { KandinskyError } from '../errors/kandinsky-error.js';
import type { TextTokenizer } from '../pipelines/prompt-tokens.js';
import { ModelFolder } from './model-folder.js';

/**
 * What a tokenizer library builds from a `tokenizer.json` (and its optional
 * `tokenizer_config.json`), e.g. `(json, config) => new Tokenizer(json, config)` with
 * `@huggingface/tokenizers`. Typed structurally, so that core depends on no tokenizer library.
 */
export type TokenizerFactory = (
  tokenizerJson: object,
  tokenizerConfig: object,
) => { encode(text: string, options: { add_special_tokens: false }): { ids: readonly number[] } };

/**
 * Reads the folder's `<role>/tokenizer.json` (+ optional `tokenizer_config.json`), builds it
 * with `create` and adapts it to core's {@link TextTokenizer}: ids without special tokens (core
 * appends the T5 EOS itself, spec §2.1). A file the library cannot load is
 * INVALID_MODEL_MANIFEST; a missing `tokenizer.json` MODEL_NOT_FOUND.
 */
export async function loadFolderTokenizer(folder: ModelFolder, create: TokenizerFactory, role = 'tokenizer'): Promise<TextTokenizer> {
  if (!(folder instanceof ModelFolder)) {
    throw invalidArgument('folder', folder, 'a ModelFolder', 'Open the folder first, e.g. with ModelFolder.open(files).');
  }
  if (typeof create !== 'function') {
    throw invalidArgument('create', create, 'a function', 'Pass e.g. (json, config) => new Tokenizer(json, config).');
  }
  if (typeof role !== 'string') {
    throw invalidArgument('role', role, 'a component role name', 'Leave it out for "tokenizer".');
  }
  const json = await folder.readJson(folder.componentPath(role, 'tokenizer.json'));
  let config: unknown = {};
  try {
    config = await folder.readJson(folder.componentPath(role, 'tokenizer_config.json'));
  } catch (error) {
    if (!(KandinskyError.isInstance(error) && error.code === 'MODEL_NOT_FOUND')) throw error;
  }
  let tokenizer: ReturnType<TokenizerFactory>;
  try {
    tokenizer = create(json as object, config as object);
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
