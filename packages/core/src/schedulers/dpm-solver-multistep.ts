import { invalidArgument, kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { dpmSolverConfigRecord, resolveDPMSolverConfig, type DPMSolverConfig } from './dpm-solver-config.js';
import { dpmSolverSchedule } from './dpm-solver-schedule.js';
import { thresholdPerSample } from './dynamic-thresholding.js';
import { trainingTables } from './scheduler-config.js';
import { checkBeginIndex, checkStepPosition, newScheduleId, checkSchedulerState } from './step-checks.js';
import type {
  Scheduler,
  SchedulerState,
  SchedulerStepOptions,
  SchedulerStepResult,
} from './scheduler.js';

const f32 = Math.fround;

/**
 * Trajectory state of {@link DPMSolverMultistepScheduler}: the step index plus the multistep
 * history. Keep one per MultiDiffusion view (spec §4.8.1 step 6, §8 item 9).
 */
export interface DPMSolverMultistepState extends SchedulerState {
  /**
   * The last `solver_order` converted model outputs (x0 for `dpmsolver++`, ε for `dpmsolver`),
   * oldest first; `null` until filled.
   */
  modelOutputs: (Float32Array | null)[];
  /** Steps taken so far, saturating at `solver_order` (diffusers' `lower_order_nums`). */
  lowerOrderNums: number;
  /** Dims of the sample this trajectory runs on; fixed by its first step. */
  sampleDims: number[] | null;
  /** Identifies the schedule the state was created for (a new `setTimesteps` invalidates it). */
  scheduleId: number;
}

/** α, σ and λ = log α − log σ of a noise level, in float32 like diffusers' torch scalars. */
interface NoiseLevel {
  alpha: number;
  sigma: number;
  lambda: number;
}

/**
 * DPM-Solver / DPM-Solver++ multistep sampler, numerically matching diffusers'
 * `DPMSolverMultistepScheduler` (spec §3.6): KandiSuperRes x4/x2 run it with
 * `{ beta_schedule: 'linear', prediction_type: 'sample' }` and 5 steps.
 *
 * Scalar coefficients follow diffusers' float32 arithmetic (σ table cast to float32, α/σ/λ and the
 * step coefficients as float32 torch scalars); each step is then one fused float64 pass over the
 * float32 tensors, so the results agree with PyTorch to float32 precision. The multistep history
 * lives in the state object, so one instance can drive many trajectories.
 *
 * Not supported (rejected with INVALID_SCHEDULER_CONFIG): the SDE variants, learned variance,
 * exponential/beta/flow sigmas, zero-SNR rescaling.
 */
export class DPMSolverMultistepScheduler implements Scheduler<DPMSolverMultistepState> {
  readonly name = 'DPMSolverMultistepScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<DPMSolverConfig>;
  readonly initNoiseSigma = 1;
  readonly alphasCumprod: Float64Array;
  private schedule: { timesteps: number[]; sigmas: Float64Array; levels: NoiseLevel[]; id: number } | null =
    null;

  /**
   * @param config - a diffusers scheduler config (`scheduler/scheduler_config.json`); missing keys
   *   take diffusers' defaults (see {@link DPMSolverConfig}).
   */
  constructor(config: Record<string, unknown> = {}) {
    this.options = Object.freeze(resolveDPMSolverConfig(config));
    this.config = Object.freeze(dpmSolverConfigRecord(this.options));
    this.alphasCumprod = trainingTables(this.options).alphasCumprod;
  }

  get timesteps(): readonly number[] {
    return this.schedule?.timesteps ?? [];
  }

  get numInferenceSteps(): number {
    return this.schedule?.timesteps.length ?? 0;
  }

  /** σ per step plus the final σ (float32 values); empty before `setTimesteps`. */
  get sigmas(): Float64Array {
    return this.schedule?.sigmas ?? new Float64Array(0);
  }

  setTimesteps(steps: number): void {
    const { timesteps, sigmas } = dpmSolverSchedule(this.options, this.alphasCumprod, steps);
    const levels = Array.from(sigmas, noiseLevel);
    this.schedule = { timesteps, sigmas, levels, id: newScheduleId() };
  }

  /**
   * A fresh trajectory state. `beginIndex` starts it part-way through the schedule (img2img,
   * spec §4.4), like diffusers' `set_begin_index`; `numInferenceSteps` gives an empty run.
   * @param beginIndex - index of the first timestep to step from. @default 0
   */
  createState(beginIndex = 0): DPMSolverMultistepState {
    const schedule = this.requireSchedule('createState');
    checkBeginIndex(beginIndex, schedule.timesteps.length);
    return {
      stepIndex: beginIndex,
      modelOutputs: new Array<Float32Array | null>(this.options.solverOrder).fill(null),
      lowerOrderNums: 0,
      sampleDims: null,
      scheduleId: schedule.id,
    };
  }

  cloneState(state: DPMSolverMultistepState): DPMSolverMultistepState {
    checkSchedulerState(state);
    return {
      stepIndex: state.stepIndex,
      modelOutputs: state.modelOutputs.map((output) => (output === null ? null : output.slice())),
      lowerOrderNums: state.lowerOrderNums,
      sampleDims: state.sampleDims === null ? null : [...state.sampleDims],
      scheduleId: state.scheduleId,
    };
  }

  /** Identity: DPM-Solver does not scale the model input (spec §3.6). */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: DPMSolverMultistepState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const schedule = this.requireSchedule('step');
    const { timesteps, levels } = schedule;
    const config = this.options;
    const index = checkStepPosition(this.name, timesteps, schedule.id, state, timestep);
    assertDtype('sample', sample, 'float32');
    assertDtype('modelOutput', modelOutput, 'float32');
    assertDims('modelOutput', modelOutput, sample.dims);
    if (state.sampleDims !== null) assertDims('sample', sample, state.sampleDims);
    const out = options.out ?? createTensor('float32', sample.dims);
    assertDtype('options.out', out, 'float32');
    assertDims('options.out', out, sample.dims);
    const size = sample.data.length;

    const count = timesteps.length;
    const lastStep = index === count - 1;
    const lowerOrderFinal =
      lastStep &&
      (config.eulerAtFinal || (config.lowerOrderFinal && count < 15) || config.finalSigmasType === 'zero');
    const lowerOrderSecond = index === count - 2 && config.lowerOrderFinal && count < 15;
    const order =
      config.solverOrder === 1 || state.lowerOrderNums < 1 || lowerOrderFinal
        ? 1
        : config.solverOrder === 2 || state.lowerOrderNums < 2 || lowerOrderSecond
          ? 2
          : 3;

    const history = state.modelOutputs;
    const length = history.length;
    const previous = length >= 2 ? history[length - 1] : null;
    const beforePrevious = length >= 3 ? history[length - 2] : null;
    if ((order >= 2 && previous?.length !== size) || (order === 3 && beforePrevious?.length !== size)) {
      throw shapeMismatch(
        `The solver history does not match a sample of ${size} elements.`,
        'Keep one state per trajectory and per sample shape.',
      );
    }
    // Shift the history; the buffer dropping off the end is recycled for the new output.
    let current = history[0];
    if (current === null || current.length !== size || current === previous) current = new Float32Array(size);
    for (let i = 0; i < length - 1; i++) history[i] = history[i + 1];
    history[length - 1] = current;

    const level = levels[index];
    const [cs, cm, cd] = this.conversion(level);
    // Multiplying by float64 quotients instead of dividing per element differs from torch's
    // float32 division by well under a float32 ulp of the result.
    const sx = cs / cd;
    const sm = cm / cd;
    const [a, c0, c1, c2] = updateCoefficients(config, order, levels, index);
    const x = sample.data;
    const m = modelOutput.data;
    const y = out.data;
    // dpmsolver keeps ε, so its x0 estimate must be taken before `out` (which may alias the
    // sample) is written.
    const plusPlus = config.algorithmType === 'dpmsolver++';
    let original: Tensor<'float32'> | undefined;
    if (options.returnPredOriginalSample === true && !plusPlus) {
      original = createTensor('float32', sample.dims);
      const { alpha, sigma } = level;
      for (let i = 0; i < size; i++) original.data[i] = (x[i] - sigma * f32(sx * x[i] + sm * m[i])) / alpha;
      if (config.thresholding) {
        const batch = sample.dims[0] ?? 1;
        thresholdPerSample(original.data, batch, config.dynamicThresholdingRatio, config.sampleMaxValue);
      }
    }

    if (config.thresholding) {
      this.convertWithThresholding(m, x, current, level, sample.dims[0] ?? 1);
      combine(y, x, a, current, c0, previous, c1, beforePrevious, c2);
    } else {
      // Fused: convert the model output, remember it, and update the sample in one pass.
      const m1 = order >= 2 ? previous : null;
      const m2 = order === 3 ? beforePrevious : null;
      fusedStep(y, x, m, current, sx, sm, a, c0, m1, c1, m2, c2);
    }

    if (options.returnPredOriginalSample === true && plusPlus) {
      original = createTensor('float32', sample.dims, current.slice());
    }

    if (state.lowerOrderNums < config.solverOrder) state.lowerOrderNums++;
    state.sampleDims ??= [...sample.dims];
    state.stepIndex = index + 1;
    return original === undefined ? { prevSample: out } : { prevSample: out, predOriginalSample: original };
  }

  /**
   * Forward diffusion `α_t·x0 + σ_t·z` (spec §4.4). Like diffusers, a timestep of the current
   * schedule uses that step's σ; any other integer timestep in [0, T) uses ᾱ_t from the table.
   */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    assertDtype('original', original, 'float32');
    assertDtype('noise', noise, 'float32');
    assertDims('noise', noise, original.dims);
    let alpha: number;
    let sigma: number;
    const indices = this.schedule?.timesteps.flatMap((t, i) => (t === timestep ? [i] : [])) ?? [];
    if (this.schedule !== null && indices.length > 0) {
      // diffusers picks the second occurrence of a repeated timestep (Karras spacing).
      const level = this.schedule.levels[indices.length > 1 ? indices[1] : indices[0]];
      alpha = level.alpha;
      sigma = level.sigma;
    } else if (Number.isInteger(timestep) && timestep >= 0 && timestep < this.alphasCumprod.length) {
      alpha = f32(Math.sqrt(this.alphasCumprod[timestep]));
      sigma = f32(Math.sqrt(f32(1 - this.alphasCumprod[timestep])));
    } else {
      const last = this.alphasCumprod.length - 1;
      throw invalidArgument('timestep', timestep, `an integer in [0, ${last}]`, 'Pass one of scheduler.timesteps.');
    }
    const result = createTensor('float32', original.dims);
    const x = original.data;
    const z = noise.data;
    for (let i = 0; i < x.length; i++) result.data[i] = alpha * x[i] + sigma * z[i];
    return result;
  }

  /**
   * `converted = (cs·x + cm·m) / cd`: the model output as x0 (dpmsolver++) or ε (dpmsolver),
   * written to mirror diffusers' expressions so that float32 rounding matches.
   */
  private conversion(level: NoiseLevel): [number, number, number] {
    const { alpha, sigma } = level;
    const plusPlus = this.options.algorithmType === 'dpmsolver++';
    switch (this.options.predictionType) {
      case 'epsilon':
        return plusPlus ? [1, -sigma, alpha] : [0, 1, 1];
      case 'sample':
        return plusPlus ? [0, 1, 1] : [1, -alpha, sigma];
      case 'v_prediction':
        return plusPlus ? [alpha, -sigma, 1] : [sigma, alpha, 1];
    }
  }

  /** Model output → thresholded x0 (dpmsolver++) or ε recomputed from it (dpmsolver). */
  private convertWithThresholding(
    m: Float32Array,
    x: Float32Array,
    target: Float32Array,
    level: NoiseLevel,
    batch: number,
  ): void {
    const { alpha, sigma } = level;
    const [cs, cm, cd] = this.conversion(level);
    const plusPlus = this.options.algorithmType === 'dpmsolver++';
    for (let i = 0; i < target.length; i++) {
      const converted = f32((cs * x[i] + cm * m[i]) / cd);
      target[i] = plusPlus ? converted : (x[i] - sigma * converted) / alpha;
    }
    thresholdPerSample(
      target,
      batch,
      this.options.dynamicThresholdingRatio,
      this.options.sampleMaxValue,
    );
    if (!plusPlus) for (let i = 0; i < target.length; i++) target[i] = (x[i] - alpha * target[i]) / sigma;
  }

  private requireSchedule(what: string) {
    if (this.schedule === null) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `${what}() was called before setTimesteps().`,
        'Call scheduler.setTimesteps(steps) first.',
      );
    }
    return this.schedule;
  }
}

