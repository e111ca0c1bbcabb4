import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import { emitProgress } from './emit-progress.js';
import type { ProgressCallback } from './progress-event.js';

/** A file a load will fetch, declared up front so the overall total covers files not started yet. */
export interface PlannedDownload {
  /** The file's name in the model folder, or its URL. */
  readonly file: string;
  /** Its size, when known in advance (from a manifest). @default undefined */
  readonly totalBytes?: number;
}

interface FileState {
  loadedBytes: number;
  totalBytes: number | undefined;
}

/**
 * Turns per-file byte counts into `download` events that also carry the `overall` sums across
 * every file of a load, for one progress bar over a multi-file model (transformers.js's
 * `progress_total`). Loaders in `@kandinsky/node` and `@kandinsky/web` create one per load.
 *
 * ```ts
 * const progress = new DownloadProgress(onProgress, [{ file: 'unet/model.onnx' }, { file: 'unet/model.onnx_data' }]);
 * progress.update('unet/model.onnx', received, contentLength);
 * ```
 */
export class DownloadProgress {
  private readonly files = new Map<string, FileState>();

  /**
   * @param onProgress - Where the events go; nothing is emitted without one.
   * @param planned - Files expected in this load. Files first seen in {@link update} are added.
   */
  constructor(
    private readonly onProgress: ProgressCallback | undefined,
    planned: readonly PlannedDownload[] = [],
  ) {
    for (const { file, totalBytes } of planned) {
      if (totalBytes !== undefined) checkByteCount('totalBytes', totalBytes, file);
      this.files.set(file, { loadedBytes: 0, totalBytes });
    }
  }

  /**
   * Records that `loadedBytes` of `file` have arrived and emits one `download` event.
   *
   * @param file - The file.
   * @param loadedBytes - Bytes of `file` received so far (non-decreasing for one file).
   * @param totalBytes - The file's size, or `undefined` when unknown (no Content-Length).
   * @param fromCache - Whether the bytes came from a local cache. Defaults to false.
   */
  update(file: string, loadedBytes: number, totalBytes: number | undefined, fromCache = false): void {
    if (typeof file !== 'string') throw invalidArgument('file', file, 'a file name', 'Pass the path of the file being downloaded.');
    checkByteCount('loadedBytes', loadedBytes, file);
    if (totalBytes !== undefined) checkByteCount('totalBytes', totalBytes, file);
    const state = this.files.get(file) ?? { loadedBytes: 0, totalBytes: undefined };
    state.loadedBytes = loadedBytes;
    state.totalBytes = totalBytes ?? state.totalBytes;
    this.files.set(file, state);
    emitProgress(this.onProgress, {
      type: 'download',
      file,
      loadedBytes,
      totalBytes: state.totalBytes,
      fromCache,
      overall: this.overall(),
    });
  }

  /** Bytes received over all files, and their total size (`undefined` while any size is unknown). */
  overall(): { loadedBytes: number; totalBytes: number | undefined } {
    let loadedBytes = 0;
    let totalBytes: number | undefined = 0;
    for (const state of this.files.values()) {
      loadedBytes += state.loadedBytes;
      totalBytes = totalBytes === undefined || state.totalBytes === undefined ? undefined : totalBytes + state.totalBytes;
    }
    return { loadedBytes, totalBytes };
  }
}

function checkByteCount(name: string, value: number, file: string): void {
  if (Number.isSafeInteger(value) && value >= 0) return;
  throw kandinskyError(
    'INVALID_ARGUMENT',
    `${name} ${describeValue(value)} for ${describeValue(file)} is not a non-negative integer.`,
    'Report byte counts as whole numbers ≥ 0.',
    { file, [name]: value },
  );
}
