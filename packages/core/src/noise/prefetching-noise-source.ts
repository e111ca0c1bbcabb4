import { sameDims, type Tensor } from '../tensor/tensor.js';
import type { NoiseSource } from '../schedulers/scheduler.js';
import type { TorchGenerator } from './torch-generator.js';

interface Prefetched {
  readonly dims: readonly number[];
  readonly tensor: Tensor<'float32'>;
  /** The generator as it was before the prefetch, to rewind to when the tensor goes unused. */
  readonly before: TorchGenerator;
}

/**
 * A {@link NoiseSource} over a {@link TorchGenerator} that can draw the next noise tensor ahead of
 * time. Pipelines call {@link prefetch} right after starting a model run, so the ~65,536 normal
 * samples of a 1024² latent are computed while the runtime works on its own threads, and the
 * scheduler's `randn` then returns them at no cost.
 *
 * The stream stays exactly PyTorch's: a prefetched tensor holds the generator's next values, so
 * it is what `randn` would have drawn. If the next request has other dims (or is a `rand`), the
 * generator is rewound to its state before the prefetch and draws afresh.
 */
export class PrefetchingNoiseSource implements NoiseSource {
  #generator: TorchGenerator;
  #pending: Prefetched | undefined;

  constructor(generator: TorchGenerator) {
    this.#generator = generator;
  }

  /** Draws the next `randn(dims)` now, unless one is already waiting. */
  prefetch(dims: readonly number[]): void {
    if (this.#pending) return;
    const before = this.#generator.clone();
    this.#pending = { dims: [...dims], tensor: this.#generator.randn(dims), before };
  }

  randn(dims: readonly number[]): Tensor<'float32'> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending && sameDims(pending.dims, dims)) return pending.tensor;
    if (pending) this.#generator = pending.before;
    return this.#generator.randn(dims);
  }

  /** `torch.rand(dims)` from the same stream (a pending prefetch is rewound first). */
  rand(dims: readonly number[]): Tensor<'float32'> {
    if (this.#pending) this.#generator = this.#pending.before;
    this.#pending = undefined;
    return this.#generator.rand(dims);
  }
}
