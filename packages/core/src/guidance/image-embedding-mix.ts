import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDims, assertDtype, createTensor, sameDims, type Tensor } from '../tensor/tensor.js';
import { checkArray, checkOptionalObject, checkTensor } from '../errors/argument-checks.js';

/** Options of {@link mixImageEmbeddings}. */
export interface MixImageEmbeddingsOptions {
  /**
   * Divide the weights by their sum before mixing. The reference K3D pipeline does **not**
   * normalise (spec §4.6: weights [0.5, 0.5] are passed as is), so weights [1, 1] give twice the
   * embedding norm there; set this to make any weights a convex-style mix. Throws
   * INVALID_EMBEDDING_WEIGHTS when the weights sum to 0.
   * @default false
   */
  normalize?: boolean;
  /**
   * Preallocated output with the embeddings' dims; may be one of the inputs.
   * @default a new tensor
   */
  out?: Tensor<'float32'>;
}

function weightsError(message: string, hint: string, details: Record<string, unknown>): KandinskyError {
  return kandinskyError('INVALID_EMBEDDING_WEIGHTS', message, hint, details);
}

/**
 * Weighted mix of IP-Adapter image embeddings `e = Σ_i w_i·e_i` (spec §4.6 step 2), e.g. image
 * mixing with `[0.5, 0.5]`. Weights may be negative (extrapolation) but must be finite, and not
 * all zero: an all-zero mix is a zero vector, which is *not* the unconditional image embedding
 * (CLIP of an all-zero image, §4.6 step 3), so it is rejected rather than silently producing an
 * image that follows neither input. Sums are float64, rounded once to float32.
 *
 * @param embeddings float32 tensors of identical dims (e.g. `[1, 768]`).
 * @param weights one finite weight per embedding.
 */
export function mixImageEmbeddings(
  embeddings: readonly Tensor<'float32'>[],
  weights: readonly number[],
  options: MixImageEmbeddingsOptions = {},
): Tensor<'float32'> {
  checkArray('embeddings', embeddings, 'an array of image-embedding tensors', 'Pass one embedding per image.');
  embeddings.forEach((embedding, i) => checkTensor(`embeddings[${i}]`, embedding));
  checkArray('weights', weights, 'an array of numbers, one per embedding', 'Pass e.g. [0.5, 0.5].');
  checkOptionalObject('options', options);
  if (embeddings.length === 0) {
    throw weightsError('No image embeddings were given (0 embeddings).', 'Pass at least one image embedding.', {
      count: 0,
    });
  }
  if (weights.length !== embeddings.length) {
    throw weightsError(
      `Got ${embeddings.length} image embeddings but ${weights.length} weights ${describeValue(weights)}.`,
      'Pass exactly one weight per image, e.g. [0.5, 0.5] for two images.',
      { embeddings: embeddings.length, weights: weights.length },
    );
  }
  for (let index = 0; index < weights.length; index++) {
    const weight = weights[index];
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw weightsError(
        `Image weight ${describeValue(weight)} at index ${index} is not a finite number.`,
        'Use finite numbers such as 1 or 0.5 for every image weight.',
        { index, weight },
      );
    }
  }
  const first = embeddings[0]!;
  for (let index = 0; index < embeddings.length; index++) {
    const embedding = embeddings[index]!;
    assertDtype(`image embedding ${index}`, embedding, 'float32');
    if (!sameDims(embedding.dims, first.dims)) {
      throw shapeMismatch(
        `Image embedding ${index} has shape ${describeValue(embedding.dims)}, but embedding 0 has ${describeValue(first.dims)}.`,
        'Encode every image with the same image encoder so the embeddings share one shape.',
        { index, dims: embedding.dims, expected: first.dims },
      );
    }
  }
  if (weights.every((weight) => weight === 0)) {
    throw weightsError(
      `All image weights are zero ${describeValue(weights)}.`,
      'Give at least one image a non-zero weight, or drop the image prompt altogether.',
      { weights },
    );
  }
  let scale = 1;
  if (options.normalize === true) {
    const sum = weights.reduce((total, weight) => total + weight, 0);
    if (sum === 0 || !Number.isFinite(sum)) {
      throw weightsError(
        `Cannot normalise image weights ${describeValue(weights)}: they sum to ${describeValue(sum)}.`,
        'Use weights with a non-zero sum, or pass normalize: false.',
        { weights, sum },
      );
    }
    scale = 1 / sum;
  }
  const out = options.out ?? createTensor('float32', first.dims);
  assertDtype('out', out, 'float32');
  assertDims('out', out, first.dims);
  const length = first.data.length;
  const target = out.data;
  const sources = embeddings.map((embedding) => embedding.data);
  const scaled = weights.map((weight) => weight * scale);
  // Element-outer order so that `out` may alias an input: each element is read before written.
  for (let element = 0; element < length; element++) {
    let sum = 0;
    for (let index = 0; index < sources.length; index++) sum += scaled[index]! * sources[index]![element]!;
    target[element] = sum;
  }
  return out;
}
