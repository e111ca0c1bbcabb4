export { createWebBackend, WebBackend, type WebBackendOptions } from './web-backend.js';
export { probeDevice, type WebDevice, type WebDeviceProbe } from './probe-device.js';
export { fetchFileSource, openModelFolderUrl, type FetchFileSource, type FetchFileSourceOptions, type FileList } from './fetch-file-source.js';
export { cacheStorageModelCache, sha256Hex, DEFAULT_CACHE_NAME, type ExpectedFile, type ModelCache } from './model-cache.js';
export { decodeImage, encodePng, encodePngBlob, imageDataToRgb, rgbToImageData, type WebImageInput } from './image-io.js';
export { loadControlNet, loadIpAdapter, loadKandinsky3, type LoadKandinsky3Options, type WebKandinsky3, type WebPipeline } from './load-kandinsky3.js';
export { loadKandiSuperRes, type LoadKandiSuperResOptions } from './load-kandisuperres.js';
export { loadOnnxCausalLM, type LoadOnnxCausalLMOptions } from './load-causal-lm.js';
export { modelPrecisionOf, selectModelFile, type ModelPrecision } from './model-precision.js';
export { loadTokenizer } from './tokenizer.js';
export { handleWorkerRequests, toWorkerError, type HandleWorkerRequestsOptions, type WorkerScopeLike } from './worker-handler.js';
export { createWorkerClient, fromWorkerError, type WorkerCallOptions, type WorkerClient, type WorkerLike } from './worker-client.js';
export type {
  TransferredImage,
  WorkerError,
  WorkerGenerateRequest,
  WorkerGenerateResult,
  WorkerLoadRequest,
  WorkerMode,
  WorkerRequest,
  WorkerResponse,
} from './worker-protocol.js';
