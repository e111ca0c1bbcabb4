import { dtypeMismatch, type DataType, type Tensor } from '@kandinsky/core';
import * as ort from 'onnxruntime-web';

// The dtypes that both onnxruntime-web tensors and core tensors hold.
const supported = new Set<string>(['float32', 'float16', 'int64', 'int32', 'bool', 'uint8']);
const supportedList = `one of ${[...supported].join(', ')}`;

/** Wraps a core tensor as an ONNX Runtime tensor without copying its buffer. */
export function toOrtTensor(name: string, tensor: Tensor): ort.Tensor {
  if (!supported.has(tensor.dtype)) {
    throw dtypeMismatch(`Input ${JSON.stringify(name)}`, tensor.dtype, supportedList, `Use ${supportedList}.`);
  }
  // ORT's float16 tensors take the raw bits as a Uint16Array, like core's float16 storage.
  // ORT keeps the dims array it is given: pass a copy, so the wrapper never changes under it.
  return new ort.Tensor(tensor.dtype as ort.Tensor.Type, tensor.data as ort.Tensor.DataType, [...tensor.dims]);
}

/** Turns an ONNX Runtime output into a core tensor (the typed array is taken over, not copied). */
export function fromOrtTensor(name: string, value: ort.Tensor): Tensor {
  const dtype = value.type as string;
  if (!supported.has(dtype)) {
    throw dtypeMismatch(
      `Output ${JSON.stringify(name)}`,
      dtype,
      supportedList,
      `Export the model with outputs of ${supportedList} (docs/model-format.md).`,
    );
  }
  let data = value.data as Tensor['data'];
  // ORT returns bool tensors as Uint8Array already; float16 as Uint16Array (or Float16Array on
  // runtimes that have it): normalise to core's storage types.
  if (dtype === 'float16' && !(data instanceof Uint16Array)) {
    const view = data as unknown as ArrayBufferView;
    data = new Uint16Array(view.buffer, view.byteOffset, view.byteLength / 2);
  }
  // The runtime's data always matches its dims: no need for createTensor's checks on every step.
  return { dtype: dtype as DataType, dims: value.dims.slice(), data } as Tensor;
}
