import { describe, expect, it } from 'vitest';
import type { Scheduler, SchedulerState, SchedulerStepOptions, SchedulerStepResult } from '../schedulers/scheduler.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { MultiDiffusionBlender } from './multidiffusion-blender.js';
import { extractViews, selectView } from './view-crops.js';
import { planViews } from './view-planner.js';
import { ViewStates } from './view-states.js';
import { expectKandinskyError, randomData, seededRandom } from './test-support/tiling-test-helpers.js';

/**
 * A tiny deterministic second-order multistep scheduler for the test:
 * x_{i+1} = a_i·x_i + b_i·m_i + c_i·m_{i−1}, with the DPM-Solver++(2M) coefficients of the
 * 5-step KandiSuperRes run listed in spec §3.6 (so it needs one step of history per trajectory).
 */
const COEFFICIENTS = [
  [0.99925383, 0.03279383, 0],
  [0.98773243, 0.17010217, -0.04789321],
  [0.90986392, 0.40691426, -0.11331658],
  [0.65279562, 0.76931654, -0.24637333],
  [0, 1, 0],
] as const;

interface HistoryState extends SchedulerState {
  previous: Float32Array | null;
}

class TwoStepScheduler implements Scheduler<HistoryState> {
  readonly name = 'TwoStepTestScheduler';
  readonly config = {};
  readonly initNoiseSigma = 1;
  readonly timesteps = [999, 799, 599, 400, 200];
  readonly numInferenceSteps = 5;
  readonly alphasCumprod = new Float64Array(1000);
  setTimesteps(): void {}
  createState(): HistoryState {
    return { stepIndex: 0, previous: null };
  }
  cloneState(state: HistoryState): HistoryState {
    return { stepIndex: state.stepIndex, previous: state.previous === null ? null : Float32Array.from(state.previous) };
  }
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }
  step(
    modelOutput: Tensor<'float32'>,
    _timestep: number,
    sample: Tensor<'float32'>,
    state: HistoryState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const [a, b, c] = COEFFICIENTS[state.stepIndex]!;
    const out = options.out ?? createTensor('float32', sample.dims);
    const previous = state.previous;
    for (let index = 0; index < sample.data.length; index++) {
      out.data[index] = a * sample.data[index]! + b * modelOutput.data[index]! + (previous === null ? 0 : c * previous[index]!);
    }
    state.previous = Float32Array.from(modelOutput.data);
    state.stepIndex++;
    return { prevSample: out };
  }
  addNoise(original: Tensor<'float32'>): Tensor<'float32'> {
    return original;
  }
}

/** Per-pixel "x0 predictor" that depends on the timestep. */
function predict(input: Float32Array, timestep: number): Float32Array {
  const output = new Float32Array(input.length);
  for (let index = 0; index < input.length; index++) {
    const x = input[index]!;
    output[index] = Math.tanh(x) * (1 - timestep / 2000) + 0.05 * x * x;
  }
  return output;
}

function untiled(initial: Tensor<'float32'>, scheduler: TwoStepScheduler): Float32Array {
  const state = scheduler.createState();
  let x = createTensor('float32', initial.dims, Float32Array.from(initial.data));
  for (const t of scheduler.timesteps) {
    const x0 = createTensor('float32', x.dims, predict(x.data, t));
    x = scheduler.step(x0, t, x, state).prevSample;
  }
  return x.data;
}

/** The MultiDiffusion loop of spec §4.8.1 step 6, with per-view states unless `shareState`. */
function tiledLoop(initial: Tensor<'float32'>, scheduler: TwoStepScheduler, viewBatchSize: number, shareState = false): Float32Array {
  const [, , height, width] = initial.dims as [number, number, number, number];
  const views = planViews({ height, width, windowHeight: 16, windowWidth: 16, strideHeight: 12, strideWidth: 12 });
  const states = new ViewStates(scheduler, views.length);
  const shared = scheduler.createState();
  const blender = new MultiDiffusionBlender({ dims: initial.dims });
  const x = createTensor('float32', initial.dims, Float32Array.from(initial.data));
  for (const t of scheduler.timesteps) {
    blender.reset();
    for (let start = 0; start < views.length; start += viewBatchSize) {
      const group = views.slice(start, start + viewBatchSize);
      const crops = extractViews(x, group);
      const x0 = createTensor('float32', crops.dims, predict(crops.data, t));
      const stepped = createTensor('float32', crops.dims);
      group.forEach((_, index) => {
        let state = states.get(start + index);
        if (shareState) {
          // The bug §8 item 9 warns about: one history for all views, rewound per view.
          state = shared;
          state.stepIndex = scheduler.timesteps.indexOf(t);
        }
        scheduler.step(selectView(x0, index), t, selectView(crops, index), state, { out: selectView(stepped, index) });
      });
      blender.accumulate(stepped, group);
    }
    blender.resolve(x);
  }
  return x.data;
}

describe('ViewStates in a full MultiDiffusion loop (spec §4.8.1 step 6, §8 item 9)', () => {
  const scheduler = new TwoStepScheduler();
  const random = seededRandom(99);
  const initial = createTensor('float32', [1, 3, 40, 52], randomData(random, 3 * 40 * 52));

  it('per-view states: tiled equals untiled exactly for a per-pixel model (any view batch size)', () => {
    const reference = untiled(initial, scheduler);
    for (const viewBatchSize of [1, 4, 15]) {
      const result = tiledLoop(initial, scheduler, viewBatchSize);
      let differences = 0;
      for (let index = 0; index < reference.length; index++) if (result[index] !== reference[index]) differences++;
      expect(differences).toBe(0);
    }
  });

  it('one shared state mixes histories across views and no longer matches', () => {
    const reference = untiled(initial, scheduler);
    const result = tiledLoop(initial, scheduler, 4, true);
    let maxDifference = 0;
    for (let index = 0; index < reference.length; index++) maxDifference = Math.max(maxDifference, Math.abs(result[index]! - reference[index]!));
    expect(maxDifference).toBeGreaterThan(1e-3);
  });

  it('snapshot / restore / reset copy states deeply', () => {
    const states = new ViewStates(scheduler, 2);
    const x = createTensor('float32', [1, 1, 1, 1], Float32Array.of(1));
    scheduler.step(x, 999, x, states.get(0));
    const saved = states.snapshot();
    scheduler.step(x, 799, x, states.get(0));
    expect(states.get(0).stepIndex).toBe(2);
    states.restore(saved);
    expect(states.get(0).stepIndex).toBe(1);
    expect(states.get(1).stepIndex).toBe(0);
    saved[0]!.previous![0] = 42; // the restored state is a copy
    expect(states.get(0).previous![0]).toBe(1);
    states.reset();
    expect(states.get(0)).toEqual({ stepIndex: 0, previous: null });
    expect(states.size).toBe(2);
  });

  it('rejects bad counts and indices', () => {
    expectKandinskyError(() => new ViewStates(scheduler, 0), 'INVALID_ARGUMENT', 'viewCount must be an integer ≥ 1, got 0');
    const states = new ViewStates(scheduler, 3);
    expectKandinskyError(() => states.get(3), 'INVALID_ARGUMENT', 'viewIndex 3');
    expectKandinskyError(() => states.get(0.5), 'INVALID_ARGUMENT', 'viewIndex 0.5');
    expectKandinskyError(() => states.restore([]), 'INVALID_ARGUMENT', 'Cannot restore 0 view states into 3 views');
  });
});
