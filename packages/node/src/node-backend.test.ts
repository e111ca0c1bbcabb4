import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { KandinskyError, createTensor, type ProgressEvent } from '@kandinsky/core';
import { describe, expect, it } from 'vitest';
import { createNodeBackend, directoryFileSource, probeDevice } from './index.js';
import { probeModelBytes } from './probe-model.js';

describe('createNodeBackend', () => {
  it('picks a working device with auto and reports every probe', async () => {
    const events: ProgressEvent[] = [];
    const backend = await createNodeBackend({ onProgress: (event) => events.push(event) });
    // No CUDA provider is bundled in onnxruntime-node (ENVIRONMENT.md), so auto cannot pick it.
    expect(backend.device).not.toBe('cuda');
    expect(backend.probes[0]).toMatchObject({ device: 'cuda', available: false });
    expect(backend.probes.at(-1)).toMatchObject({ device: backend.device, available: true });
    expect(events.some((event) => event.type === 'warning' && event.code === 'DEVICE_FALLBACK')).toBe(true);
  });

  it('fails for cuda with a hint that says how to install the binaries', async () => {
    const error = await createNodeBackend({ device: 'cuda' }).catch((caught: unknown) => caught);
    expect(KandinskyError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'DEVICE_UNAVAILABLE' });
    expect((error as KandinskyError).message).toContain('"cuda"');
    expect((error as KandinskyError).hint).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it('rejects an unknown device naming it', async () => {
    await expect(createNodeBackend({ device: 'tpu' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('"tpu"'),
    });
  });

  it('reports the memory its sessions can use: the host memory on the CPU, or the figure given', async () => {
    const cpu = await createNodeBackend({ device: 'cpu' });
    expect(cpu.capabilities.maxMemoryBytes).toBeGreaterThan(0);
    expect(cpu.capabilities.maxMemoryBytes).toBeLessThanOrEqual(totalmem());
    const given = await createNodeBackend({ device: 'cpu', maxMemoryBytes: 2 ** 30 });
    expect(given.capabilities).toEqual({ maxMemoryBytes: 2 ** 30 });
    await expect(createNodeBackend({ device: 'cpu', maxMemoryBytes: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'maxMemoryBytes must be a positive number of bytes, got -1.',
    });
  });

  it('caches probes', async () => {
    expect(await probeDevice('cpu')).toEqual({ device: 'cpu', available: true });
  });
});

describe('NodeBackend sessions', () => {
  it('runs a model from bytes and from a path, reporting its inputs and outputs', async () => {
    const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-node-'));
    const path = join(folder, 'neg.onnx');
    writeFileSync(path, probeModelBytes());
    for (const source of [probeModelBytes(), path]) {
      const session = await backend.loadModel(source, { label: 'neg' });
      expect(session.inputs).toEqual([{ name: 'x', dtype: 'float32', dims: [1] }]);
      expect(session.outputs).toEqual([{ name: 'y', dtype: 'float32', dims: [1] }]);
      const result = await session.run({ x: createTensor('float32', [1], Float32Array.of(2.25)) });
      expect(result.y?.dtype).toBe('float32');
      expect(Array.from(result.y!.data as Float32Array)).toEqual([-2.25]);
      await session.dispose();
      await session.dispose();
      expect(session.disposed).toBe(true);
      await expect(session.run({ x: createTensor('float32', [1]) })).rejects.toMatchObject({ code: 'SESSION_DISPOSED' });
    }
  });

  it('reports a missing file as MODEL_NOT_FOUND naming the path, with one message wherever it is found', async () => {
    const backend = await createNodeBackend({ device: 'cpu' });
    await expect(backend.loadModel('/nonexistent/unet/model.onnx', { label: 'unet' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: 'The model file "/nonexistent/unet/model.onnx" (unet) is missing or unreadable.',
      details: { path: '/nonexistent/unet/model.onnx', component: 'unet' },
    });
    // A folder is not a model file either: ONNX Runtime's own error would not name it.
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-node-'));
    mkdirSync(join(folder, 'unet'));
    await expect(backend.loadModel(join(folder, 'unet'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    // A model folder locates its .onnx files without checking them: the load above is the check.
    const files = directoryFileSource(folder);
    const source = await files.modelSource('unet/model.onnx');
    expect(source).toBe(join(folder, 'unet', 'model.onnx'));
    await expect(backend.loadModel(source, { label: 'unet' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: `The model file ${JSON.stringify(source)} (unet) is missing or unreadable.`,
    });
    await expect(files.readText('unet/config.json')).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: `The model file ${JSON.stringify(join(folder, 'unet', 'config.json'))} is missing or unreadable.`,
    });
  });

  it('loads on the first preferred execution provider that works, warning about the skipped ones', async () => {
    const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
    const events: ProgressEvent[] = [];
    // No CUDA provider is bundled here (ENVIRONMENT.md): ONNX Runtime alone would throw.
    const session = await backend.loadModel(probeModelBytes(), {
      executionProviders: ['cuda', 'cpu'],
      onProgress: (event) => events.push(event),
    });
    const result = await session.run({ x: createTensor('float32', [1], Float32Array.of(0.5)) });
    expect(Array.from(result.y!.data as Float32Array)).toEqual([-0.5]);
    await session.dispose();
    expect(events).toEqual([
      expect.objectContaining({ type: 'warning', code: 'DEVICE_FALLBACK', message: expect.stringMatching(/^Using "cpu": cuda unavailable/) }),
    ]);
  });

  it('fails a load when no preferred execution provider works, or one is not onnxruntime-node\'s', async () => {
    const backend = await createNodeBackend({ device: 'cpu' });
    const unavailable = await backend.loadModel(probeModelBytes(), { executionProviders: ['cuda'] }).catch((caught: unknown) => caught);
    expect(unavailable).toMatchObject({ code: 'DEVICE_UNAVAILABLE', message: expect.stringContaining('"cuda"') });
    expect((unavailable as KandinskyError).hint).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    await expect(backend.loadModel(probeModelBytes(), { executionProviders: ['wasm', 'cpu'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'executionProviders entry must be one of cpu, cuda, webgpu, got "wasm".',
    });
    await expect(backend.loadModel(probeModelBytes(), { executionProviders: [] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // Providers given verbatim in runtimeOptions win and are not probed.
    const session = await backend.loadModel(probeModelBytes(), {
      executionProviders: ['cuda'],
      runtimeOptions: { executionProviders: ['cpu'] },
    });
    await session.dispose();
  });

  it('turns runtime failures into RUNTIME_ERROR with the cause', async () => {
    const backend = await createNodeBackend({ device: 'cpu' });
    await expect(backend.loadModel(new Uint8Array([1, 2, 3, 4]), { label: 'garbage' })).rejects.toMatchObject({
      code: 'RUNTIME_ERROR',
      cause: expect.anything(),
    });
    const session = await backend.loadModel(probeModelBytes());
    // Feeds are checked against the session's inputs before the runtime sees them.
    await expect(session.run({ x: createTensor('float32', [2]) })).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH',
      message: expect.stringContaining('"model"'),
    });
    await session.dispose();
  });

  it('rejects an aborted run with AbortError and stays usable', async () => {
    const backend = await createNodeBackend({ device: 'cpu' });
    const session = await backend.loadModel(probeModelBytes());
    const controller = new AbortController();
    controller.abort();
    await expect(session.run({ x: createTensor('float32', [1]) }, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
      name: 'AbortError',
    });
    const result = await session.run({ x: createTensor('float32', [1], Float32Array.of(1)) });
    expect(Array.from(result.y!.data as Float32Array)).toEqual([-1]);
    await session.dispose();
  });

  it('releases an aborted caller at once, and dispose waits for the abandoned run to finish', async () => {
    const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
    const session = await backend.loadModel(probeModelBytes());
    const controller = new AbortController();
    // onnxruntime-node starts the kernels on a later turn: abort while the run is in flight.
    const running = session.run({ x: createTensor('float32', [1], Float32Array.of(3)) }, { signal: controller.signal });
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    // The same feed objects again: the wrapped runtime tensors are reused, with their new values.
    const x = createTensor('float32', [1], Float32Array.of(4));
    expect(Array.from((await session.run({ x })).y!.data as Float32Array)).toEqual([-4]);
    x.data[0] = 5;
    expect(Array.from((await session.run({ x })).y!.data as Float32Array)).toEqual([-5]);
    // A run in flight when dispose starts still resolves with its result; dispose waits for it.
    const last = session.run({ x });
    const order: string[] = [];
    const disposing = session.dispose().then(() => order.push('disposed'));
    await last.then(() => order.push('run'));
    await disposing;
    expect(order).toEqual(['run', 'disposed']);
    expect(session.disposed).toBe(true);
  });

  it('rejects an aborted load', async () => {
    const backend = await createNodeBackend({ device: 'cpu' });
    const controller = new AbortController();
    controller.abort();
    await expect(backend.loadModel(probeModelBytes(), { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });
});
