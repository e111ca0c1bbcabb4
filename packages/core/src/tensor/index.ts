// Core tensors: the plain data type, fp16 conversion and channel concatenation.
export * from './tensor.js';
export {
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToFloat16Array,
  float32ToFloat16Bits,
  toFloat16,
  toFloat32,
} from './float16.js';
export { concatChannels } from './concat-channels.js';
