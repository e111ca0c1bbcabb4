import {
  createTensor,
  emitProgress,
  extractViews,
  kandinskyError,
  MultiDiffusionBlender,
  selectView,
  throwIfAborted,
  ViewStates,
  type AbortSignalLike,
  type DPMSolverMultistepScheduler,
  type DPMSolverMultistepState,
  type ModelSession,
  type ProgressCallback,
  type Tensor,
  type TileView,
} from '@kandinsky/core';

/** What a UNet call saw and returned, for tests that compare against a PyTorch run. */
export interface UnetCallRecord {
  readonly step: number;
  readonly timestep: number;
  /** Index of the first view of the batch. */
  readonly firstView: number;
  /** The `sample` feed `[n, 3, h, w]` (valid only during the callback). */
  readonly sample: Tensor<'float32'>;
  /** The `x0` output `[n, 3, h, w]`. */
  readonly x0: Tensor<'float32'>;
}

/** Inputs of {@link tiledDenoise}. */
export interface TiledDenoiseOptions {
  readonly session: ModelSession;
  /** With `setTimesteps` already called. */
  readonly scheduler: DPMSolverMultistepScheduler;
  /** `[1, 3, H, W]`: the canvas noise on entry, the denoised canvas on return (updated in place). */
  readonly sample: Tensor<'float32'>;
  /** `[1, 3, H, W]`: the low-res image upsampled to the canvas. */
  readonly lowres: Tensor<'float32'>;
  readonly views: readonly TileView[];
  readonly viewBatchSize: number;
  readonly signal?: AbortSignalLike | undefined;
  readonly onProgress?: ProgressCallback | undefined;
  /** Sees every UNet call before its views are stepped. */
  readonly onUnetCall?: ((record: UnetCallRecord) => void) | undefined;
}

/**
 * The KandiSuperRes denoising loop over MultiDiffusion views (spec §4.8.1 step 6): per timestep,
 * views go through the UNet in batches, each view is stepped with its own DPM-Solver++ history,
 * stepped crops are averaged into the canvas (value / count).
 *
 * Memory: besides the canvas tensors it holds the blender (value + count), one view batch of
 * feeds and outputs, and one x0 per view for the solver history — see `estimateUpscaleMemory`.
 */
export async function tiledDenoise(options: TiledDenoiseOptions): Promise<void> {
  const { session, scheduler, sample, lowres, views, viewBatchSize, signal, onProgress, onUnetCall } = options;
  const [, channels, height, width] = sample.dims as [number, number, number, number];
  const viewHeight = views[0]!.height;
  const viewWidth = views[0]!.width;
  const viewSize = channels * viewHeight * viewWidth;
  const batchCapacity = Math.min(viewBatchSize, views.length);
  const sampleBuffer = new Float32Array(batchCapacity * viewSize);
  // One view covering the whole canvas: feed the canvas conditioning itself instead of a copy.
  const wholeCanvas = views.length === 1 && viewHeight === height && viewWidth === width;
  const lowresBuffer = wholeCanvas ? null : new Float32Array(batchCapacity * viewSize);
  let lowresBatchStart = -1;
  const blender = new MultiDiffusionBlender({ dims: sample.dims });
  const states = new ViewStates(scheduler, views.length);
  // DPM-Solver++(2M) needs only the previous x0 of each view; the older slot the scheduler keeps
  // is handed from view to view, so the history costs one x0 per view, not two.
  const recycleHistory = scheduler.options.solverOrder <= 2;
  let spare: Float32Array | null = null;
  const timesteps = scheduler.timesteps;

  for (let step = 0; step < timesteps.length; step++) {
    const timestep = timesteps[step]!;
    blender.reset();
    for (let first = 0; first < views.length; first += batchCapacity) {
      throwIfAborted(signal);
      const batchViews = views.slice(first, first + batchCapacity);
      const count = batchViews.length;
      const dims = [count, channels, viewHeight, viewWidth];
      const sampleFeed = createTensor('float32', dims, sampleBuffer.subarray(0, count * viewSize));
      extractViews(sample, batchViews, sampleFeed);
      let lowresFeed: Tensor<'float32'>;
      if (lowresBuffer === null) {
        lowresFeed = lowres;
      } else {
        lowresFeed = createTensor('float32', dims, lowresBuffer.subarray(0, count * viewSize));
        // The conditioning crops do not change between steps: a single batch is cut once.
        if (lowresBatchStart !== first) extractViews(lowres, batchViews, lowresFeed);
        lowresBatchStart = first;
      }
      const timestepFeed = createTensor('float32', [count], new Float32Array(count).fill(timestep));
      const outputs = await session.run({ sample: sampleFeed, timestep: timestepFeed, lowres: lowresFeed }, { signal });
      const x0 = outputs.x0 as Tensor<'float32'> | undefined;
      if (x0?.dtype !== 'float32' || x0.data.length !== count * viewSize) {
        throw kandinskyError(
          'RUNTIME_ERROR',
          `sr_unet returned x0 ${x0 === undefined ? 'missing' : `of dtype ${x0.dtype} and ${x0.data.length} elements`}, expected float32 [${dims.join(', ')}].`,
          'Check the model against docs/model-format.md §3.8.',
        );
      }
      onUnetCall?.({ step, timestep, firstView: first, sample: sampleFeed, x0 });
      for (let item = 0; item < count; item++) {
        const viewIndex = first + item;
        const state = states.get(viewIndex) as DPMSolverMultistepState;
        if (recycleHistory && state.modelOutputs[0] === null && spare !== null) {
          state.modelOutputs[0] = spare;
          spare = null;
        }
        const crop = selectView(sampleFeed, item);
        scheduler.step(selectView(x0, item), timestep, crop, state, { out: crop });
        if (recycleHistory) {
          spare = state.modelOutputs[0] ?? spare;
          state.modelOutputs[0] = null;
        }
        emitProgress(onProgress, {
          type: 'tile',
          index: viewIndex,
          total: views.length,
          step,
          totalSteps: timesteps.length,
          view: batchViews[item]!,
        });
      }
      blender.accumulate(sampleFeed, batchViews);
    }
    blender.resolve(sample);
    emitProgress(onProgress, { type: 'step', stage: 'upscale', index: step, total: timesteps.length, timestep });
  }
}
