import { describeValue } from '../errors/kandinsky-error.js';
import { dtypeMismatch, kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { createTensor, elementCount, sameDims, type DataType, type Tensor } from './tensor.js';

/**
 * Concatenates NCHW-style tensors along the channel dimension (`torch.cat(tensors, dim=1)`),
 * e.g. the inpainting UNet input `[latents, mask, masked-image latents]` (spec §4.5). All must
 * share dtype, batch size and trailing dims; any dtype works.
 */
export function concatChannels<D extends DataType>(tensors: readonly Tensor<D>[]): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `concatChannels needs at least one tensor, got ${describeValue(tensors)}.`,
      'Pass a non-empty array of tensors.',
    );
  }
  const first = tensors[0]!;
  requireRank('concatChannels tensor 0', first, 2);
  const batch = first.dims[0]!;
  const spatial = first.dims.slice(2);
  const spatialSize = elementCount(spatial);
  let channels = 0;
  tensors.forEach((tensor, index) => {
    requireRank(`concatChannels tensor ${index}`, tensor, 2);
    if (tensor.dtype !== first.dtype) {
      const hint = 'Convert all tensors to one dtype first.';
      throw dtypeMismatch(`concatChannels tensor ${index}`, tensor.dtype, first.dtype, hint);
    }
    if (tensor.dims[0] !== batch || !sameDims(tensor.dims.slice(2), spatial)) {
      throw shapeMismatch(
        `concatChannels tensor ${index} has shape ${describeValue(tensor.dims)}, incompatible with ${describeValue(first.dims)} (only dim 1 may differ).`,
        'Resize or broadcast the tensors to the same batch size and spatial size first.',
        { expected: first.dims, actual: tensor.dims, index },
      );
    }
    channels += tensor.dims[1]!;
  });
  const output = createTensor(first.dtype, [batch, channels, ...spatial]);
  const target = output.data as { set(source: ArrayLike<number | bigint>, offset: number): void };
  const itemSize = channels * spatialSize;
  for (let item = 0; item < batch; item++) {
    let offset = item * itemSize;
    for (const tensor of tensors) {
      const block = tensor.dims[1]! * spatialSize;
      target.set(tensor.data.subarray(item * block, (item + 1) * block), offset);
      offset += block;
    }
  }
  return output;
}

/** Throws SHAPE_MISMATCH unless `tensor` has at least `rank` dimensions. */
function requireRank(what: string, tensor: Tensor, rank: number): void {
  if (tensor.dims.length < rank) {
    throw shapeMismatch(
      `${what} has shape ${describeValue(tensor.dims)}; at least ${rank} dimensions are needed.`,
      'Pass an NCHW-style tensor [batch, channels, ...].',
      { dims: tensor.dims },
    );
  }
}
