import { createTensor, type DataType, type Tensor } from './tensor.js';

/** A deep copy of `tensor` (new buffer, same dtype and dims), for any dtype. */
export function cloneTensor<D extends DataType>(tensor: Tensor<D>): Tensor<D> {
  return createTensor(tensor.dtype, tensor.dims, tensor.data.slice() as Tensor<D>['data']);
}
