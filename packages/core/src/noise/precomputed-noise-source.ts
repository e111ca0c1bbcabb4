import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { createTensor, elementCount, sameDims, type Tensor } from '../tensor/tensor.js';
import type { TrajectoryNoiseSource } from './noise-source-factory.js';
import { PrefetchingNoiseSource } from './prefetching-noise-source.js';
import { TorchGenerator } from './torch-generator.js';

/**
 * The noise of a small trajectory, drawn all at once: at its first `randn(sampleDims)`, the
 * source draws every one of the `draws` samples the trajectory expects, one after the other as
 * PyTorch would, into one buffer; each later draw hands out the next sample.
 *
 * For small latents this is cheaper than drawing each step's noise between two model runs: one
 * warm pass over the Box–Muller kernel instead of one cold call per step, right after a model run
 * has pushed the kernel's code and tables out of the CPU caches. (Measured in
 * docs/benchmarks.md, seventh pass.)
 *
 * The stream is exactly PyTorch's: any request other than the expected `randn(sampleDims)` (other
 * dims, a `rand`, or more draws than expected) continues from a generator at the same position,
 * rebuilt by drawing the samples already taken again.
 */
export class PrecomputedNoiseSource implements TrajectoryNoiseSource {
  readonly #seed: number | bigint;
  readonly #dims: readonly number[];
  readonly #count: number;
  readonly #draws: number;
  #generator: TorchGenerator | undefined;
  /** The `draws` samples, drawn at the first expected request. */
  #samples: Tensor<'float32'>[] | undefined;
  #taken = 0;
  #prefetched = false;
  #released = false;
  /** After an unexpected request: the exact stream from the position reached. */
  #rest: PrefetchingNoiseSource | undefined;

  /**
   * @param seed The trajectory's seed (as `torch.manual_seed` takes it).
   * @param sampleDims The dims of every expected draw.
   * @param draws How many `randn(sampleDims)` to draw at once, ≥ 1.
   */
  constructor(seed: number | bigint, sampleDims: readonly number[], draws: number) {
    if (!Number.isInteger(draws) || draws < 1) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `draws must be an integer ≥ 1, got ${describeValue(draws)}.`,
        hint: 'Pass how many randn(sampleDims) the trajectory takes (steps + 1 for a denoising loop).',
      });
    }
    const count = elementCount(sampleDims);
    if (count === 0) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `sampleDims ${describeValue(sampleDims)} hold no element.`,
        hint: 'Pass the dims of one latent sample, e.g. [1, 4, 128, 128].',
      });
    }
    this.#generator = new TorchGenerator(seed);
    this.#seed = seed;
    this.#dims = [...sampleDims];
    this.#count = count;
    this.#draws = draws;
  }

  prefetch(dims: readonly number[]): void {
    this.#assertLive();
    if (this.#expects(dims)) {
      // Already drawn (or drawn with the first request).
      this.#prefetched = true;
      return;
    }
    this.#continue().prefetch(dims);
  }

  randn(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    const prefetched = this.#prefetched;
    this.#prefetched = false;
    if (this.#expects(dims)) {
      const samples = this.#samples ?? this.#drawAll();
      const sample = samples[this.#taken++]!;
      // After a prefetch the sample itself (no copy: nothing else ever writes it); otherwise a
      // copy, the caller's to keep.
      return prefetched ? sample : createTensor('float32', dims, sample.data.slice());
    }
    return this.#continue().randn(dims);
  }

  rand(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    this.#prefetched = false;
    return this.#continue().rand(dims);
  }

  /** Ends the trajectory; the source is not used afterwards (a draw throws INVALID_ARGUMENT). */
  release(): void {
    this.#released = true;
    this.#samples = undefined;
    this.#generator = undefined;
    this.#rest?.release();
  }

  /** Whether `randn(dims)` is the next of the samples drawn at once (not yet handed over to #rest). */
  #expects(dims: readonly number[]): boolean {
    return this.#rest === undefined && this.#taken < this.#draws && sameDims(dims, this.#dims);
  }

  #assertLive(): void {
    if (this.#released) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: 'A noise source was used after release().',
        hint: 'Create a new source for each trajectory (NoiseSourceFactory.create).',
      });
    }
  }

  /** Draws every expected sample, each a tensor over its part of one buffer. */
  #drawAll(): Tensor<'float32'>[] {
    const count = this.#count;
    const values = new Float32Array(count * this.#draws);
    const generator = this.#generator!;
    const samples: Tensor<'float32'>[] = [];
    // Draws of whole 16-blocks continue one another exactly (no draw has a redrawn tail), so they
    // are one fill; others draw one by one.
    const oneFill = count % 16 === 0;
    if (oneFill) generator.fillNormal(values);
    for (let offset = 0; offset < values.length; offset += count) {
      const data = values.subarray(offset, offset + count);
      if (!oneFill) generator.fillNormal(data);
      samples.push(createTensor('float32', this.#dims, data));
    }
    this.#samples = samples;
    return samples;
  }

  /** The generator-backed source that continues the stream after the draws taken. */
  #continue(): PrefetchingNoiseSource {
    if (this.#rest !== undefined) return this.#rest;
    let generator = this.#generator!;
    if (this.#samples !== undefined && this.#taken < this.#draws) {
      // The generator has drawn ahead: rebuild one that has drawn only the samples taken.
      generator = new TorchGenerator(this.#seed);
      const scratch = new Float32Array(this.#count);
      for (let i = 0; i < this.#taken; i++) generator.fillNormal(scratch);
    }
    this.#generator = undefined;
    this.#samples = undefined;
    this.#rest = new PrefetchingNoiseSource(generator, { reuseBuffers: true });
    return this.#rest;
  }
}
