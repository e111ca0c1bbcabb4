import { kandinskyError } from '../errors/error-constructors.js';
import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { elementCount, type Tensor } from '../tensor/tensor.js';
import type { TensorMap } from './model-session.js';
import { formatShape, formatTensorSpec, isDynamicDimension, type TensorSpec } from './tensor-spec.js';

/** One way a set of tensors differs from the specs it should satisfy. */
export interface TensorMapProblem {
  /** The error code this problem maps to when it is the first one. */
  readonly code: ErrorCode;
  /** The tensor's name. */
  readonly tensor: string;
  /** Human-readable description. */
  readonly message: string;
}

/** Options of {@link findTensorMapProblems} and {@link checkFeeds}. */
export interface TensorMapCheckOptions {
  /**
   * Whether a symbolic dimension name must take one value across all tensors (e.g. `batch` of
   * `sample` and of `timestep`). Catches classifier-free-guidance batch bugs early.
   * @default true
   */
  symbolicDimensions?: boolean;
  /**
   * Whether tensors that no spec names are problems.
   * @default true
   */
  rejectUnexpected?: boolean;
}

/**
 * Lists every way `tensors` fails `specs`: missing or unexpected names, wrong dtypes, wrong
 * ranks, wrong fixed sizes, buffers whose length disagrees with their dims, and symbolic
 * dimensions bound to two sizes.
 */
export function findTensorMapProblems(
  specs: readonly TensorSpec[],
  tensors: TensorMap,
  options: TensorMapCheckOptions = {},
): TensorMapProblem[] {
  const problems: TensorMapProblem[] = [];
  const bindings = new Map<string, { size: number; tensor: string }>();
  for (const spec of specs) {
    const tensor: Tensor | undefined = Object.prototype.hasOwnProperty.call(tensors, spec.name)
      ? tensors[spec.name]
      : undefined;
    const name = JSON.stringify(spec.name);
    if (tensor === undefined) {
      problems.push({ code: 'INVALID_ARGUMENT', tensor: spec.name, message: `missing ${name} (${formatTensorSpec(spec)})` });
      continue;
    }
    const found = formatShape(tensor.dtype, tensor.dims);
    if (tensor.dtype !== spec.dtype) {
      problems.push({
        code: 'DTYPE_MISMATCH',
        tensor: spec.name,
        message: `${name} has dtype ${tensor.dtype}, expected ${spec.dtype}`,
      });
    }
    const lengthProblem = bufferProblem(tensor);
    if (lengthProblem !== undefined) {
      problems.push({ code: 'SHAPE_MISMATCH', tensor: spec.name, message: `${name} ${lengthProblem}` });
    }
    if (spec.dims === undefined) continue;
    if (tensor.dims.length !== spec.dims.length) {
      problems.push({
        code: 'SHAPE_MISMATCH',
        tensor: spec.name,
        message: `${name} has rank ${tensor.dims.length} (${found}), expected rank ${spec.dims.length} (${formatShape(
          spec.dtype,
          spec.dims,
        )})`,
      });
      continue;
    }
    spec.dims.forEach((expected, axis) => {
      const size = tensor.dims[axis] as number;
      if (!isDynamicDimension(expected)) {
        if (size !== expected) {
          problems.push({
            code: 'SHAPE_MISMATCH',
            tensor: spec.name,
            message: `${name} has size ${size} at axis ${axis} (${found}), expected ${expected}`,
          });
        }
        return;
      }
      if (options.symbolicDimensions === false || typeof expected !== 'string' || expected === '?') return;
      const bound = bindings.get(expected);
      if (bound === undefined) {
        bindings.set(expected, { size, tensor: spec.name });
      } else if (bound.size !== size) {
        problems.push({
          code: 'SHAPE_MISMATCH',
          tensor: spec.name,
          message: `${name} has ${expected}=${size} at axis ${axis}, but ${JSON.stringify(bound.tensor)} has ${expected}=${bound.size}`,
        });
      }
    });
  }
  if (options.rejectUnexpected !== false) {
    const known = new Set(specs.map((spec) => spec.name));
    for (const key of Object.keys(tensors)) {
      if (!known.has(key)) {
        problems.push({
          code: 'INVALID_ARGUMENT',
          tensor: key,
          message: `unexpected ${JSON.stringify(key)} (known: ${specs.map((spec) => spec.name).join(', ') || 'none'})`,
        });
      }
    }
  }
  return problems;
}

