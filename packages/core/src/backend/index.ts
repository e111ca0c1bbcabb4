export type { Backend } from './backend.js';
export type { BackendCapabilities } from './backend-capabilities.js';
export { Devices, isDevice, type Device } from './device.js';
export type { GraphOptimizationLevel, LoadModelOptions } from './load-model-options.js';
export type { ModelSession, RunOptions, TensorMap } from './model-session.js';
export type { RawSession } from './raw-session.js';
export { createModelSession, type ModelSessionOptions } from './create-model-session.js';
export {
  describeModelSource,
  normalizeModelSource,
  type ExternalDataEntry,
  type ModelFiles,
  type ModelSource,
  type NormalizedModelSource,
} from './model-source.js';
export {
  formatShape,
  formatTensorSpec,
  isDynamicDimension,
  type Dimension,
  type TensorSpec,
} from './tensor-spec.js';
export {
  checkSessionContract,
  findContractProblems,
  type ComponentContract,
  type ContractProblem,
  type TensorContract,
} from './component-contract.js';
export {
  checkFeeds,
  findTensorMapProblems,
  type TensorMapCheckOptions,
  type TensorMapProblem,
} from './check-feeds.js';
export { normalizeRuntimeError, type RuntimeErrorContext } from './normalize-runtime-error.js';
