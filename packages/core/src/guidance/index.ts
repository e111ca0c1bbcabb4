export {
  classifierFreeGuidance,
  classifierFreeGuidanceBatched,
  type BatchedClassifierFreeGuidanceOptions,
  type ClassifierFreeGuidanceOptions,
  type GuidanceBatchOrder,
} from './classifier-free-guidance.js';
export { mixImageEmbeddings, type MixImageEmbeddingsOptions } from './image-embedding-mix.js';
