import { describe, expect, test } from 'vitest';
import {
  ignoredConfigKeys,
  readBoolean,
  readEnum,
  readNumber,
  readNumberArray,
  readOptionalNumber,
  readTrainingScheduleConfig,
  rejectEnabled,
} from './scheduler-config.js';

const invalid = (fragment: string) =>
  expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining(fragment) });

describe('readers fill diffusers defaults for absent and null keys', () => {
  test('defaults', () => {
    expect(readNumber({}, 'steps_offset', 0)).toBe(0);
    expect(readNumber({ steps_offset: null }, 'steps_offset', 0)).toBe(0);
    expect(readBoolean({}, 'clip_sample', true)).toBe(true);
    expect(readEnum({}, 'prediction_type', 'epsilon', ['epsilon', 'sample'])).toBe('epsilon');
    expect(readOptionalNumber({ sigma_min: null }, 'sigma_min')).toBeNull();
    expect(readNumberArray({ trained_betas: null }, 'trained_betas', 3)).toBeNull();
    expect(readTrainingScheduleConfig({})).toEqual({
      numTrainTimesteps: 1000,
      betaStart: 0.0001,
      betaEnd: 0.02,
      betaSchedule: 'linear',
      trainedBetas: null,
      rescaleBetasZeroSnr: false,
    });
  });

  test('values present are returned', () => {
    expect(readNumber({ steps_offset: 1 }, 'steps_offset', 0, { integer: true, minimum: 0 })).toBe(1);
    expect(readBoolean({ clip_sample: false }, 'clip_sample', true)).toBe(false);
    expect(readNumberArray({ trained_betas: [0.1, 0.2] }, 'trained_betas', 2)).toEqual([0.1, 0.2]);
  });
});

describe('bad values throw INVALID_SCHEDULER_CONFIG naming key and value', () => {
  test('wrong types', () => {
    expect(() => readNumber({ steps_offset: '1' }, 'steps_offset', 0)).toThrow(invalid('"1"'));
    expect(() => readBoolean({ clip_sample: 1 }, 'clip_sample', true)).toThrow(invalid('clip_sample'));
    expect(() => readEnum({ prediction_type: 3 }, 'prediction_type', 'epsilon', ['epsilon'])).toThrow(invalid('3'));
    expect(() => readNumberArray({ trained_betas: [0.1, 'x'] }, 'trained_betas', 2)).toThrow(invalid('trained_betas'));
  });

  test('out of range and non-integer', () => {
    expect(() => readNumber({ steps_offset: -1 }, 'steps_offset', 0, { integer: true, minimum: 0 })).toThrow(invalid('-1'));
    expect(() => readNumber({ steps_offset: 0.5 }, 'steps_offset', 0, { integer: true })).toThrow(invalid('0.5'));
    expect(() => readNumber({ ratio: 0 }, 'ratio', 0.995, { greaterThan: 0 })).toThrow(invalid('> 0'));
    expect(() => readTrainingScheduleConfig({ num_train_timesteps: -1000 })).toThrow(invalid('-1000'));
    expect(() => readTrainingScheduleConfig({ beta_end: Number.NaN })).toThrow(invalid('NaN'));
  });

  test('unknown enum values, and known-but-unimplemented ones get their own message', () => {
    expect(() => readTrainingScheduleConfig({ beta_schedule: 'sigmoid' })).toThrow(invalid('"sigmoid"'));
    expect(() => readEnum({ interpolation_type: 'log_linear' }, 'interpolation_type', 'linear', ['linear'], ['linear', 'log_linear'])).toThrow(
      invalid('does not implement'),
    );
    expect(() => rejectEnabled({ use_beta_sigmas: true }, ['use_beta_sigmas'])).toThrow(invalid('use_beta_sigmas'));
  });
});

test('ignoredConfigKeys skips metadata and known keys', () => {
  expect(
    ignoredConfigKeys({ _class_name: 'DDPMScheduler', _diffusers_version: '0.21', clip_sample: true, set_alpha_to_one: false }, [
      'clip_sample',
    ]),
  ).toEqual(['set_alpha_to_one']);
});
