export { crc32 } from './crc32.js';
export { insertPngText, readPngText, type PngTextEntry } from './png-text-chunks.js';
export {
  embedGenerationMetadata,
  extractGenerationMetadata,
  formatGenerationParameters,
  generationTextEntries,
  KANDINSKY_KEYWORD,
  PARAMETERS_KEYWORD,
  type GenerationMetadata,
} from './generation-metadata.js';
export { toGenerationMetadata, type ToGenerationMetadataOptions } from './generation-parameters-metadata.js';
