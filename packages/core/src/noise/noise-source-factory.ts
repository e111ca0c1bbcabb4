import type { NoiseSource } from '../schedulers/scheduler.js';
import type { Tensor } from '../tensor/tensor.js';
import { elementCount } from '../tensor/tensor.js';
import { PrecomputedNoiseSource } from './precomputed-noise-source.js';
import { PrefetchingNoiseSource } from './prefetching-noise-source.js';
import { TorchGenerator } from './torch-generator.js';

/**
 * The noise of one seed's denoising trajectory: PyTorch's stream for that seed (DESIGN.md §5),
 * with a hint of the next draw so that it can be computed ahead (while a model runs, or on
 * another thread).
 */
export interface TrajectoryNoiseSource extends NoiseSource {
  /**
   * Says that the next draw will be `randn(dims)` and lets the source start on it. A tensor
   * drawn after a prefetch may be overwritten by the next prefetch: read it before then (a
   * scheduler step does). Draws without a prefetch are the caller's to keep.
   */
  prefetch(dims: readonly number[]): void;
  /** `torch.rand(dims)` from the same stream. */
  rand(dims: readonly number[]): Tensor<'float32'>;
  /** Ends the trajectory and frees what the source holds; it is not used afterwards. */
  release(): void;
}

/** Hints for {@link NoiseSourceFactory.create}. */
export interface TrajectoryOptions {
  /**
   * How many `randn(sampleDims)` draws the trajectory expects.
   * @default undefined (unknown)
   */
  readonly draws?: number;
}

/**
 * Makes the noise source of each seed's trajectory. Every implementation draws exactly
 * `torch.randn(…, generator=torch.Generator().manual_seed(seed))` and its successors; they differ
 * only in where the numbers are computed. {@link inlineNoiseSources} computes them on the calling
 * thread; `@kandinsky/node` offers one that computes them on a worker thread.
 */
export interface NoiseSourceFactory {
  /**
   * A source for `seed`'s trajectory, whose samples have dims `sampleDims`. `options.draws` is
   * how many `randn(sampleDims)` the trajectory expects (a hint: a source may compute that many
   * ahead; drawing more or fewer, or other dims, still gives exactly the stream).
   */
  create(seed: number | bigint, sampleDims: readonly number[], options?: TrajectoryOptions): TrajectoryNoiseSource;
  /** Frees shared resources (threads); the factory stays usable and recreates them on demand. */
  dispose(): Promise<void>;
}

/**
 * At most this many values (256 KiB) are drawn at once for a trajectory whose draws are known:
 * the whole noise of a 64² latent over 50 steps is 13,056, of a 1024² one 3.3 million.
 */
export const PRECOMPUTED_NOISE_MAX_ELEMENTS = 65_536;

/**
 * The default {@link NoiseSourceFactory}, on the calling thread. A small trajectory whose number
 * of draws is given (`draws × sample elements ≤` {@link PRECOMPUTED_NOISE_MAX_ELEMENTS}) is drawn
 * all at once by a {@link PrecomputedNoiseSource}; any other gets a {@link TorchGenerator} behind a
 * {@link PrefetchingNoiseSource} that reuses one buffer for the step noise.
 */
export const inlineNoiseSources: NoiseSourceFactory = Object.freeze({
  create(seed: number | bigint, sampleDims: readonly number[] = [], options: TrajectoryOptions = {}): TrajectoryNoiseSource {
    const draws = options.draws;
    if (typeof draws === 'number' && Number.isInteger(draws) && draws >= 1 && sampleDims.length > 0) {
      const count = elementCount(sampleDims);
      if (count > 0 && draws * count <= PRECOMPUTED_NOISE_MAX_ELEMENTS) return new PrecomputedNoiseSource(seed, sampleDims, draws);
    }
    return new PrefetchingNoiseSource(new TorchGenerator(seed), { reuseBuffers: true });
  },
  dispose: async () => undefined,
});
