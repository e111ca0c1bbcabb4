import { createTensor, elementCount, sameDims, type Tensor } from '../tensor/tensor.js';
import type { TrajectoryNoiseSource } from './noise-source-factory.js';
import type { TorchGenerator } from './torch-generator.js';

/** Options of {@link PrefetchingNoiseSource}. */
export interface PrefetchingNoiseSourceOptions {
  /**
   * Draw every prefetch into one buffer that the next prefetch overwrites, instead of a new
   * tensor each time. Only for consumers that are done with a noise tensor before the next
   * prefetch, as a scheduler step is (it reads its noise and returns): a denoising loop then
   * allocates nothing for its noise.
   * @default false
   */
  reuseBuffers?: boolean;
}

/**
 * A noise source over a {@link TorchGenerator} that can draw the next noise tensor ahead of time.
 * Pipelines call {@link prefetch} right after starting a model run: with a runtime that computes
 * off this thread (onnxruntime-web's WebGPU), the ~65,536 normal samples of a 1024² latent are
 * ready when the step asks for them. (onnxruntime-node starts on a later turn of the event loop
 * and then blocks the thread, so there the draw only moves; `@kandinsky/node`'s
 * `createWorkerNoiseSources` draws on another thread instead.)
 *
 * The stream stays exactly PyTorch's: a prefetched tensor holds the generator's next values, so
 * it is what `randn` would have drawn. If the next request has other dims (or is a `rand`), the
 * generator is rewound to its state before the prefetch and draws afresh.
 */
export class PrefetchingNoiseSource implements TrajectoryNoiseSource {
  #generator: TorchGenerator;
  /** The generator's state before the pending prefetch, to rewind to; reused between prefetches. */
  #before: TorchGenerator | undefined;
  #pending: Tensor<'float32'> | undefined;
  /** Whether the pending prefetch is undone by the generator's mark (else by #before). */
  #marked = false;
  readonly #reuseBuffers: boolean;
  #buffer: Tensor<'float32'> | undefined;

  constructor(generator: TorchGenerator, options: PrefetchingNoiseSourceOptions = {}) {
    this.#generator = generator;
    this.#reuseBuffers = options.reuseBuffers ?? false;
  }

  /** Draws the next `randn(dims)` now, unless one is already waiting. */
  prefetch(dims: readonly number[]): void {
    if (this.#pending) return;
    let buffer: Tensor<'float32'> | undefined;
    if (this.#reuseBuffers) {
      buffer = this.#buffer;
      if (!buffer || !sameDims(buffer.dims, dims)) buffer = this.#buffer = createTensor('float32', dims);
    }
    // Rewinding needs the state before the draw: when the draw stays within the generator's
    // current state block its position is enough, otherwise the whole state is copied.
    this.#marked = this.#generator.markPosition(buffer ? buffer.data.length : elementCount(dims));
    if (!this.#marked) {
      if (this.#before) this.#before.copyStateFrom(this.#generator);
      else this.#before = this.#generator.clone();
    }
    if (!buffer) {
      this.#pending = this.#generator.randn(dims);
      return;
    }
    this.#generator.fillNormal(buffer.data);
    this.#pending = buffer;
  }

  randn(dims: readonly number[]): Tensor<'float32'> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending && sameDims(pending.dims, dims)) return pending;
    if (pending) this.#rewind();
    return this.#generator.randn(dims);
  }

  /** `torch.rand(dims)` from the same stream (a pending prefetch is rewound first). */
  rand(dims: readonly number[]): Tensor<'float32'> {
    if (this.#pending) this.#rewind();
    this.#pending = undefined;
    return this.#generator.rand(dims);
  }

  /** Nothing to free: the generator and buffers are ordinary memory. */
  release(): void {
    this.#pending = undefined;
  }

  /** Back to the state before the pending prefetch: its mark, or the saved copy becomes the generator. */
  #rewind(): void {
    if (this.#marked) {
      this.#generator.rewindToMark();
      return;
    }
    const drawn = this.#generator;
    this.#generator = this.#before!;
    this.#before = drawn;
  }
}