/** α = 1/√(σ²+1), σ_t = σ·α, λ = log α − log σ_t in float32; σ = 0 gives λ = +∞ (spec §3.6). */
function noiseLevel(sigmaValue: number): NoiseLevel {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigmaValue * sigmaValue) + 1))));
  const sigma = f32(sigmaValue * alpha);
  const lambda = sigma === 0 ? Number.POSITIVE_INFINITY : f32(f32(Math.log(alpha)) - f32(Math.log(sigma)));
  return { alpha, sigma, lambda };
}

/**
 * Coefficients [a, c0, c1, c2] with x_next = a·x + c0·m_i + c1·m_{i−1} + c2·m_{i−2}, the DPM-Solver
 * updates of diffusers expanded into the converted outputs m. The scalar sub-expressions are
 * rounded to float32 where diffusers evaluates them as float32 torch scalars (they include the
 * cancellation-prone third-order terms, whose float32 values we must reproduce).
 */
function updateCoefficients(
  config: DPMSolverConfig,
  order: 1 | 2 | 3,
  levels: readonly NoiseLevel[],
  index: number,
): [number, number, number, number] {
  const next = levels[index + 1];
  const s0 = levels[index];
  const plusPlus = config.algorithmType === 'dpmsolver++';
  // σ_next = 0 (final_sigmas_type "zero", always a first-order dpmsolver++ step): the update is
  // exactly x0; evaluate it directly instead of through λ = +∞.
  if (next.sigma === 0) return plusPlus ? [0, 1, 0, 0] : [Number.NaN, Number.NaN, 0, 0];
  const h = f32(next.lambda - s0.lambda);
  let a: number;
  let phi: number; // coefficient of D0 (with sign)
  let expTerm: number; // e^{−h} − 1 (dpmsolver++) or e^{h} − 1 (dpmsolver)
  if (plusPlus) {
    a = f32(next.sigma / s0.sigma);
    expTerm = f32(f32(Math.exp(-h)) - 1);
    phi = -f32(next.alpha * expTerm);
  } else {
    a = f32(next.alpha / s0.alpha);
    expTerm = f32(f32(Math.exp(h)) - 1);
    phi = -f32(next.sigma * expTerm);
  }
  if (order === 1) return [a, phi, 0, 0];

  const s1 = levels[index - 1];
  const h0 = f32(s0.lambda - s1.lambda);
  const r0 = f32(h0 / h);
  const inverseR0 = f32(1 / r0);
  if (order === 2) {
    // D1 = (m0 − m1)/r0 with coefficient k1.
    let k1: number;
    if (config.solverType === 'midpoint') k1 = -f32(0.5 * f32(-phi));
    else if (plusPlus) k1 = f32(next.alpha * f32(f32(expTerm / h) + 1));
    else k1 = -f32(next.sigma * f32(f32(expTerm / h) - 1));
    return [a, phi + k1 * inverseR0, -k1 * inverseR0, 0];
  }

  const s2 = levels[index - 2];
  const h1 = f32(s1.lambda - s2.lambda);
  const r1 = f32(h1 / h);
  const inverseR1 = f32(1 / r1);
  const sum = f32(r0 + r1);
  const w = f32(r0 / sum);
  const z = f32(1 / sum);
  let k1: number;
  let k2: number;
  const hSquared = f32(h * h);
  if (plusPlus) {
    k1 = f32(next.alpha * f32(f32(expTerm / h) + 1));
    k2 = -f32(next.alpha * f32(f32(f32(expTerm + h) / hSquared) - 0.5));
  } else {
    k1 = -f32(next.sigma * f32(f32(expTerm / h) - 1));
    k2 = -f32(next.sigma * f32(f32(f32(expTerm - h) / hSquared) - 0.5));
  }
  // D1_0 = u(m0−m1), D1_1 = v(m1−m2), D1 = D1_0 + w(D1_0 − D1_1), D2 = z(D1_0 − D1_1).
  const u = inverseR0;
  const v = inverseR1;
  return [
    a,
    phi + k1 * (u + w * u) + k2 * z * u,
    -k1 * (u + w * (u + v)) - k2 * z * (u + v),
    k1 * w * v + k2 * z * v,
  ];
}

