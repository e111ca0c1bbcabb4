import type { NoiseSource } from '../schedulers/scheduler.js';
import type { Tensor } from '../tensor/tensor.js';
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
 * The default {@link NoiseSourceFactory}: a {@link TorchGenerator} per seed behind a
 * {@link PrefetchingNoiseSource} that reuses one buffer for the step noise.
 */
export const inlineNoiseSources: NoiseSourceFactory = Object.freeze({
  create(seed: number | bigint): TrajectoryNoiseSource {
    return new PrefetchingNoiseSource(new TorchGenerator(seed), { reuseBuffers: true });
  },
  dispose: async () => undefined,
});
