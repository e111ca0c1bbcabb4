/**
 * @kandinsky/core — the backend-agnostic heart of Kandinsky TS: tensors, PyTorch-identical
 * seeded noise, schedulers, MultiDiffusion tiling, guidance, image conversion, the backend
 * contract, typed errors and progress events. No runtime dependencies.
 */
export * from './errors/index.js';
export * from './tensor/index.js';
export * from './noise/index.js';
export * from './schedulers/index.js';
export * from './tiling/index.js';
export * from './guidance/index.js';
export * from './image/index.js';
export * from './backend/index.js';
export * from './abort/index.js';
export * from './events/index.js';
export * from './metadata/index.js';
export * from './model/index.js';
export * from './pipelines/index.js';