/**
 * The hot loop, kept small and monomorphic for the JIT: m0 = f32(sx·x + sm·model) is stored as the
 * newest history entry and y = a·x + c0·m0 + c1·m1 + c2·m2. `y` may alias `x` or `model`.
 */
function fusedStep(
  y: Float32Array,
  x: Float32Array,
  model: Float32Array,
  current: Float32Array,
  sx: number,
  sm: number,
  a: number,
  c0: number,
  m1: Float32Array | null,
  c1: number,
  m2: Float32Array | null,
  c2: number,
): void {
  const n = y.length;
  if (m1 === null) {
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const converted = f32(sx * xi + sm * model[i]);
      current[i] = converted;
      y[i] = a * xi + c0 * converted;
    }
  } else if (m2 === null) {
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const converted = f32(sx * xi + sm * model[i]);
      current[i] = converted;
      y[i] = a * xi + c0 * converted + c1 * m1[i];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const converted = f32(sx * xi + sm * model[i]);
      current[i] = converted;
      y[i] = a * xi + c0 * converted + c1 * m1[i] + c2 * m2[i];
    }
  }
}

/** y = a·x + c0·m0 + c1·m1 + c2·m2 (absent histories contribute nothing). */
function combine(
  y: Float32Array,
  x: Float32Array,
  a: number,
  m0: Float32Array,
  c0: number,
  m1: Float32Array | null,
  c1: number,
  m2: Float32Array | null,
  c2: number,
): void {
  for (let i = 0; i < y.length; i++) {
    let value = a * x[i] + c0 * m0[i];
    if (m1 !== null && c1 !== 0) value += c1 * m1[i];
    if (m2 !== null && c2 !== 0) value += c2 * m2[i];
    y[i] = value;
  }
}
