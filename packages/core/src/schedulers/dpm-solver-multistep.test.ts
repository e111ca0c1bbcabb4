import { afterAll, describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { DPMSolverMultistepScheduler, type DPMSolverMultistepState } from './dpm-solver-multistep.js';
import {
  compare,
  decodeFloat32,
  fixture,
  inputsFor,
  strided,
  syntheticModel,
} from './test-support/dpm-kandinsky-fixture.js';


const tensor = (values: number[]): Tensor<'float32'> =>
  createTensor('float32', [values.length], Float32Array.from(values));

// Worst error per configuration family, relative to the largest reference magnitude of the
// compared sample (absolute figures are printed alongside).
const families = new Map<string, { maxAbs: number; maxRelative: number; cases: number }>();

afterAll(() => {
  const rows = [...families].map(
    ([family, f]) => `${family.padEnd(24)} cases ${f.cases}  max|Δ| ${f.maxAbs.toExponential(2)}  max|Δ|/max|ref| ${f.maxRelative.toExponential(2)}`,
  );
  console.info(`DPM-Solver vs PyTorch reference (every step):\n${rows.join('\n')}`);
});

describe('DPMSolverMultistepScheduler vs the PyTorch reference', () => {
  for (const entry of fixture.dpm) {
    const label = `${entry.family} ${JSON.stringify(entry.config)} steps=${entry.steps} ${entry.shape}`;
    it(label, () => {
      const scheduler = new DPMSolverMultistepScheduler(entry.config);
      scheduler.setTimesteps(entry.steps);
      expect(scheduler.timesteps).toEqual(entry.timesteps);
      expect(Array.from(scheduler.sigmas)).toEqual(entry.sigmas);

      const { dims, init, pattern } = inputsFor(entry.shape);
      const kind = scheduler.options.predictionType;
      const state = scheduler.createState();
      let x = createTensor('float32', dims, init.slice());
      const stats = families.get(entry.family) ?? { maxAbs: 0, maxRelative: 0, cases: 0 };
      stats.cases++;
      const record = (actual: Float32Array, expected: Float32Array) => {
        const { maxAbs, scale } = compare(actual, expected);
        const relative = maxAbs / Math.max(scale, 1e-30);
        stats.maxAbs = Math.max(stats.maxAbs, maxAbs);
        stats.maxRelative = Math.max(stats.maxRelative, relative);
        // float32 agreement: a few ulps of the largest value of the sample.
        expect(relative).toBeLessThan(4e-6);
      };
      scheduler.timesteps.forEach((t, k) => {
        const output = syntheticModel(kind, k, x.data, pattern, dims);
        x = scheduler.step(output, t, x, state).prevSample;
        record(strided(x.data, fixture.stride), decodeFloat32(entry.perStep[k]));
      });
      if ('final' in entry && typeof entry.final === 'string') record(x.data, decodeFloat32(entry.final));
      families.set(entry.family, stats);
    });
  }
});

describe('DPMSolverMultistepScheduler: spec §3.6 tables', () => {
  const superRes = () => {
    const scheduler = new DPMSolverMultistepScheduler({
      beta_schedule: 'linear',
      prediction_type: 'sample',
      thresholding: false,
    });
    scheduler.setTimesteps(5);
    return scheduler;
  };

  it('has the KandiSuperRes timesteps and sigmas', () => {
    const scheduler = superRes();
    expect(scheduler.timesteps).toEqual([999, 799, 599, 400, 200]);
    const expected = [157.40727, 25.528484, 6.13521, 2.0410874, 0.72359121, 0];
    // The spec prints 8 significant digits: agree to 2e-7 relative, and exactly 0 at the end.
    scheduler.sigmas.forEach((sigma, i) => expect(Math.abs(sigma - expected[i])).toBeLessThanOrEqual(2e-7 * expected[i]));
    expect(scheduler.initNoiseSigma).toBe(1);
  });

  it('reproduces the a/b/c coefficient table (x_{i+1} = a·x_i + b·m_i + c·m_{i−1})', () => {
    const table = [
      [0.99925383, 0.03279383, 0],
      [0.98773243, 0.17010217, -0.04789321],
      [0.90986392, 0.40691426, -0.11331658],
      [0.65279562, 0.76931654, -0.24637333],
      [0, 1, 0],
    ];
    const scheduler = superRes();
    table.forEach(([a, b, c], i) => {
      // Basis inputs: element 0 carries the sample, 1 the current x0, 2 the previous x0, so the
      // step returns [a, b, c].
      const state: DPMSolverMultistepState = {
        ...scheduler.createState(),
        stepIndex: i,
        lowerOrderNums: Math.min(i, 2),
        modelOutputs: [null, Float32Array.from([0, 0, 1])],
      };
      const { prevSample } = scheduler.step(tensor([0, 1, 0]), scheduler.timesteps[i], tensor([1, 0, 0]), state);
      expect(prevSample.data[0]).toBeCloseTo(a, 6);
      expect(prevSample.data[1]).toBeCloseTo(b, 6);
      expect(prevSample.data[2]).toBeCloseTo(c, 6);
    });
  });

  it('returns x0 exactly on the final σ = 0 step', () => {
    const scheduler = superRes();
    const state = { ...scheduler.createState(), stepIndex: 4, lowerOrderNums: 2, modelOutputs: [null, Float32Array.from([7, 7])] };
    const x0 = tensor([0.123456789, -3.5]);
    const { prevSample } = scheduler.step(x0, 200, tensor([1e6, -1e6]), state);
    expect(Array.from(prevSample.data)).toEqual(Array.from(x0.data));
  });
});

describe('DPMSolverMultistepScheduler: addNoise', () => {
  it('uses the step σ for scheduled timesteps and ᾱ_t otherwise (spec §3.1, §3.6)', () => {
    const scheduler = new DPMSolverMultistepScheduler({ prediction_type: 'sample' });
    scheduler.setTimesteps(5);
    const sigma = 157.40727;
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    expect(scheduler.addNoise(tensor([1]), tensor([0]), 999).data[0]).toBeCloseTo(alpha, 8);
    expect(scheduler.addNoise(tensor([0]), tensor([1]), 999).data[0]).toBeCloseTo(sigma * alpha, 6);
    // t = 0 is not scheduled: ᾱ₀ = 0.9999 for the linear schedule.
    expect(scheduler.addNoise(tensor([1]), tensor([0]), 0).data[0]).toBeCloseTo(Math.sqrt(0.9999), 6);
    const error = thrown(() => scheduler.addNoise(tensor([1]), tensor([0]), 1000));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('1000');
  });
});

describe('DPMSolverMultistepScheduler: predOriginalSample', () => {
  it('returns a copy of x0 only when asked, for both algorithm types', () => {
    for (const algorithm of ['dpmsolver++', 'dpmsolver']) {
      const scheduler = new DPMSolverMultistepScheduler({
        algorithm_type: algorithm,
        final_sigmas_type: 'sigma_min',
        prediction_type: 'sample',
      });
      scheduler.setTimesteps(3);
      const state = scheduler.createState();
      const sample = tensor([0.5, -2]);
      expect(scheduler.step(tensor([0.25, 1]), scheduler.timesteps[0], sample, scheduler.cloneState(state)).predOriginalSample).toBeUndefined();
      // The model predicts x0 directly, so the estimate must give back the model output, even
      // when the step writes over the sample in place.
      const result = scheduler.step(tensor([0.25, 1]), scheduler.timesteps[0], sample, state, {
        returnPredOriginalSample: true,
        out: sample,
      });
      // (dpmsolver round-trips through float32 ε, amplified by σ/α ≈ 157 at t = 999.)
      const x0 = Array.from(result.predOriginalSample?.data ?? []);
      expect(x0[0]).toBeCloseTo(0.25, 4);
      expect(x0[1]).toBeCloseTo(1, 4);
    }
  });
});

describe('DPMSolverMultistepScheduler: per-view state', () => {
  it('two views stepped alternately with cloned states equal two independent runs', () => {
    const { dims, init, pattern } = inputsFor('small');
    const views = [init.slice(), pattern.slice()];
    const run = (interleaved: boolean): Float32Array[] => {
      const scheduler = new DPMSolverMultistepScheduler({ prediction_type: 'sample', solver_order: 3 });
      scheduler.setTimesteps(10);
      const base = scheduler.createState();
      const samples = views.map((v) => createTensor('float32', dims, v.slice()));
      if (interleaved) {
        const states = views.map(() => scheduler.cloneState(base));
        scheduler.timesteps.forEach((t, k) => {
          views.forEach((_, v) => {
            const output = syntheticModel('sample', k + v, samples[v].data, pattern, dims);
            samples[v] = scheduler.step(output, t, samples[v], states[v], { out: samples[v] }).prevSample;
          });
        });
      } else {
        views.forEach((_, v) => {
          const state = scheduler.createState();
          scheduler.timesteps.forEach((t, k) => {
            const output = syntheticModel('sample', k + v, samples[v].data, pattern, dims);
            samples[v] = scheduler.step(output, t, samples[v], state).prevSample;
          });
        });
      }
      return samples.map((s) => s.data);
    };
    const independent = run(false);
    const alternating = run(true);
    expect(Array.from(alternating[0])).toEqual(Array.from(independent[0]));
    expect(Array.from(alternating[1])).toEqual(Array.from(independent[1]));
    // The views really differ, so a shared history would have shown.
    expect(Array.from(independent[0])).not.toEqual(Array.from(independent[1]));
  });

  it('cloneState copies the history instead of sharing it', () => {
    const scheduler = new DPMSolverMultistepScheduler();
    scheduler.setTimesteps(3);
    const state = scheduler.createState();
    scheduler.step(tensor([1, 2]), scheduler.timesteps[0], tensor([0.5, 0.5]), state);
    const copy = scheduler.cloneState(state);
    expect(copy.modelOutputs[1]).not.toBe(state.modelOutputs[1]);
    expect(Array.from(copy.modelOutputs[1] ?? [])).toEqual(Array.from(state.modelOutputs[1] ?? []));
    scheduler.step(tensor([3, 4]), scheduler.timesteps[1], tensor([0.5, 0.5]), copy);
    expect(state.stepIndex).toBe(1);
    expect(copy.stepIndex).toBe(2);
  });
});

describe('DPMSolverMultistepScheduler: bad input', () => {
  const configError = (config: Record<string, unknown>, named: string) => {
    const error = thrown(() => new DPMSolverMultistepScheduler(config));
    expect(error.code).toBe('INVALID_SCHEDULER_CONFIG');
    expect(error.message).toContain(named);
  };

  it('rejects invalid configs, naming the value', () => {
    configError({ solver_order: 4 }, '4');
    configError({ solver_order: 0 }, '0');
    configError({ algorithm_type: 'dpm-magic' }, '"dpm-magic"');
    configError({ algorithm_type: 'sde-dpmsolver++' }, '"sde-dpmsolver++"');
    configError({ solver_type: 'rk4' }, '"rk4"');
    configError({ final_sigmas_type: 'one' }, '"one"');
    configError({ algorithm_type: 'dpmsolver' }, '"zero"');
    configError({ prediction_type: 'flow' }, '"flow"');
    configError({ timestep_spacing: 'cosine' }, '"cosine"');
    configError({ variance_type: 'learned_range' }, '"learned_range"');
    configError({ use_karras_sigmas: true, use_lu_lambdas: true }, 'use_lu_lambdas');
    configError({ use_beta_sigmas: true }, 'use_beta_sigmas');
    configError({ lambda_min_clipped: 'low' }, '"low"');
    configError({ thresholding: 'yes' }, '"yes"');
  });

  it('accepts diffusers aliases and JSON nulls', () => {
    const scheduler = new DPMSolverMultistepScheduler({
      algorithm_type: 'deis',
      solver_type: 'bh2',
      variance_type: null,
      lambda_min_clipped: '-inf',
      _class_name: 'DPMSolverMultistepScheduler',
      clip_sample: true,
    });
    expect(scheduler.config.algorithm_type).toBe('dpmsolver++');
    expect(scheduler.config.solver_type).toBe('midpoint');
    expect(scheduler.config.lambda_min_clipped).toBe(Number.NEGATIVE_INFINITY);
  });

  it('rejects bad step counts', () => {
    const scheduler = new DPMSolverMultistepScheduler();
    for (const steps of [0, -1, 2.5, Number.NaN, 1001]) {
      const error = thrown(() => scheduler.setTimesteps(steps));
      expect(error.code).toBe('INVALID_STEPS');
      expect(error.message).toContain(String(steps));
    }
  });

  it('rejects step() before setTimesteps, past the end, and out of order', () => {
    const scheduler = new DPMSolverMultistepScheduler();
    const error = thrown(() => scheduler.createState());
    expect(error.code).toBe('SCHEDULER_STATE');
    const orphan = { stepIndex: 0, modelOutputs: [null, null], lowerOrderNums: 0, sampleDims: null, scheduleId: 0 };
    const early = thrown(() => scheduler.step(tensor([0]), 999, tensor([0]), orphan));
    expect(early.code).toBe('SCHEDULER_STATE');
    expect(early.message).toContain('setTimesteps');
    scheduler.setTimesteps(2);
    const state = scheduler.createState();
    const wrong = thrown(() => scheduler.step(tensor([0]), 123, tensor([0]), state));
    expect(wrong.code).toBe('SCHEDULER_STATE');
    expect(wrong.message).toContain('123');
    for (const t of scheduler.timesteps) scheduler.step(tensor([0]), t, tensor([0]), state);
    const past = thrown(() => scheduler.step(tensor([0]), 0, tensor([0]), state));
    expect(past.code).toBe('SCHEDULER_STATE');
    expect(past.message).toContain('2');
    scheduler.setTimesteps(3);
    const stale = thrown(() => scheduler.step(tensor([0]), scheduler.timesteps[0], tensor([0]), state));
    expect(stale.code).toBe('SCHEDULER_STATE');
  });

  it('rejects shape mismatches', () => {
    const scheduler = new DPMSolverMultistepScheduler();
    scheduler.setTimesteps(3);
    const state = scheduler.createState();
    const error = thrown(() => scheduler.step(tensor([0, 1, 2]), scheduler.timesteps[0], tensor([0, 1]), state));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('[3]');
    const out = thrown(() =>
      scheduler.step(tensor([0, 1]), scheduler.timesteps[0], tensor([0, 1]), state, { out: tensor([0]) }),
    );
    expect(out.code).toBe('SHAPE_MISMATCH');
    scheduler.step(tensor([0, 1]), scheduler.timesteps[0], tensor([0, 1]), state);
    const later = thrown(() => scheduler.step(tensor([0, 1, 2]), scheduler.timesteps[1], tensor([0, 1, 2]), state));
    expect(later.code).toBe('SHAPE_MISMATCH');
  });
});
