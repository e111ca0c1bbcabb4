import { describe, expect, it } from 'vitest';
import { MockBackend } from './backend/mock-backend.js';
import * as core from './index.js';
import { mockBackend, mockFiles, mockTokenizer } from './pipelines/test-support/mock-kandinsky3.js';
import { mockK3dBackend, mockK3dFiles } from './pipelines/test-support/mock-k3d.js';
import { probePublicApi } from './test-support/public-api-probe.js';
import * as testing from './testing.js';

// Every public function and method of @kandinsky/core and @kandinsky/core/testing, called with
// null, undefined and wrong-type arguments, throws only typed KandinskyErrors (issue 20).
const components = async () =>
  core.Kandinsky3Components.create({ backend: mockBackend(), folder: await core.ModelFolder.open(mockFiles('A')), tokenizer: mockTokenizer });
const k3d = async (kind: 'ip' | 'controlnet') => ({
  backend: mockK3dBackend(kind),
  folder: await core.ModelFolder.open(mockK3dFiles(kind)),
  tokenizer: mockTokenizer,
});

const instances: Record<string, () => unknown> = {
  KandinskyError: () => new core.KandinskyError({ code: 'INVALID_ARGUMENT', message: 'm', hint: 'h' }),
  DownloadProgress: () => new core.DownloadProgress(() => {}),
  TorchGenerator: () => new core.TorchGenerator(42),
  DDPMScheduler: () => new core.DDPMScheduler(),
  DDIMScheduler: () => new core.DDIMScheduler(),
  EulerDiscreteScheduler: () => new core.EulerDiscreteScheduler(),
  DPMSolverMultistepScheduler: () => new core.DPMSolverMultistepScheduler(),
  EulerAncestralDiscreteScheduler: () => new core.EulerAncestralDiscreteScheduler(),
  HeunDiscreteScheduler: () => new core.HeunDiscreteScheduler(),
  LCMScheduler: () => new core.LCMScheduler(),
  UniPCMultistepScheduler: () => new core.UniPCMultistepScheduler(),
  Kandinsky3Sampler: () => new core.Kandinsky3Sampler(),
  FlashSampler: () => new core.FlashSampler(),
  MultiDiffusionBlender: () => new core.MultiDiffusionBlender({ dims: [1, 4, 8, 8] }),
  ViewStates: () => {
    const scheduler = new core.DDPMScheduler();
    scheduler.setTimesteps(4);
    return new core.ViewStates(scheduler, 2);
  },
  ModelFolder: () => core.ModelFolder.open(mockFiles('A')),
  UnetFeeds: () =>
    new core.UnetFeeds([
      { context: core.createTensor('float32', [1, 2, 4], new Float32Array(8)), mask: core.createTensor('int64', [1, 2], BigInt64Array.of(1n, 1n)) },
    ]),
  Kandinsky3Components: components,
  TextToImagePipeline: async () => new core.TextToImagePipeline(await components()),
  ImageToImagePipeline: async () => new core.ImageToImagePipeline(await components()),
  FlashPipeline: async () => new core.FlashPipeline(await components()),
  InpaintingPipeline: async () => new core.InpaintingPipeline(await components()),
  Kandinsky3: async () => core.Kandinsky3.create({ backend: mockBackend(), folder: await core.ModelFolder.open(mockFiles('A')), tokenizer: mockTokenizer }),
  IpAdapterPipeline: async () => core.IpAdapterPipeline.create(await k3d('ip')),
  ControlNetPipeline: async () => core.ControlNetPipeline.create(await k3d('controlnet')),
  MockBackend: () => new MockBackend(),
  OrtRawSession: () =>
    new core.OrtRawSession(
      {
        inputMetadata: [{ name: 'x', isTensor: true, type: 'float32', shape: [1] }],
        outputMetadata: [{ name: 'y', isTensor: true, type: 'float32', shape: [1] }],
        run: async () => ({ y: { type: 'float32', data: new Float32Array(1), dims: [1] } }),
        release: async () => {},
      },
      (type, data, dims) => ({ type, data, dims }),
    ),
};

// No allow-list: the functions that accept anything by contract (describeValue, the type guards
// isAbortError and KandinskyError.isInstance) are probed too, and must simply not throw.
const allow = {};

/** Public targets that still throw untyped errors (issue 20 follow-up); each entry is a bug. */
const knownBugs: string[] = [
];

describe('@kandinsky/core public API with bad arguments', () => {
  it('throws only KandinskyErrors with stable codes', { timeout: 120_000 }, async () => {
    const report = await probePublicApi({ exports: { ...core, ...testing }, sourceDir: import.meta.dirname, instances, allow, knownBugs });
    if (report.findings.length > 0) console.log(report.findings.join('\n'));
    if (report.fixedKnownBugs.length > 0) console.log(`fixed, remove from knownBugs: ${report.fixedKnownBugs.join(', ')}`);
    console.log(`core: ${report.targets.length} public functions, constructors and methods probed with ${report.calls} calls`);
    expect(report.unprobedClasses).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.fixedKnownBugs).toEqual([]);
    expect(report.targets.length).toBeGreaterThan(150);
  });
});
