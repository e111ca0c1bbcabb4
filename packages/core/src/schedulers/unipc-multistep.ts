import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { thresholdPerSample } from './dynamic-thresholding.js';
import type { Scheduler, SchedulerState, SchedulerStepOptions, SchedulerStepResult } from './scheduler.js';
import { ignoredConfigKeys, type SchedulerConfigInput } from './scheduler-config.js';
import { exponentialSigmas, karrasSigmas, logSigmas, sigmaToTimestep, sigmaTrainingTables } from './sigma-schedule.js';
import { checkBeginIndex, checkStepPosition, newScheduleId, prepareStepTensors, checkSchedulerState } from './step-checks.js';
import { assertStepCount, numpyLinspace, roundHalfEven, spacedTimesteps } from './timestep-spacing.js';
import { UNIPC_KEYS, resolveUniPCConfig, uniPCConfigRecord, type UniPCConfig } from './unipc-config.js';

const f32 = Math.fround;

/**
 * Trajectory state of {@link UniPCMultistepScheduler}: the step index plus the multistep history.
 * Keep one per trajectory (MultiDiffusion view).
 */
export interface UniPCMultistepState extends SchedulerState {
  /** The last `solver_order` converted model outputs (x0, or ε without `predict_x0`), oldest first. */
  modelOutputs: (Float32Array | null)[];
  /** Steps taken so far, saturating at `solver_order` (diffusers' `lower_order_nums`). */
  lowerOrderNums: number;
  /** The (corrected) sample the last predictor started from: what the next corrector refines. */
  lastSample: Float32Array | null;
  /** The order of the last predictor, which the next corrector uses (diffusers' `this_order`). */
  thisOrder: number;
  /** Identifies the schedule the state was created for (a new `setTimesteps` invalidates it). */
  scheduleId: number;
}

/** α = 1/√(σ²+1), σ_t = σ·α and λ = log α − log σ_t in float32 (λ = +∞ at σ = 0). */
interface NoiseLevel {
  alpha: number;
  sigma: number;
  lambda: number;
}

function noiseLevel(sigmaValue: number): NoiseLevel {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigmaValue * sigmaValue) + 1))));
  const sigma = f32(sigmaValue * alpha);
  const lambda = sigma === 0 ? Number.POSITIVE_INFINITY : f32(f32(Math.log(alpha)) - f32(Math.log(sigma)));
  return { alpha, sigma, lambda };
}

/**
 * diffusers' `UniPCMultistepScheduler` (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector
 * Framework for Fast Sampling of Diffusion Models"): a multistep predictor (UniP) of order 1–3
 * with the UniC corrector that refines each sample once the model has been evaluated at it, in
 * data (x0) or noise space, with B(h) = h (`bh1`) or eʰ − 1 (`bh2`). Deterministic.
 *
 * Scalars follow diffusers' float32 tensor arithmetic (σ table, α/σ/λ, h, the φ recursion, the
 * order-3 linear systems solved in float64 from float32 entries); the history lives in the state,
 * so one instance can drive many trajectories. The corrected sample is kept in the state (a copy),
 * never written over the caller's buffers.
 *
 * One deliberate difference: diffusers evaluates the step into σ = 0 (`final_sigmas_type` `zero`)
 * through h = +∞, which gives NaN from ∞·0 with `bh1`, without `predict_x0`, or above first order
 * (`lower_order_final` false); this port takes that step's exact limit, the x0 estimate.
 */
export class UniPCMultistepScheduler implements Scheduler<UniPCMultistepState> {
  readonly name = 'UniPCMultistepScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<UniPCConfig>;
  /** Config keys that UniPCMultistepScheduler does not use and ignored. */
  readonly ignoredConfigKeys: readonly string[];
  readonly initNoiseSigma = 1;
  /** One model call per step (diffusers' `order`). */
  readonly order = 1;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly sigmaTable: Float64Array;
  private schedule: { timesteps: number[]; sigmas: Float64Array; levels: NoiseLevel[]; id: number } | null = null;

