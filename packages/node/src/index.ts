/**
 * @kandinsky/node — Kandinsky TS on onnxruntime-node: a core Backend for CPU, CUDA and WebGPU.
 */
export { NodeBackend, createNodeBackend, type NodeBackendOptions } from './node-backend.js';
export {
  probeDevice,
  type DeviceProbeResult,
  type NodeDevice,
} from './execution-provider-probe.js';
export {
  DEFAULT_MAX_INPUT_PIXELS,
  IMAGE_FILE_FORMATS,
  KANDINSKY_XMP_NAMESPACE,
  encodePng,
  readImage,
  writeImage,
  writePng,
  type ReadImageOptions,
  type WriteImageOptions,
} from './image-io.js';
export { readAlphaMask } from './alpha-mask.js';
export { directoryFileSource, openModelFolder } from './model-directory.js';
export { loadTokenizer } from './tokenizer.js';
export { loadKandinsky3, type LoadKandinsky3Options } from './load-kandinsky3.js';
export { loadOnnxCausalLM, type LoadOnnxCausalLMOptions } from './load-causal-lm.js';
export { loadControlNet, loadIpAdapter } from './load-k3d-pipelines.js';
export { loadKandiSuperRes, type LoadKandiSuperResOptions } from './load-kandisuperres.js';
