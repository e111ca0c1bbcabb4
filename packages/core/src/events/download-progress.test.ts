import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { DownloadProgress } from './download-progress.js';
import type { ProgressEvent } from './progress-event.js';

describe('DownloadProgress', () => {
  it('emits per-file events with overall sums across the planned files', () => {
    const events: ProgressEvent[] = [];
    const progress = new DownloadProgress((event) => events.push(event), [
      { file: 'unet/model.onnx', totalBytes: 100 },
      { file: 'unet/model.onnx_data', totalBytes: 900 },
    ]);
    progress.update('unet/model.onnx', 100, 100);
    progress.update('unet/model.onnx_data', 450, 900);
    expect(events).toEqual([
      {
        type: 'download',
        file: 'unet/model.onnx',
        loadedBytes: 100,
        totalBytes: 100,
        fromCache: false,
        overall: { loadedBytes: 100, totalBytes: 1000 },
      },
      {
        type: 'download',
        file: 'unet/model.onnx_data',
        loadedBytes: 450,
        totalBytes: 900,
        fromCache: false,
        overall: { loadedBytes: 550, totalBytes: 1000 },
      },
    ]);
  });

  it('leaves the overall total undefined while any size is unknown, and keeps a size once learned', () => {
    const events: ProgressEvent[] = [];
    const progress = new DownloadProgress((event) => events.push(event), [{ file: 'a' }, { file: 'b', totalBytes: 10 }]);
    progress.update('a', 5, undefined);
    expect(events.at(-1)).toMatchObject({ totalBytes: undefined, overall: { loadedBytes: 5, totalBytes: undefined } });
    progress.update('a', 6, 20);
    progress.update('a', 20, undefined, true);
    expect(events.at(-1)).toMatchObject({ totalBytes: 20, fromCache: true, overall: { loadedBytes: 20, totalBytes: 30 } });
  });

  it('adds files that were not planned', () => {
    const progress = new DownloadProgress(undefined);
    progress.update('x', 3, 4);
    progress.update('y', 1, 2);
    expect(progress.overall()).toEqual({ loadedBytes: 4, totalBytes: 6 });
  });

  it.each([
    ['a negative count', -1, 'loadedBytes -1 for "f"'],
    ['a fraction', 1.5, 'loadedBytes 1.5 for "f"'],
    ['NaN', Number.NaN, 'loadedBytes NaN for "f"'],
  ])('rejects %s with INVALID_ARGUMENT naming it', (_, value, message) => {
    const progress = new DownloadProgress(undefined);
    try {
      progress.update('f', value, undefined);
      expect.unreachable();
    } catch (error) {
      expect((error as KandinskyError).code).toBe('INVALID_ARGUMENT');
      expect((error as KandinskyError).message).toContain(message);
    }
  });

  it('rejects a bad planned size', () => {
    expect(() => new DownloadProgress(undefined, [{ file: 'g', totalBytes: -5 }])).toThrow('totalBytes -5 for "g"');
  });
});