  /** @param config - a diffusers `scheduler_config.json` object (see {@link UniPCConfig}). */
  constructor(config: SchedulerConfigInput = {}) {
    this.options = Object.freeze(resolveUniPCConfig(config));
    this.ignoredConfigKeys = Object.freeze(ignoredConfigKeys(config, UNIPC_KEYS));
    this.config = Object.freeze(uniPCConfigRecord(this.options));
    const tables = sigmaTrainingTables(this.options);
    this.betas = tables.betas;
    this.alphasCumprod = tables.alphasCumprod;
    this.sigmaTable = tables.sigmas;
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
    const o = this.options;
    const count = o.numTrainTimesteps;
    assertStepCount(steps, count);
    const table = this.sigmaTable;
    let timesteps: number[];
    let sigmas: number[];
    let finalSigma: number;
    if (o.useKarrasSigmas || o.useExponentialSigmas) {
      const logTable = logSigmas(table);
      const convert = o.useKarrasSigmas ? karrasSigmas : exponentialSigmas;
      sigmas = convert(table[0]!, table[count - 1]!, steps);
      // Karras timesteps are rounded (half to even); exponential ones truncated by the int64 cast.
      timesteps = sigmas.map((sigma) => {
        const t = sigmaToTimestep(sigma, logTable);
        return o.useKarrasSigmas ? roundHalfEven(t) : Math.trunc(t);
      });
      finalSigma = o.finalSigmasType === 'sigma_min' ? sigmas[sigmas.length - 1]! : 0;
    } else {
      timesteps = this.spacedTimesteps(steps);
      sigmas = timesteps.map((t) => table[t]!);
      finalSigma = o.finalSigmasType === 'sigma_min' ? table[0]! : 0;
    }
    const sigmaValues = new Float64Array(timesteps.length + 1);
    for (let i = 0; i < timesteps.length; i++) sigmaValues[i] = f32(sigmas[i]!);
    sigmaValues[timesteps.length] = f32(finalSigma);
    this.schedule = { timesteps, sigmas: sigmaValues, levels: Array.from(sigmaValues, noiseLevel), id: newScheduleId() };
  }

  /**
   * A fresh trajectory state; `beginIndex` starts part-way (img2img, spec §4.4), with an empty
   * history (so the first step is first order and uncorrected, as in diffusers).
   * @default beginIndex 0
   */
  createState(beginIndex = 0): UniPCMultistepState {
    const schedule = this.requireSchedule('createState');
    return {
      stepIndex: checkBeginIndex(beginIndex, schedule.timesteps.length),
      modelOutputs: new Array<Float32Array | null>(this.options.solverOrder).fill(null),
      lowerOrderNums: 0,
      lastSample: null,
      thisOrder: 1,
      scheduleId: schedule.id,
    };
  }

  cloneState(state: UniPCMultistepState): UniPCMultistepState {
    checkSchedulerState(state);
    return {
      stepIndex: state.stepIndex,
      modelOutputs: state.modelOutputs.map((output) => output?.slice() ?? null),
      lowerOrderNums: state.lowerOrderNums,
      lastSample: state.lastSample?.slice() ?? null,
      thisOrder: state.thisOrder,
      scheduleId: state.scheduleId,
    };
  }