/**
 * Validates feeds against a session's inputs before the runtime sees them, so every backend
 * reports bad feeds the same way and in our words, not the runtime's. Throws one KandinskyError
 * listing all problems; its code is the first problem's: INVALID_ARGUMENT (missing or unknown
 * input), DTYPE_MISMATCH, or SHAPE_MISMATCH.
 *
 * @param label - The model, for the message (`"unet"`).
 * @param inputs - The session's input specs.
 * @param feeds - The tensors to feed.
 * @param options - See {@link TensorMapCheckOptions}.
 */
export function checkFeeds(
  label: string,
  inputs: readonly TensorSpec[],
  feeds: TensorMap,
  options: TensorMapCheckOptions = {},
): void {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Feeds of ${JSON.stringify(label)} must be an object of tensors by input name, got ${describeValue(feeds)}.`,
      `Pass { ${inputs.map((spec) => spec.name).join(', ')} }.`,
    );
  }
  // The usual case, feeds that conform, is decided without building any message (this runs
  // before every model call, i.e. on every denoising step).
  if (tensorMapConforms(inputs, feeds, options)) return;
  const problems = findTensorMapProblems(inputs, feeds, options);
  const first = problems[0];
  if (first === undefined) return;
  throw new KandinskyError({
    code: first.code,
    message: [
      `Invalid feeds for ${JSON.stringify(label)} (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
      ...problems.map((problem) => `  - ${problem.message}`),
      `Model inputs: ${inputs.map(formatTensorSpec).join(', ') || '(none)'}`,
    ].join('\n'),
    hint: 'Feed exactly the model inputs listed, each with the dtype and shape shown.',
    details: { label, problems },
  });
}

/**
 * True when {@link findTensorMapProblems} would find nothing, decided without building strings or
 * maps. Conservative: anything unusual (a non-array dims, a tensor without a buffer) answers
 * false and leaves the verdict to the full check.
 */
function tensorMapConforms(specs: readonly TensorSpec[], tensors: TensorMap, options: TensorMapCheckOptions): boolean {
  const symbolic = options.symbolicDimensions !== false;
  // Symbolic bindings as [name, size, name, size, …]: models have a handful of inputs.
  let bindings: (string | number)[] | undefined;
  let present = 0;
  for (let s = 0; s < specs.length; s++) {
    const spec = specs[s]!;
    if (!Object.prototype.hasOwnProperty.call(tensors, spec.name)) return false;
    const tensor: Tensor | undefined = tensors[spec.name];
    if (tensor === undefined || tensor === null || tensor.dtype !== spec.dtype) return false;
    present++;
    const dims = tensor.dims;
    if (!Array.isArray(dims)) return false;
    let count = 1;
    for (let axis = 0; axis < dims.length; axis++) {
      const size = dims[axis] as unknown;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) return false;
      count *= size;
    }
    const data = tensor.data as { length?: unknown } | undefined;
    if (data === undefined || data === null || data.length !== count) return false;
    const expectedDims = spec.dims;
    if (expectedDims === undefined) continue;
    if (dims.length !== expectedDims.length) return false;
    for (let axis = 0; axis < dims.length; axis++) {
      const expected = expectedDims[axis]!;
      const size = dims[axis] as number;
      if (!isDynamicDimension(expected)) {
        if (size !== expected) return false;
        continue;
      }
      if (!symbolic || typeof expected !== 'string' || expected === '?') continue;
      bindings ??= [];
      const at = bindings.indexOf(expected);
      if (at < 0) bindings.push(expected, size);
      else if (bindings[at + 1] !== size) return false;
    }
  }
  if (options.rejectUnexpected === false) return true;
  // Every spec name was found among the own keys; any extra own key is unexpected.
  let keys = 0;
  for (const key in tensors) if (Object.prototype.hasOwnProperty.call(tensors, key)) keys++;
  return keys === present;
}

function bufferProblem(tensor: Tensor): string | undefined {
  let count: number;
  try {
    count = elementCount(tensor.dims);
  } catch {
    return `has invalid dims ${describeValue(tensor.dims)}`;
  }
  const length = (tensor.data as { length?: unknown } | undefined)?.length;
  if (length !== count) {
    return `has ${describeValue(length)} elements in its buffer but dims ${describeValue(tensor.dims)} need ${count}`;
  }
  return undefined;
}
