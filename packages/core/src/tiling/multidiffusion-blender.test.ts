import { describe, expect, it } from 'vitest';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { MultiDiffusionBlender, type BlendAccumulator } from './multidiffusion-blender.js';
import { extractViews } from './view-crops.js';
import { planViews, type TileView, type ViewLayoutRule } from './view-planner.js';
import { featheredViewWeights } from './view-weights.js';
import { expectKandinskyError, randomData, randomInteger, seededRandom } from './test-support/tiling-test-helpers.js';

/** A per-pixel "denoiser": float32 in, float32 out. */
function perPixel(input: Float32Array): Float32Array {
  const output = new Float32Array(input.length);
  for (let index = 0; index < input.length; index++) {
    const x = input[index]!;
    output[index] = 0.7 * x + 0.1 * x * x;
  }
  return output;
}

/** 3×3 box blur with zero padding over each [h, w] plane of a flat [planes, h, w] buffer. */
function blur(input: Float32Array, planes: number, height: number, width: number): Float32Array {
  const output = new Float32Array(input.length);
  for (let plane = 0; plane < planes; plane++)
    for (let row = 0; row < height; row++)
      for (let column = 0; column < width; column++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const y = row + dy;
            const x = column + dx;
            if (y >= 0 && y < height && x >= 0 && x < width) sum += input[(plane * height + y) * width + x]!;
          }
        output[(plane * height + row) * width + column] = sum / 9;
      }
  return output;
}

interface RandomCase {
  dims: number[];
  height: number;
  width: number;
  planes: number;
  views: TileView[];
  window: { height: number; width: number };
  stride: { height: number; width: number };
}

function randomCase(random: () => number, rule: ViewLayoutRule = 'snap-to-edge'): RandomCase {
  const batch = randomInteger(random, 1, 2);
  const channels = randomInteger(random, 1, 3);
  const height = randomInteger(random, 4, 40);
  const width = randomInteger(random, 4, 40);
  const windowHeight = randomInteger(random, 2, rule === 'drop-remainder' ? height : 30);
  const windowWidth = randomInteger(random, 2, rule === 'drop-remainder' ? width : 30);
  const strideHeight = randomInteger(random, 1, windowHeight);
  const strideWidth = randomInteger(random, 1, windowWidth);
  const views = planViews({ height, width, windowHeight, windowWidth, strideHeight, strideWidth, rule });
  const dims = batch === 1 && random() < 0.5 ? [channels, height, width] : [batch, channels, height, width];
  return {
    dims,
    height,
    width,
    planes: batch * channels,
    views,
    window: { height: views[0]!.height, width: views[0]!.width },
    stride: { height: strideHeight, width: strideWidth },
  };
}

/** Runs `denoise` on view batches of at most `batchSize` views and blends them into `out`. */
function tiled(
  canvas: Tensor<'float32'>,
  views: readonly TileView[],
  denoise: (crops: Tensor<'float32'>) => Float32Array,
  options: { weights?: Float32Array; batchSize?: number; accumulator?: BlendAccumulator; out?: Tensor<'float32'> } = {},
): Tensor<'float32'> {
  const blender = new MultiDiffusionBlender({ dims: canvas.dims, accumulator: options.accumulator });
  blender.reset();
  const batchSize = options.batchSize ?? views.length;
  for (let start = 0; start < views.length; start += batchSize) {
    const group = views.slice(start, start + batchSize);
    const crops = extractViews(canvas, group);
    blender.accumulate(createTensor('float32', crops.dims, denoise(crops)), group, options.weights);
  }
  return blender.resolve(options.out ?? createTensor('float32', canvas.dims));
}

function countDifferences(a: Float32Array, b: Float32Array): number {
  let differences = 0;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) differences++;
  return differences;
}