  /** Identity: UniPC does not scale the model input. */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  /** Corrects the sample with UniC (after the first step), then predicts the next with UniP. */
  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: UniPCMultistepState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const schedule = this.requireSchedule('step');
    const index = checkStepPosition(this.name, schedule.timesteps, schedule.id, state, timestep);
    const out = prepareStepTensors(modelOutput, sample, sample.dims, options);
    const o = this.options;
    const size = sample.data.length;
    const history = state.modelOutputs;
    for (const entry of [...history, state.lastSample]) {
      if (entry !== null && entry.length !== size) {
        throw shapeMismatch(
          `The UniPC history holds samples of ${entry.length} elements, this one has ${size}.`,
          'Keep one state per trajectory and per sample shape.',
        );
      }
    }
    const useCorrector = index > 0 && !o.disableCorrector.includes(index - 1) && state.lastSample !== null;
    const converted = this.convert(modelOutput.data, sample.data, schedule.levels[index]!, sample.dims[0] ?? 1);
    let current: Float32Array;
    if (useCorrector) {
      current = state.lastSample!;
      this.correct(current, converted, sample.data, history, schedule.levels, index, state.thisOrder);
    } else {
      current = state.lastSample ?? new Float32Array(size);
      current.set(sample.data);
    }
    history.shift();
    history.push(converted);
    const order = o.lowerOrderFinal ? Math.min(o.solverOrder, schedule.timesteps.length - index) : o.solverOrder;
    state.thisOrder = Math.min(order, state.lowerOrderNums + 1);
    state.lastSample = current;
    this.predict(out.data, current, history, schedule.levels, index, state.thisOrder);
    if (state.lowerOrderNums < o.solverOrder) state.lowerOrderNums++;
    state.stepIndex = index + 1;
    if (options.returnPredOriginalSample !== true) return { prevSample: out };
    const original = createTensor('float32', sample.dims, converted.slice());
    if (!o.predictX0) {
      const { alpha, sigma } = schedule.levels[index]!;
      for (let i = 0; i < size; i++) original.data[i] = f32(sample.data[i]! - f32(sigma * converted[i]!)) / alpha;
    }
    return { prevSample: out, predOriginalSample: original };
  }

  /**
   * Forward diffusion `α_t·x0 + σ_t·z` with σ of `timestep`'s place in the schedule (second
   * occurrence of a repeated one; the last step for a timestep not in it), as diffusers.
   */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    assertDtype('original', original, 'float32');
    assertDtype('noise', noise, 'float32');
    assertDims('noise', noise, original.dims);
    const schedule = this.requireSchedule('addNoise');
    const indices = schedule.timesteps.flatMap((t, i) => (t === timestep ? [i] : []));
    const index = indices.length === 0 ? schedule.timesteps.length - 1 : indices[indices.length > 1 ? 1 : 0]!;
    const { alpha, sigma } = schedule.levels[index]!;
    const result = createTensor('float32', original.dims);
    const x = original.data;
    const z = noise.data;
    for (let i = 0; i < x.length; i++) result.data[i] = f32(alpha * x[i]!) + f32(sigma * z[i]!);
    return result;
  }

  /** The linspace / leading / trailing grids of diffusers' UniPC (N + 1 points, last dropped). */
  private spacedTimesteps(steps: number): number[] {
    const o = this.options;
    const count = o.numTrainTimesteps;
    let timesteps: number[];
    switch (o.timestepSpacing) {
      case 'linspace':
        timesteps = numpyLinspace(0, count - 1, steps + 1)
          .map(roundHalfEven)
          .reverse()
          .slice(0, steps);
        break;
      case 'leading': {
        const ratio = Math.floor(count / (steps + 1));
        timesteps = Array.from({ length: steps }, (_, k) => (steps - k) * ratio + o.stepsOffset);
        break;
      }
      case 'trailing':
        timesteps = spacedTimesteps({ steps, spacing: 'trailing', numTrainTimesteps: count });
        break;
    }
    const beyond = timesteps.find((t) => t >= count);
    if (beyond !== undefined) {
      throw kandinskyError(
        'INVALID_STEPS',
        `${steps} steps with "leading" spacing and steps_offset ${o.stepsOffset} give timestep ${beyond}, beyond the last training timestep ${count - 1}.`,
        'Use fewer steps, steps_offset 0, or "trailing" spacing.',
        { steps, timestep: beyond },
      );
    }
    return timesteps;
  }

  /** diffusers' `convert_model_output`: x0 (thresholded when configured) or ε. */
  private convert(m: Float32Array, x: Float32Array, level: NoiseLevel, batch: number): Float32Array {
    const o = this.options;
    const { alpha, sigma } = level;
    const result = new Float32Array(m.length);
    const prediction = o.predictionType;
    for (let i = 0; i < m.length; i++) {
      const xi = x[i]!;
      const mi = m[i]!;
      if (o.predictX0) {
        result[i] =
          prediction === 'epsilon'
            ? f32(xi - f32(sigma * mi)) / alpha
            : prediction === 'sample'
              ? mi
              : f32(alpha * xi) - f32(sigma * mi);
      } else {
        result[i] =
          prediction === 'epsilon'
            ? mi
            : prediction === 'sample'
              ? f32(xi - f32(alpha * mi)) / sigma
              : f32(alpha * mi) + f32(sigma * xi);
      }
    }
    if (o.predictX0 && o.thresholding) thresholdPerSample(result, batch, o.dynamicThresholdingRatio, o.sampleMaxValue);
    return result;
  }

  /** The φ-function coefficients shared by UniP and UniC (diffusers' R, b, h·φ₁(h), B(h)). */
  private coefficients(h: number, ratios: number[], order: number) {
    const hh = this.options.predictX0 ? -h : h;
    const hPhi1 = f32(Math.expm1(hh));
    let hPhiK = f32(f32(hPhi1 / hh) - 1);
    let factorial = 1;
    const bh = this.options.solverType === 'bh1' ? hh : f32(Math.expm1(hh));
    const rows: number[][] = [];
    const b: number[] = [];
    for (let i = 1; i <= order; i++) {
      rows.push(ratios.map((r) => f32(r ** (i - 1))));
      b.push(f32(f32(hPhiK * factorial) / bh));
      factorial *= i + 1;
      hPhiK = f32(f32(hPhiK / hh) - f32(1 / factorial));
    }
    return { rows, b, hPhi1, bh };
  }

  /** UniP: x_next from `x` at step `index` with `order` history entries. */
  private predict(
    y: Float32Array,
    x: Float32Array,
    history: (Float32Array | null)[],
    levels: readonly NoiseLevel[],
    index: number,
    order: number,
  ): void {
    const o = this.options;
    const m0 = history[history.length - 1]!;
    const target = levels[index + 1]!;
    const s0 = levels[index]!;
    if (target.sigma === 0) {
      // The exact limit of the step into σ = 0 (see the class comment).
      if (o.predictX0) y.set(m0);
      else for (let i = 0; i < y.length; i++) y[i] = f32(x[i]! - f32(s0.sigma * m0[i]!)) / s0.alpha;
      return;
    }
    const h = f32(target.lambda - s0.lambda);
    const ratios: number[] = [];
    const differences: Float32Array[] = [];
    for (let k = 1; k < order; k++) {
      const ratio = f32(f32(levels[index - k]!.lambda - s0.lambda) / h);
      ratios.push(ratio);
      differences.push(scaledDifference(history[history.length - 1 - k]!, m0, ratio));
    }
    ratios.push(1);
    const { rows, b, hPhi1, bh } = this.coefficients(h, ratios, order);
    const rhos = order === 1 ? [] : order === 2 ? [0.5] : solveFloat32(minor(rows, order - 1), b.slice(0, order - 1));
    combine(y, x, m0, target, s0, o.predictX0, hPhi1, bh, differences, rhos, null, 0);
  }

  /** UniC: refines `last` (in place) with the model output `current` converted at step `index`. */
  private correct(
    last: Float32Array,
    current: Float32Array,
    _sample: Float32Array,
    history: (Float32Array | null)[],
    levels: readonly NoiseLevel[],
    index: number,
    order: number,
  ): void {
    const m0 = history[history.length - 1]!;
    const target = levels[index]!;
    const s0 = levels[index - 1]!;
    const h = f32(target.lambda - s0.lambda);
    const ratios: number[] = [];
    const differences: Float32Array[] = [];
    for (let k = 1; k < order; k++) {
      const ratio = f32(f32(levels[index - (k + 1)]!.lambda - s0.lambda) / h);
      ratios.push(ratio);
      differences.push(scaledDifference(history[history.length - 1 - k]!, m0, ratio));
    }
    ratios.push(1);
    const { rows, b, hPhi1, bh } = this.coefficients(h, ratios, order);
    const rhos = order === 1 ? [0.5] : solveFloat32(rows, b);
    combine(last, last, m0, target, s0, this.options.predictX0, hPhi1, bh, differences, rhos.slice(0, -1), current, rhos[rhos.length - 1]!);
  }

  private requireSchedule(what: string) {
    if (this.schedule === null) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `${this.name}.${what}() was called before setTimesteps().`,
        'Call scheduler.setTimesteps(steps) first.',
      );
    }
    return this.schedule;
  }
}

