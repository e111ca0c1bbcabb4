import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { loadFolderTokenizer } from './folder-tokenizer.js';
import { ModelFolder, type ModelFileSource } from './model-folder.js';

function folderWith(files: Record<string, string>): Promise<ModelFolder> {
  const read = async (path: string) => {
    const file = files[path];
    if (file === undefined) throw new KandinskyError({ code: 'MODEL_NOT_FOUND', message: `no ${path}`, hint: 'test' });
    return file;
  };
  const source: ModelFileSource = {
    location: 'memory://model',
    readText: read,
    readBytes: async (path) => new TextEncoder().encode(await read(path)),
    modelSource: async (path) => path,
  };
  return ModelFolder.open(source);
}

const INDEX = JSON.stringify({ format: 'kandinsky-ts', format_version: 1, convention: 'A', variant: { name: 't' }, components: { tokenizer: 'tok' } });

describe('loadFolderTokenizer', () => {
  it('builds the tokenizer from the role\'s files and asks for ids without special tokens', async () => {
    const seen: unknown[] = [];
    const folder = await folderWith({ 'model_index.json': INDEX, 'tok/tokenizer.json': '{"model":1}', 'tok/tokenizer_config.json': '{"eos":"</s>"}' });
    const tokenizer = await loadFolderTokenizer(folder, (json, config) => {
      seen.push(json, config);
      return {
        encode: (text, options) => {
          seen.push(options);
          return { ids: [...text].map((c) => c.charCodeAt(0)) };
        },
      };
    }, 'tokenizer');
    expect(tokenizer.encode('ab')).toEqual([97, 98]);
    expect(seen).toEqual([{ model: 1 }, { eos: '</s>' }, { add_special_tokens: false }]);
  });

  it('takes an empty config when tokenizer_config.json is absent, and reports a missing tokenizer.json', async () => {
    let config: unknown;
    const folder = await folderWith({ 'model_index.json': INDEX, 'tok/tokenizer.json': '{}' });
    await loadFolderTokenizer(folder, (_, c) => ((config = c), { encode: () => ({ ids: [] }) }));
    expect(config).toEqual({});
    const empty = await folderWith({ 'model_index.json': INDEX });
    await expect(loadFolderTokenizer(empty, () => ({ encode: () => ({ ids: [] }) }))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('turns the library\'s own failure into INVALID_MODEL_MANIFEST naming the folder, with the cause', async () => {
    const folder = await folderWith({ 'model_index.json': INDEX, 'tok/tokenizer.json': '{}' });
    const cause = new TypeError('missing field `model`');
    const error = await loadFolderTokenizer(folder, () => {
      throw cause;
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_MODEL_MANIFEST', message: expect.stringMatching(/memory:\/\/model.*missing field `model`/), cause });
  });

  it('refuses what is not a folder, a factory or a role name', async () => {
    const folder = await folderWith({ 'model_index.json': INDEX, 'tok/tokenizer.json': '{}' });
    const factory = () => ({ encode: () => ({ ids: [] }) });
    for (const call of [
      () => loadFolderTokenizer(null as never, factory),
      () => loadFolderTokenizer({ componentPath: () => '' } as never, factory),
      () => loadFolderTokenizer(folder, undefined as never),
      () => loadFolderTokenizer(folder, factory, 7 as never),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});
