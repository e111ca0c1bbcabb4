// The example of packages/core/README.md, kept runnable: a seeded DDPM loop (spec §3.3) whose
// "UNet" is a MockBackend model. It imports the package entry points, as the README does
// (vitest aliases '@kandinsky/core' and '@kandinsky/core/testing' to src/).
import { describe, expect, it } from 'vitest';
import {
  DDPMScheduler,
  TorchGenerator,
  createTensor,
  emitProgress,
  type ProgressEvent,
  type Tensor,
} from '@kandinsky/core';
import { MockBackend } from '@kandinsky/core/testing';

describe('README example', () => {
  it('an oracle UNet on the mock backend takes seeded noise back to its target through 25 DDPM steps', async () => {
    const events: ProgressEvent[] = [];
    const onProgress = (event: ProgressEvent) => events.push(event);

    // --- README snippet starts ---
    // The Kandinsky 3 diffusers scheduler config (spec §3.3).
    const scheduler = new DDPMScheduler({
      beta_schedule: 'squaredcos_cap_v2',
      clip_sample: true,
      steps_offset: 1,
      prediction_type: 'epsilon',
    });

    // A stand-in UNet that knows the answer: the ε that maps x_t back to x0 = 0.5 everywhere,
    // ε = (x_t − √ᾱ_t·x0) / √(1 − ᾱ_t).
    const target = 0.5;
    const backend = new MockBackend().register('unet', {
      inputs: [
        { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
        { name: 'timestep', dtype: 'float32', dims: ['B'] },
      ],
      outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
      compute: (feeds) => {
        const sample = feeds.sample as Tensor<'float32'>;
        const alphaBar = scheduler.alphasCumprod[(feeds.timestep as Tensor<'float32'>).data[0] as number] as number;
        const noise = createTensor('float32', sample.dims);
        for (let i = 0; i < noise.data.length; i++) {
          noise.data[i] = ((sample.data[i] as number) - Math.sqrt(alphaBar) * target) / Math.sqrt(1 - alphaBar);
        }
        return { noise_pred: noise };
      },
    });

    const controller = new AbortController();
    const generator = new TorchGenerator(42); // = torch.Generator().manual_seed(42)
    let latents = generator.randn([1, 4, 8, 8]); // = torch.randn(1, 4, 8, 8, generator=...)
    scheduler.setTimesteps(25);
    const state = scheduler.createState();
    const unet = await backend.loadModel('unet');
    try {
      for (const [index, timestep] of scheduler.timesteps.entries()) {
        const { noise_pred } = await unet.run(
          { sample: latents, timestep: createTensor('float32', [1], Float32Array.of(timestep)) },
          { signal: controller.signal },
        );
        latents = scheduler.step(noise_pred as Tensor<'float32'>, timestep, latents, state, { generator }).prevSample;
        emitProgress(onProgress, { type: 'step', stage: 'denoise', index, total: 25, timestep });
      }
    } finally {
      await unet.dispose();
    }
    // latents.data is now 0.5 everywhere (to float32 rounding).
    // --- README snippet ends ---

    // The last DDPM step returns x0 exactly (spec §3.3), and the oracle's x0 is the target.
    for (const value of latents.data) expect(value).toBeCloseTo(target, 5);
    // Timesteps of the leading spacing with offset 1 (spec §3.3: N = 25 → 961, 921, …, 41, 1).
    const fed = backend.runsOf('unet').map((run) => run.feeds.sample?.dims);
    expect(fed).toHaveLength(25);
    expect(events.map((event) => (event.type === 'step' ? event.timestep : -1))).toEqual(
      Array.from({ length: 25 }, (_, k) => 961 - 40 * k),
    );
    expect(backend.liveSessions).toBe(0);
    expect(backend.pendingRunCount).toBe(0);
  });
});