describe('MultiDiffusionBlender: a per-pixel denoiser gives identical results tiled and untiled', () => {
  // Any layout and weights need the float64 accumulator for bit-identity; the float32 default is
  // exact for the KandiSuperRes layout (≤ 2 views overlapping per axis) with uniform weights.
  for (const weighting of ['uniform', 'feathered'] as const) {
    it(`${weighting} weights, random canvases/windows/strides/batches (seeded)`, () => {
      const random = seededRandom(weighting === 'uniform' ? 101 : 202);
      const failures: object[] = [];
      for (let trial = 0; trial < 150; trial++) {
        const testCase = randomCase(random);
        const canvas = createTensor('float32', testCase.dims, randomData(random, testCase.planes * testCase.height * testCase.width));
        const weights =
          weighting === 'feathered'
            ? featheredViewWeights({
                ...testCase.window,
                rampHeight: randomInteger(random, 0, testCase.window.height),
                rampWidth: randomInteger(random, 0, testCase.window.width),
              })
            : undefined;
        const result = tiled(canvas, testCase.views, (crops) => perPixel(crops.data), {
          weights,
          batchSize: randomInteger(random, 1, testCase.views.length),
          accumulator: 'float64',
        });
        const differences = countDifferences(result.data, perPixel(canvas.data));
        if (differences !== 0) failures.push({ trial, ...testCase, differences });
      }
      expect(failures, 'trials where tiled and untiled differ').toEqual([]);
    });
  }

  it('KandiSuperRes layout scaled by 1/4: 3×512×1024 canvas, 256/200 windows in batches of 15', () => {
    const random = seededRandom(5);
    const canvas = createTensor('float32', [1, 3, 512, 1024], randomData(random, 3 * 512 * 1024));
    const views = planViews({ height: 512, width: 1024, windowHeight: 256, windowWidth: 256, strideHeight: 200, strideWidth: 200 });
    expect(views).toHaveLength(15); // 0, 200, 256 × 0, 200, 400, 600, 768
    for (const accumulator of ['float32', 'float64'] as const) {
      const result = tiled(canvas, views, (crops) => perPixel(crops.data), { batchSize: 15, accumulator });
      expect(countDifferences(result.data, perPixel(canvas.data))).toBe(0);
    }
  });

  it('float32 accumulator on any layout and feathered weights: within a few float32 ulps', () => {
    const random = seededRandom(303);
    const failures: object[] = [];
    for (let trial = 0; trial < 50; trial++) {
      const testCase = randomCase(random);
      const canvas = createTensor('float32', testCase.dims, randomData(random, testCase.planes * testCase.height * testCase.width));
      const weights = featheredViewWeights({ ...testCase.window, rampHeight: 2, rampWidth: 3 });
      const result = tiled(canvas, testCase.views, (crops) => perPixel(crops.data), { weights, accumulator: 'float32' });
      const expected = perPixel(canvas.data);
      for (let index = 0; index < expected.length; index++) {
        const tolerance = 8 * 2 ** -23 * Math.max(Math.abs(expected[index]!), 2 ** -10);
        if (Math.abs(result.data[index]! - expected[index]!) > tolerance) {
          failures.push({ trial, index, got: result.data[index], expected: expected[index] });
        }
      }
    }
    expect(failures, 'pixels beyond 8 float32 ulps').toEqual([]);
  });
});

