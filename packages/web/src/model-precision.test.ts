import { describe, expect, it } from 'vitest';
import { modelPrecisionOf, selectModelFile } from './model-precision.js';
import { probeDevice } from './probe-device.js';
import { WebBackend } from './web-backend.js';

/** A `navigator.gpu` whose adapter has exactly `features`. */
function fakeGpu(features: string[]) {
  return { requestAdapter: async () => ({ features: new Set(features), info: { vendor: 'test', architecture: 'fake' } }) };
}

async function withNavigator<T>(navigator: unknown, run: () => Promise<T>): Promise<T> {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true, writable: true });
  try {
    return await run();
  } finally {
    if (descriptor) Object.defineProperty(globalThis, 'navigator', descriptor);
    else delete (globalThis as { navigator?: unknown }).navigator;
  }
}

describe('fp16 / fp32 model file selection', () => {
  const withVariant = { kind: 'unet', compute_dtype: 'float32', float16_file: 'model.fp16.onnx' };
  const fp16Only = { kind: 'unet', compute_dtype: 'float16' };
  const plain = { kind: 'unet', compute_dtype: 'float32' };

  it('takes the float16_file only on WebGPU with shader-f16', () => {
    expect(selectModelFile('unet/model.onnx', withVariant, { device: 'webgpu', shaderF16: true })).toBe('unet/model.fp16.onnx');
    expect(selectModelFile('unet/model.onnx', withVariant, { device: 'webgpu', shaderF16: false })).toBe('unet/model.onnx');
    expect(selectModelFile('unet/model.onnx', withVariant, { device: 'wasm', shaderF16: true })).toBe('unet/model.onnx');
    expect(selectModelFile('unet/model.onnx', plain, { device: 'webgpu', shaderF16: true })).toBe('unet/model.onnx');
    expect(selectModelFile('unet/model.onnx', undefined, { device: 'webgpu', shaderF16: false })).toBe('unet/model.onnx');
  });

  it('refuses an fp16-only component on an adapter without shader-f16 with DEVICE_UNAVAILABLE, and runs it elsewhere', () => {
    expect(() => selectModelFile('unet/model.onnx', fp16Only, { device: 'webgpu', shaderF16: false })).toThrow(
      expect.objectContaining({ code: 'DEVICE_UNAVAILABLE', message: expect.stringContaining('"shader-f16"'), hint: expect.stringContaining('"wasm"') }),
    );
    expect(selectModelFile('unet/model.onnx', fp16Only, { device: 'webgpu', shaderF16: true })).toBe('unet/model.onnx');
    expect(selectModelFile('unet/model.onnx', fp16Only, { device: 'wasm', shaderF16: false })).toBe('unet/model.onnx');
  });

  it('rejects a float16_file that is not a file beside model.onnx', () => {
    for (const bad of ['../x.onnx', 'sub/x.onnx', '', 16]) {
      expect(() => selectModelFile('unet/model.onnx', { ...plain, float16_file: bad }, { device: 'webgpu', shaderF16: true })).toThrow(
        expect.objectContaining({ code: 'INVALID_MODEL_MANIFEST' }),
      );
    }
  });

  it('reads shader-f16 from the adapter the backend was made with (faked adapter feature sets)', async () => {
    for (const [features, expected] of [
      [['shader-f16', 'timestamp-query'], true],
      [['timestamp-query'], false],
    ] as const) {
      const probe = await withNavigator({ gpu: fakeGpu([...features]), hardwareConcurrency: 2 }, () => probeDevice());
      expect(probe).toMatchObject({ webgpu: true, shaderF16: expected, adapter: 'test / fake' });
      expect(modelPrecisionOf(new WebBackend('webgpu', probe, {}))).toEqual({ device: 'webgpu', shaderF16: expected });
      expect(modelPrecisionOf(new WebBackend('wasm', probe, {}))).toEqual({ device: 'wasm', shaderF16: expected });
    }
    const none = await withNavigator({ hardwareConcurrency: 2 }, () => probeDevice());
    expect(none).toMatchObject({ webgpu: false, shaderF16: false });
    // Another backend (a mock, onnxruntime-node): no choice, always model.onnx.
    expect(modelPrecisionOf({ name: 'mock' } as never)).toBeUndefined();
  });
});