/** D1_k = (m_k − m0)/r_k in float32. */
function scaledDifference(mk: Float32Array, m0: Float32Array, ratio: number): Float32Array {
  const result = new Float32Array(m0.length);
  for (let i = 0; i < result.length; i++) result[i] = f32(mk[i]! - m0[i]!) / ratio;
  return result;
}

/**
 * y = a·x − c·m0 − d·(Σ ρ_k·D1_k + ρ_t·(m_t − m0)), with (a, c, d) = (σ_t/σ_s0, α_t·hφ₁, α_t·B(h))
 * in data space or (α_t/α_s0, σ_t·hφ₁, σ_t·B(h)) in noise space. `y` may alias `x`.
 */
function combine(
  y: Float32Array,
  x: Float32Array,
  m0: Float32Array,
  target: NoiseLevel,
  s0: NoiseLevel,
  predictX0: boolean,
  hPhi1: number,
  bh: number,
  differences: Float32Array[],
  rhos: number[],
  modelT: Float32Array | null,
  rhoT: number,
): void {
  const a = predictX0 ? f32(target.sigma / s0.sigma) : f32(target.alpha / s0.alpha);
  const scale = predictX0 ? target.alpha : target.sigma;
  const c = f32(scale * hPhi1);
  const d = f32(scale * bh);
  const terms = differences.length;
  for (let i = 0; i < y.length; i++) {
    let residual = 0;
    for (let k = 0; k < terms; k++) residual += rhos[k]! * differences[k]![i]!;
    if (modelT !== null) residual = f32(residual) + f32(rhoT * f32(modelT[i]! - m0[i]!));
    const base = f32(f32(a * x[i]!) - f32(c * m0[i]!));
    y[i] = terms === 0 && modelT === null ? base : base - f32(d * f32(residual));
  }
}

