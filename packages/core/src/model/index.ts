export {
  componentFolder,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  normalizeComponentPath,
  parseModelIndex,
  type ModelIndex,
  type PromptConvention,
} from './model-index.js';
export { ModelFolder, type ComponentConfig, type ModelFileSource } from './model-folder.js';
export * from './component-contracts.js';
