import { describe, expect, it } from 'vitest';
import { MockBackend } from '../backend/mock-backend.js';
import { ModelFolder, type ModelFileSource } from './model-folder.js';
import { componentFolder, normalizeComponentPath, parseModelIndex } from './model-index.js';
import { UNET_CONTRACT } from './component-contracts.js';

const valid = {
  _class_name: 'Kandinsky3Pipeline',
  format: 'kandinsky-ts',
  format_version: 1,
  convention: 'A',
  variant: { name: 'tiny', tiny: true },
  components: { unet: 'unet', movq_decoder: './decoders/movq/' },
};

describe('parseModelIndex', () => {
  it('normalises component paths and keeps the convention', () => {
    const index = parseModelIndex(valid);
    expect(index.convention).toBe('A');
    expect(index.components).toEqual({ unet: 'unet', movq_decoder: 'decoders/movq' });
    expect(componentFolder(index, 'unet')).toBe('unet');
  });

  it.each([
    ['../outside', 'escapes the model folder'],
    ['unet/../../x', 'escapes the model folder'],
    ['/etc/passwd', 'is absolute'],
    ['https://example.com/unet', 'is absolute'],
    ['C:/models/unet', 'is absolute'],
    ['unet\\model', 'uses backslashes'],
    ['.', 'names the model folder itself'],
    ['', 'is not a non-empty string'],
  ])('rejects the component path %j', (path, why) => {
    expect(() => parseModelIndex({ ...valid, components: { unet: path } })).toThrowError(
      expect.objectContaining({
        code: 'INVALID_MODEL_MANIFEST',
        message: expect.stringContaining(`${JSON.stringify(path)} in model_index.json, which ${why}`),
      }),
    );
  });

  it('rejects an unknown convention, format or version naming the value', () => {
    expect(() => parseModelIndex({ ...valid, convention: 'D' })).toThrowError(/Unknown prompt convention "D"/);
    expect(() => parseModelIndex({ ...valid, format: 'diffusers' })).toThrowError(/format "diffusers"/);
    expect(() => parseModelIndex({ ...valid, format_version: 2 })).toThrowError(/format_version 2/);
    expect(() => parseModelIndex([])).toThrowError(expect.objectContaining({ code: 'INVALID_MODEL_MANIFEST' }));
  });

  it('names the missing role and the available ones', () => {
    expect(() => componentFolder(parseModelIndex(valid), 'unet_flash')).toThrowError(
      expect.objectContaining({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('"unet_flash"') }),
    );
  });

  it('exposes the path check on its own', () => {
    expect(normalizeComponentPath('x', 'a//b/./c')).toBe('a/b/c');
  });
});

describe('ModelFolder', () => {
  const files: ModelFileSource = {
    location: 'memory',
    readText: async (path) => {
      if (path === 'model_index.json') return JSON.stringify(valid);
      if (path === 'unet/config.json') return '{"kind":"unet","context_dim":64}';
      throw new Error(`no ${path}`);
    },
    readBytes: async () => new Uint8Array(),
    modelSource: async (path) => path,
  };

  it('loads a session and checks it against the contract, disposing it on mismatch', async () => {
    const backend = new MockBackend();
    backend.register('unet/model.onnx', {
      inputs: [
        { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
        { name: 'timestep', dtype: 'float32', dims: ['B'] },
      ],
      outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
      compute: () => ({}),
    });
    const folder = await ModelFolder.open(files);
    expect(await folder.config('unet')).toEqual({ kind: 'unet', context_dim: 64 });
    const error = await folder.loadSession(backend, 'unet', UNET_CONTRACT).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'MODEL_CONTRACT_MISMATCH',
      message: expect.stringContaining('missing input "encoder_hidden_states"'),
    });
    expect(backend.liveSessions).toBe(0);
  });
});
