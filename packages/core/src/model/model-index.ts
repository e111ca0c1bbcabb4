import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';

/** Prompt-encoding conventions of spec §4.1: A original 3.1, B diffusers port, C K3D. */
export type PromptConvention = 'A' | 'B' | 'C';

/** The folder format this SDK reads (docs/model-format.md §1.1). */
export const MODEL_FORMAT = 'kandinsky-ts';
/** The newest `format_version` this SDK reads. */
export const MODEL_FORMAT_VERSION = 1;

/** A validated `model_index.json`. */
export interface ModelIndex {
  /** Informative pipeline class, e.g. "Kandinsky3Pipeline". */
  readonly className: string;
  readonly formatVersion: number;
  /** Prompt convention, absent for folders without a text → image UNet (SR, LM). */
  readonly convention: PromptConvention | undefined;
  /** Free-form variant description; `name` is always present. */
  readonly variant: Readonly<{ name: string; tiny?: boolean } & Record<string, unknown>>;
  /** Role → normalised relative POSIX folder path, e.g. `{ unet: "unet" }`. */
  readonly components: Readonly<Record<string, string>>;
}

function manifestError(message: string, hint: string, details: Record<string, unknown> = {}): KandinskyError {
  return kandinskyError('INVALID_MODEL_MANIFEST', message, hint, details);
}

/**
 * Normalises a component path from `model_index.json` and proves it stays inside the folder:
 * relative, POSIX separators, no `..` segment, not absolute, no URL scheme. Throws
 * INVALID_MODEL_MANIFEST naming the role and the path otherwise.
 */
export function normalizeComponentPath(role: string, path: unknown): string {
  const reject = (why: string) =>
    manifestError(
      `Component ${JSON.stringify(role)} has the path ${describeValue(path)} in model_index.json, which ${why}.`,
      'Component paths are relative folder names inside the model folder, e.g. "unet".',
      { role, path },
    );
  if (typeof path !== 'string' || path.trim() === '') throw reject('is not a non-empty string');
  if (path.includes('\\')) throw reject('uses backslashes');
  if (path.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) throw reject('is absolute');
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw reject('escapes the model folder');
  if (segments.length === 0) throw reject('names the model folder itself');
  return segments.join('/');
}

/** Parses and validates `model_index.json` (docs/model-format.md §1.1). */
export function parseModelIndex(json: unknown): ModelIndex {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw manifestError(
      `model_index.json must hold a JSON object, got ${describeValue(json)}.`,
      'Write model_index.json as described in docs/model-format.md §1.1.',
    );
  }
  const record = json as Record<string, unknown>;
  if (record.format !== MODEL_FORMAT) {
    throw manifestError(
      `model_index.json has format ${describeValue(record.format)}, expected ${JSON.stringify(MODEL_FORMAT)}.`,
      'Export the model with tools/export (a raw diffusers or original checkpoint folder must be converted first).',
      { format: record.format },
    );
  }
  const version = record.format_version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MODEL_FORMAT_VERSION) {
    throw manifestError(
      `model_index.json has format_version ${describeValue(version)}; this SDK reads 1…${MODEL_FORMAT_VERSION}.`,
      'Upgrade @kandinsky/core, or re-export the model with a matching tools/export.',
      { formatVersion: version },
    );
  }
  const convention = record.convention;
  if (convention !== undefined && convention !== 'A' && convention !== 'B' && convention !== 'C') {
    throw manifestError(
      `Unknown prompt convention ${describeValue(convention)} in model_index.json.`,
      'Use "A" (original 3.1), "B" (diffusers port) or "C" (K3D IP-Adapter / ControlNet); see spec §4.1.',
      { convention },
    );
  }
  const variant = record.variant;
  if (typeof variant !== 'object' || variant === null || typeof (variant as { name?: unknown }).name !== 'string') {
    throw manifestError(
      `model_index.json "variant" must be an object with a string "name", got ${describeValue(variant)}.`,
      'Add "variant": { "name": "…" } to model_index.json.',
    );
  }
  const rawComponents = record.components;
  if (typeof rawComponents !== 'object' || rawComponents === null || Array.isArray(rawComponents)) {
    throw manifestError(
      `model_index.json "components" must map roles to folders, got ${describeValue(rawComponents)}.`,
      'Add "components": { "unet": "unet", … } to model_index.json.',
    );
  }
  const components: Record<string, string> = {};
  for (const [role, path] of Object.entries(rawComponents)) components[role] = normalizeComponentPath(role, path);
  return {
    className: typeof record._class_name === 'string' ? record._class_name : 'unknown',
    formatVersion: version,
    convention,
    variant: variant as ModelIndex['variant'],
    components,
  };
}

/** The folder of `role`, or MODEL_NOT_FOUND naming the role and the roles the folder has. */
export function componentFolder(index: ModelIndex, role: string): string {
  if (typeof role !== 'string') throw invalidArgument('role', role, 'a component role name', 'Use a role of docs/model-format.md §1.1, e.g. "unet".');
  const folder = index.components[role];
  if (folder === undefined) {
    throw kandinskyError(
      'MODEL_NOT_FOUND',
      `The model ${JSON.stringify(index.variant.name)} has no ${JSON.stringify(role)} component (it has: ${
        Object.keys(index.components).join(', ') || 'none'
      }).`,
      `Use a model folder whose model_index.json lists "${role}", or a mode this model supports.`,
      { role, available: Object.keys(index.components) },
    );
  }
  return folder;
}
