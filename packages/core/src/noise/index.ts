// Seeded noise that reproduces PyTorch's CPU generator (DESIGN.md §5, spec §4.2).
export { TorchGenerator } from './torch-generator.js';
export { MersenneTwister, torchSeedToUint32 } from './mersenne-twister.js';
export { PrefetchingNoiseSource, type PrefetchingNoiseSourceOptions } from './prefetching-noise-source.js';
export { PrecomputedNoiseSource } from './precomputed-noise-source.js';
export {
  inlineNoiseSources,
  PRECOMPUTED_NOISE_MAX_ELEMENTS,
  type NoiseSourceFactory,
  type TrajectoryNoiseSource,
  type TrajectoryOptions,
} from './noise-source-factory.js';
