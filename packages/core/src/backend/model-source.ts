import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';

/**
 * One external-data file of an ONNX model (models above the 2 GB protobuf limit keep their
 * weights outside the graph, spec §0 item 6).
 */
export interface ExternalDataEntry {
  /** The file name exactly as the ONNX graph refers to it, e.g. `"model.onnx_data"`. */
  readonly path: string;
  /** Where the bytes are: a path or URL the backend can open, or the bytes themselves. */
  readonly data: string | Uint8Array;
}

/** A model with its external-data files. */
export interface ModelFiles {
  /** The `.onnx` file: a path or URL the backend can open, or its bytes. */
  readonly model: string | Uint8Array;
  /**
   * External-data files the graph refers to.
   * @default [] (all weights inside the graph)
   */
  readonly externalData?: readonly ExternalDataEntry[];
}

/**
 * What `Backend.loadModel` accepts: a path or URL (resolved by the backend: a file path in
 * Node, a URL in the browser), the `.onnx` bytes, or either plus external-data files.
 */
export type ModelSource = string | Uint8Array | ModelFiles;

/** A {@link ModelSource} in its one canonical form, validated. */
export interface NormalizedModelSource {
  readonly model: string | Uint8Array;
  readonly externalData: readonly ExternalDataEntry[];
}

/** Short description of a source for messages: the path, or `<N bytes>`. */
export function describeModelSource(source: ModelSource): string {
  const model = typeof source === 'string' || source instanceof Uint8Array ? source : source?.model;
  if (typeof model === 'string') return JSON.stringify(model);
  if (model instanceof Uint8Array) return `<${model.byteLength} bytes>`;
  return describeValue(source);
}

/**
 * Validates `source` and returns it as {@link NormalizedModelSource}. Backends call it first so
 * that every backend rejects the same bad sources with the same errors (INVALID_ARGUMENT naming
 * the bad value) before the runtime sees them.
 */
export function normalizeModelSource(source: ModelSource): NormalizedModelSource {
  if (typeof source === 'string' || source instanceof Uint8Array) {
    checkModelPart(source, 'model source');
    return { model: source, externalData: [] };
  }
  if (typeof source !== 'object' || source === null) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Invalid model source ${describeValue(source)}.`,
      'Pass a path or URL string, the .onnx bytes as a Uint8Array, or { model, externalData }.',
    );
  }
  checkModelPart(source.model, 'model source "model"');
  const externalData = source.externalData ?? [];
  if (!Array.isArray(externalData)) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Model source "externalData" must be an array, got ${describeValue(externalData)}.`,
      'Pass externalData as [{ path, data }, ...], one entry per external-data file.',
    );
  }
  const seen = new Set<string>();
  externalData.forEach((entry: ExternalDataEntry, index: number) => {
    const path: unknown = entry?.path;
    if (typeof path !== 'string' || path === '') {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `externalData[${index}].path must be a non-empty string, got ${describeValue(path)}.`,
        'Use the file name the ONNX graph refers to, e.g. "model.onnx_data".',
      );
    }
    if (seen.has(path)) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `externalData lists the path ${describeValue(path)} twice.`,
        'List each external-data file once.',
      );
    }
    seen.add(path);
    checkModelPart(entry.data, `externalData[${index}].data`);
  });
  return { model: source.model, externalData };
}

function checkModelPart(value: unknown, what: string): void {
  if (typeof value === 'string' && value !== '') return;
  if (value instanceof Uint8Array && value.byteLength > 0) return;
  const shown = value instanceof Uint8Array ? 'an empty Uint8Array' : describeValue(value);
  throw kandinskyError(
    'INVALID_ARGUMENT',
    `Invalid ${what}: ${shown}.`,
    'Pass a non-empty path or URL string, or a non-empty Uint8Array of the file bytes.',
  );
}
