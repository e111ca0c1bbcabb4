/**
 * What a backend can do on its device, so that pipelines choose sizes and formats up front
 * instead of discovering limits through runtime failures.
 */
export interface BackendCapabilities {
  /**
   * Whether `float16` tensors can cross the boundary (WebGPU needs the `shader-f16` feature).
   * Kandinsky's ONNX contract keeps the boundary float32 (spec §2), so this matters only for
   * fp16 models that expose half-precision inputs.
   */
  readonly float16: boolean;
  /**
   * Largest single tensor buffer the device accepts, in bytes (WebGPU: the adapter's
   * `maxStorageBufferBindingSize`), or `undefined` when there is no practical limit.
   */
  readonly maxBufferBytes: number | undefined;
  /**
   * Memory the runtime can address in total, in bytes (wasm32: 4 GiB), or `undefined` when
   * only the machine limits it. Models larger than this cannot load (spec §0 item 6).
   */
  readonly maxMemoryBytes: number | undefined;
  /** Whether models with external-data files (needed above the 2 GB protobuf limit) load. */
  readonly externalData: boolean;
  /**
   * Whether an aborted `run` stops the running kernels. When false the run's promise still
   * rejects promptly with `ABORTED`, but the device stays busy until the kernels finish.
   */
  readonly interruptibleRun: boolean;
}
