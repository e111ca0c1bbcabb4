// Core tensors: the plain data type, fp16 conversion and element-wise / batch operations.
export * from './tensor.js';
export {
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToFloat16Array,
  float32ToFloat16Bits,
  toFloat16,
  toFloat32,
} from './float16.js';
export { add, linearCombination, scale, sub, type LinearTerm } from './elementwise-arithmetic.js';
export { clamp } from './clamp.js';
export { cloneTensor } from './clone-tensor.js';
export { repeatBatch, sliceBatch, splitBatch, stackBatch, type RepeatBatchOptions } from './batch-ops.js';
export { concatChannels } from './concat-channels.js';
export { isAllFinite, mean, standardDeviation, type StandardDeviationOptions } from './statistics.js';
