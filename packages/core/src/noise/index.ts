// Seeded noise that reproduces PyTorch's CPU generator (DESIGN.md §5, spec §4.2).
export { TorchGenerator } from './torch-generator.js';
export { MersenneTwister, torchSeedToUint32 } from './mersenne-twister.js';
