import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { describeModelSource, normalizeModelSource, type ModelSource } from './model-source.js';


describe('normalizeModelSource', () => {
  it('accepts a path, bytes, and files with external data', () => {
    const bytes = new Uint8Array([8, 1]);
    expect(normalizeModelSource('unet/model.onnx')).toEqual({ model: 'unet/model.onnx', externalData: [] });
    expect(normalizeModelSource(bytes).model).toBe(bytes);
    const weights = new Uint8Array(4);
    const files = normalizeModelSource({
      model: 'https://example.org/unet/model.onnx',
      externalData: [
        { path: 'model.onnx_data', data: 'https://example.org/unet/model.onnx_data' },
        { path: 'extra.bin', data: weights },
      ],
    });
    expect(files.externalData.map((entry) => entry.path)).toEqual(['model.onnx_data', 'extra.bin']);
    expect(files.externalData[1]?.data).toBe(weights);
    expect(normalizeModelSource({ model: 'a.onnx' }).externalData).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['an empty path', '', 'Invalid model source: "".'],
    ['empty bytes', new Uint8Array(0), 'Invalid model source: an empty Uint8Array.'],
    ['a number', 42, 'Invalid model source 42.'],
    ['null', null, 'Invalid model source null.'],
    ['a bad model field', { model: 7 }, 'Invalid model source "model": 7.'],
    ['externalData not an array', { model: 'a.onnx', externalData: 'b' }, '"externalData" must be an array, got "b"'],
    ['an entry without path', { model: 'a.onnx', externalData: [{ data: 'x' }] }, 'externalData[0].path must be a non-empty string, got undefined'],
    ['an entry with empty data', { model: 'a.onnx', externalData: [{ path: 'p', data: '' }] }, 'Invalid externalData[0].data: "".'],
    [
      'a duplicated path',
      { model: 'a.onnx', externalData: [{ path: 'p', data: 'x' }, { path: 'p', data: 'y' }] },
      'lists the path "p" twice',
    ],
  ])('rejects %s with INVALID_ARGUMENT naming the value', (_, source, message) => {
    const error = thrown(() => normalizeModelSource(source as ModelSource));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(message);
    expect(error.hint.length).toBeGreaterThan(0);
  });
});

describe('describeModelSource', () => {
  it('quotes paths and sizes bytes', () => {
    expect(describeModelSource('unet/model.onnx')).toBe('"unet/model.onnx"');
    expect(describeModelSource(new Uint8Array(12))).toBe('<12 bytes>');
    expect(describeModelSource({ model: new Uint8Array(3), externalData: [] })).toBe('<3 bytes>');
  });
});