describe('MultiDiffusionBlender: a translation-equivariant denoiser (3×3 blur, zero padding)', () => {
  it('matches untiled away from the interior view borders, and differs on some of them', () => {
    const random = seededRandom(404);
    let borderDifferences = 0;
    for (let trial = 0; trial < 60; trial++) {
      const testCase = randomCase(random);
      const { height, width, planes, views, window } = testCase;
      const canvas = createTensor('float32', testCase.dims, randomData(random, planes * height * width));
      const result = tiled(canvas, views, (crops) => blur(crops.data, crops.dims[0]! * crops.dims[1]!, window.height, window.width), {
        accumulator: 'float64',
      });
      const expected = blur(canvas.data, planes, height, width);
      // A pixel is "away from the borders" when no covering view has it on an edge that is not
      // also a canvas edge (where both computations pad with zeros).
      const nearBorder = new Uint8Array(height * width);
      for (const view of views)
        for (let row = view.top; row < view.top + view.height; row++)
          for (let column = view.left; column < view.left + view.width; column++) {
            const onEdge =
              (row === view.top && row > 0) ||
              (row === view.top + view.height - 1 && row < height - 1) ||
              (column === view.left && column > 0) ||
              (column === view.left + view.width - 1 && column < width - 1);
            if (onEdge) nearBorder[row * width + column] = 1;
          }
      for (let plane = 0; plane < planes; plane++)
        for (let pixel = 0; pixel < height * width; pixel++) {
          const index = plane * height * width + pixel;
          if (nearBorder[pixel] === 0 && result.data[index] !== expected[index]) {
            expect({ trial, plane, pixel, got: result.data[index], expected: expected[index] }).toBe('equal');
          }
          if (nearBorder[pixel] === 1 && result.data[index] !== expected[index]) borderDifferences++;
        }
    }
    // The blur does see the view borders, so the check above is not vacuous.
    expect(borderDifferences).toBeGreaterThan(1000);
  });
});

