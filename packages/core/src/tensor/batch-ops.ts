import { describeValue } from '../errors/kandinsky-error.js';
import { dtypeMismatch, kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { createTensor, elementCount, sameDims, type DataType, type Tensor } from './tensor.js';
import { requireInteger, requireRank } from './tensor-checks.js';

/**
 * Operations along the batch dimension (dim 0) for any dtype: classifier-free guidance doubles
 * and splits batches, image counts repeat prompt embeddings.
 */

/** Options of {@link repeatBatch}. */
export interface RepeatBatchOptions {
  /**
   * `false`: the whole batch is repeated, `[a, b] → [a, b, a, b]` (`x.repeat(n, 1, …)`,
   * `torch.cat([x] * n)`). `true`: each item is repeated in place, `[a, b] → [a, a, b, b]`
   * (`x.repeat_interleave(n, dim=0)`).
   * @default false
   */
  interleave?: boolean;
}

/**
 * Items `start … end − 1` of the batch as a **view** sharing `tensor`'s buffer (no copy);
 * {@link cloneTensor} it before mutating if the source must stay intact.
 * @param end Exclusive end index. @default start + 1
 */
export function sliceBatch<D extends DataType>(tensor: Tensor<D>, start: number, end: number = start + 1): Tensor<D> {
  requireRank('sliceBatch input', tensor, 1);
  const batch = tensor.dims[0]!;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > batch || start >= end) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `sliceBatch range [${describeValue(start)}, ${describeValue(end)}) is not inside a batch of ${batch}.`,
      `Use integers with 0 ≤ start < end ≤ ${batch}.`,
      { start, end, batch },
    );
  }
  const itemSize = itemElementCount(tensor);
  const data = tensor.data.subarray(start * itemSize, end * itemSize) as Tensor<D>['data'];
  return createTensor(tensor.dtype, [end - start, ...tensor.dims.slice(1)], data);
}

/**
 * Splits the batch into `parts` equal views (`torch.chunk` with exact division), or into
 * chunks of the given sizes when `parts` is an array (`torch.split`). Views share the buffer.
 */
export function splitBatch<D extends DataType>(tensor: Tensor<D>, parts: number | readonly number[]): Tensor<D>[] {
  requireRank('splitBatch input', tensor, 1);
  const batch = tensor.dims[0]!;
  let sizes: readonly number[];
  if (typeof parts === 'number') {
    requireInteger('splitBatch part count', parts, 1);
    if (batch % parts !== 0) {
      throw shapeMismatch(
        `splitBatch cannot split a batch of ${batch} into ${parts} equal parts.`,
        'Pass a part count that divides the batch size, or explicit sizes.',
        { batch, parts },
      );
    }
    sizes = Array.from({ length: parts }, () => batch / parts);
  } else {
    sizes = parts;
    sizes.forEach((size, index) => requireInteger(`splitBatch size ${index}`, size, 1));
    const total = sizes.reduce((sum, size) => sum + size, 0);
    if (total !== batch) {
      throw shapeMismatch(
        `splitBatch sizes ${describeValue(sizes)} add up to ${total}, not the batch size ${batch}.`,
        'Make the sizes sum to the batch size.',
        { batch, sizes },
      );
    }
  }
  const result: Tensor<D>[] = [];
  let start = 0;
  for (const size of sizes) {
    result.push(sliceBatch(tensor, start, start + size));
    start += size;
  }
  return result;
}

/**
 * Concatenates tensors along the batch dimension (`torch.cat(tensors, dim=0)`), e.g. the
 * unconditional and conditional halves of a CFG batch. All must share dtype and trailing dims.
 */
export function stackBatch<D extends DataType>(tensors: readonly Tensor<D>[]): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `stackBatch needs at least one tensor, got ${describeValue(tensors)}.`,
      'Pass a non-empty array of tensors.',
    );
  }
  const first = tensors[0]!;
  requireRank('stackBatch tensor 0', first, 1);
  const trailing = first.dims.slice(1);
  let batch = 0;
  tensors.forEach((tensor, index) => {
    requireRank(`stackBatch tensor ${index}`, tensor, 1);
    requireSameDtype('stackBatch', first, tensor, index);
    if (!sameDims(tensor.dims.slice(1), trailing)) {
      throw shapeMismatch(
        `stackBatch tensor ${index} has shape ${describeValue(tensor.dims)}, incompatible with ${describeValue(first.dims)} (all dims but the first must match).`,
        'Only the batch size may differ between the tensors.',
        { expected: first.dims, actual: tensor.dims, index },
      );
    }
    batch += tensor.dims[0]!;
  });
  const output = createTensor(first.dtype, [batch, ...trailing]);
  let offset = 0;
  for (const tensor of tensors) {
    (output.data as { set(source: ArrayLike<number | bigint>, offset: number): void }).set(tensor.data, offset);
    offset += tensor.data.length;
  }
  return output;
}

/** The batch repeated `times` times (see {@link RepeatBatchOptions.interleave}) into a new tensor. */
export function repeatBatch<D extends DataType>(
  tensor: Tensor<D>,
  times: number,
  options: RepeatBatchOptions = {},
): Tensor<D> {
  requireRank('repeatBatch input', tensor, 1);
  requireInteger('repeatBatch times', times, 1);
  const batch = tensor.dims[0]!;
  const output = createTensor(tensor.dtype, [batch * times, ...tensor.dims.slice(1)]);
  const target = output.data as { set(source: ArrayLike<number | bigint>, offset: number): void };
  const source = tensor.data;
  if (options.interleave === true) {
    const itemSize = itemElementCount(tensor);
    for (let item = 0; item < batch; item++) {
      const block = source.subarray(item * itemSize, (item + 1) * itemSize);
      for (let copy = 0; copy < times; copy++) target.set(block, (item * times + copy) * itemSize);
    }
  } else {
    for (let copy = 0; copy < times; copy++) target.set(source, copy * source.length);
  }
  return output;
}

function itemElementCount(tensor: Tensor): number {
  return elementCount(tensor.dims.slice(1));
}

function requireSameDtype(operation: string, first: Tensor, tensor: Tensor, index: number): void {
  if (tensor.dtype !== first.dtype) {
    const hint = 'Convert all tensors to one dtype first.';
    throw dtypeMismatch(`${operation} tensor ${index}`, tensor.dtype, first.dtype, hint);
  }
}
