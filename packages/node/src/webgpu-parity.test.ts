import { existsSync } from 'node:fs';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { probeDevice } from './execution-provider-probe.js';
import { loadKandinsky3 } from './load-kandinsky3.js';

// Without a GPU, Dawn can run on Chromium's SwiftShader Vulkan driver (ENVIRONMENT.md). The
// variables must be set before the first WebGPU session of this process (each test file runs in
// its own process).
const swiftShader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(swiftShader)) process.env.VK_ICD_FILENAMES = swiftShader;
process.env.XDG_RUNTIME_DIR ??= '/tmp';

const MODEL = tinyModelPath('kandinsky3-tiny');

describe('WebGPU execution provider', () => {
  it('generates the same Flash image as the CPU provider', async (context) => {
    // The model is committed, so its absence fails even where the skip below applies.
    expect(existsSync(`${MODEL}/model_index.json`), `No tiny model at ${MODEL}`).toBe(true);
    const probe = await probeDevice('webgpu');
    if (!probe.available) {
      // The one legitimate skip: a capability of the machine, not a missing committed file.
      console.log(`[webgpu-parity] skipped: no WebGPU adapter (${probe.reason})`);
      context.skip();
    }
    const webgpu = await loadKandinsky3(MODEL, { backend: await createNodeBackend({ device: 'webgpu' }) });
    const cpu = await loadKandinsky3(MODEL, { backend: await createNodeBackend({ device: 'cpu' }) });
    try {
      const options = { prompt: 'a blue square on a white background', seed: 11 };
      const [onGpu, onCpu] = [await webgpu.flash(options), await cpu.flash(options)];
      const a = onGpu.images[0]!.data;
      const b = onCpu.images[0]!.data;
      let maxDifference = 0;
      for (let i = 0; i < a.length; i++) maxDifference = Math.max(maxDifference, Math.abs(a[i]! - b[i]!));
      // Float32 kernels differ in summation order: a level or two of 255 at most.
      expect(maxDifference).toBeLessThanOrEqual(2);
    } finally {
      await webgpu.dispose();
      await cpu.dispose();
    }
  }, 600_000);
});