describe('MultiDiffusionBlender: coverage and resolve', () => {
  it('drop-remainder leaves uncovered pixels as they are in out (count 0)', () => {
    const canvas = createTensor('float32', [1, 1, 10], Float32Array.from({ length: 10 }, (_, index) => index + 1));
    const views = planViews({ height: 1, width: 10, windowHeight: 1, windowWidth: 4, strideHeight: 1, strideWidth: 3, rule: 'drop-remainder' });
    expect(views.map((view) => view.left)).toEqual([0, 3, 6]); // columns 0…9 covered, none dropped
    const short = planViews({ height: 1, width: 11, windowHeight: 1, windowWidth: 4, strideHeight: 1, strideWidth: 3, rule: 'drop-remainder' });
    expect(short.map((view) => view.left)).toEqual([0, 3, 6]); // column 10 is dropped
    const wide = createTensor('float32', [1, 1, 11], Float32Array.from({ length: 11 }, (_, index) => index + 1));
    const blender = new MultiDiffusionBlender({ dims: wide.dims });
    blender.reset();
    blender.accumulate(createTensor('float32', [3, 1, 1, 4], new Float32Array(12).fill(-1)), short);
    blender.resolve(wide);
    expect(Array.from(wide.data)).toEqual([-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 11]);
    expect(blender.count[10]).toBe(0);
    expect(Array.from(blender.count)).toEqual([1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 0]);
    expect(canvas.data[0]).toBe(1);
  });

  it('averages overlapping views (uniform) and weights them (feathered)', () => {
    const views = [
      { top: 0, left: 0, height: 1, width: 3 },
      { top: 0, left: 1, height: 1, width: 3 },
    ];
    const outputs = createTensor('float32', [2, 1, 1, 3], Float32Array.of(1, 2, 3, 10, 20, 30));
    const blender = new MultiDiffusionBlender({ dims: [1, 1, 4] });
    blender.reset();
    blender.accumulate(outputs, views);
    expect(Array.from(blender.resolve(createTensor('float32', [1, 1, 4])).data)).toEqual([1, 6, 11.5, 30]);
    blender.reset();
    blender.accumulate(outputs, views, Float32Array.of(1, 1, 0.25));
    // pixel 2: (3·0.25 + 20·1)/1.25 = 16.6; pixel 1: (2·1 + 10·1)/2 = 6
    expect(Array.from(blender.resolve(createTensor('float32', [1, 1, 4])).data)).toEqual([1, 6, Math.fround(16.6), 30]);
  });

  it('mixes uniform and weighted batches, and a weighted blend after reset sees no stale counts', () => {
    const views = [
      { top: 0, left: 0, height: 1, width: 2 },
      { top: 0, left: 1, height: 1, width: 2 },
    ];
    const blender = new MultiDiffusionBlender({ dims: [1, 1, 4] });
    blender.reset();
    blender.accumulate(createTensor('float32', [1, 1, 1, 2], Float32Array.of(2, 4)), [views[0]!]);
    blender.accumulate(createTensor('float32', [1, 1, 1, 2], Float32Array.of(8, 16)), [views[1]!], Float32Array.of(0.5, 2));
    // pixel 1: (4·1 + 8·0.5)/1.5; pixel 2: 16·2/2; pixel 3 uncovered
    expect(Array.from(blender.count)).toEqual([1, 1.5, 2, 0]);
    const out = createTensor('float32', [1, 1, 4], Float32Array.of(-1, -1, -1, -7));
    expect(Array.from(blender.resolve(out).data)).toEqual([2, Math.fround(8 / 1.5), 16, -7]);
    blender.reset();
    blender.accumulate(createTensor('float32', [1, 1, 1, 2], Float32Array.of(3, 5)), [{ top: 0, left: 2, height: 1, width: 2 }], Float32Array.of(1, 1));
    expect(Array.from(blender.count)).toEqual([0, 0, 1, 1]);
    expect(Array.from(blender.resolve(createTensor('float32', [1, 1, 4], Float32Array.of(9, 9, 9, 9))).data)).toEqual([9, 9, 3, 5]);
  });

  it('reset starts a fresh blend (no leftovers from the previous step)', () => {
    const view = [{ top: 0, left: 0, height: 1, width: 2 }];
    const blender = new MultiDiffusionBlender({ dims: [1, 1, 2] });
    blender.reset();
    blender.accumulate(createTensor('float32', [1, 1, 1, 2], Float32Array.of(5, 5)), view);
    blender.reset();
    blender.accumulate(createTensor('float32', [1, 1, 1, 2], Float32Array.of(1, 3)), view);
    expect(Array.from(blender.resolve(createTensor('float32', [1, 1, 2])).data)).toEqual([1, 3]);
  });

  it('feathered weights are > 0, ramp linearly, and are 1 inside', () => {
    const weights = featheredViewWeights({ height: 1, width: 8, rampHeight: 0, rampWidth: 3 });
    expect(Array.from(weights)).toEqual([0.25, 0.5, 0.75, 1, 1, 0.75, 0.5, 0.25]);
  });

  it('rejects bad inputs, naming the value', () => {
    const blender = new MultiDiffusionBlender({ dims: [1, 4, 4] });
    const views = [{ top: 0, left: 0, height: 2, width: 2 }];
    expectKandinskyError(() => blender.accumulate(createTensor('float32', [2, 1, 2, 2]), views), 'SHAPE_MISMATCH', '[2,1,2,2]');
    expectKandinskyError(() => blender.accumulate(createTensor('float32', [1, 1, 2, 2]), views, new Float32Array(3).fill(1)), 'SHAPE_MISMATCH', '3 entries');
    expectKandinskyError(
      () => blender.accumulate(createTensor('float32', [1, 1, 2, 2]), views, Float32Array.of(1, 0, 1, 1)),
      'INVALID_ARGUMENT',
      'View weight 0 at index 1',
    );
    expectKandinskyError(
      () => blender.accumulate(createTensor('float32', [1, 1, 2, 2]), views, Float32Array.of(1, 1, Number.NaN, 1)),
      'INVALID_ARGUMENT',
      'NaN',
    );
    expectKandinskyError(() => blender.resolve(createTensor('float32', [1, 4, 5])), 'SHAPE_MISMATCH', '[1,4,5]');
    expectKandinskyError(() => new MultiDiffusionBlender({ dims: [4, 4] }), 'SHAPE_MISMATCH', '[4,4]');
    expectKandinskyError(() => new MultiDiffusionBlender({ dims: [1, 4, 4], accumulator: 'float16' as BlendAccumulator }), 'INVALID_ARGUMENT', '"float16"');
    expectKandinskyError(() => featheredViewWeights({ height: 4, width: 4, rampHeight: -1, rampWidth: 0 }), 'INVALID_TILE_LAYOUT', 'rampHeight', '-1');
  });
});