/** The leading `size` × `size` block of `rows`. */
function minor(rows: number[][], size: number): number[][] {
  return rows.slice(0, size).map((row) => row.slice(0, size));
}

/**
 * Solves A·x = b (Gaussian elimination with partial pivoting, float64 on the float32 entries),
 * rounding the solution to float32 like diffusers' `torch.linalg.solve` on float32 tensors.
 */
function solveFloat32(matrix: number[][], rhs: number[]): number[] {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, rhs[i]!]);
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) if (Math.abs(a[row]![column]!) > Math.abs(a[pivot]![column]!)) pivot = row;
    if (a[pivot]![column] === 0) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `The UniPC order-${n + 1} coefficients form a singular system at this step (${describeValue(matrix)}).`,
        'Use lower_order_final (the default) or final_sigmas_type "sigma_min", as diffusers would need too.',
      );
    }
    [a[column], a[pivot]] = [a[pivot]!, a[column]!];
    for (let row = column + 1; row < n; row++) {
      const factor = a[row]![column]! / a[column]![column]!;
      for (let k = column; k <= n; k++) a[row]![k]! -= factor * a[column]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let value = a[row]![n]!;
    for (let k = row + 1; k < n; k++) value -= a[row]![k]! * x[k]!;
    x[row] = value / a[row]![row]!;
  }
  return x.map(f32);
}
