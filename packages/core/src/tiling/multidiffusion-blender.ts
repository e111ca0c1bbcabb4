import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDims, assertDtype, type Tensor } from '../tensor/tensor.js';
import { assertViewsFit, canvasLayout, type CanvasLayout } from './canvas-layout.js';
import type { TileView } from './view-planner.js';
import { checkObject } from '../errors/argument-checks.js';

/**
 * Storage of the blender's running sums.
 * - `'float32'`: 4 bytes per canvas element (a 4K RGB canvas: 192 MiB). With uniform weights and
 *   at most two views overlapping per axis (stride ≥ window/2, as KandiSuperRes's 1024/800) the
 *   result is still bit-identical to an untiled run: sums of 1, 2 or 4 equal float32 values are
 *   exact. Three or more overlaps per axis, or feathered weights, round to within a few ulps.
 * - `'float64'`: 8 bytes per element; sums of up to 2²⁹ float32 values with integer weights are
 *   exact, so a per-pixel denoiser gives bit-identical results for any layout and weights.
 */
export type BlendAccumulator = 'float64' | 'float32';

/** Options of {@link MultiDiffusionBlender}. */
export interface MultiDiffusionBlenderOptions {
  /** Canvas dims `[C, H, W]` or `[B, C, H, W]` (latent cells or pixels). */
  dims: readonly number[];
  /**
   * Storage of the running sums, see {@link BlendAccumulator}.
   * @default 'float32'
   */
  accumulator?: BlendAccumulator;
}

/** One run of columns of a view row: `[start, end)` relative to the view, already written or not. */
interface Segment {
  readonly start: number;
  readonly end: number;
  /** True when an earlier view since `reset` already wrote these cells. */
  readonly touched: boolean;
}

/** Rows `[start, end)` of a view (relative) that share one segment pattern. */
interface Band {
  readonly start: number;
  readonly end: number;
  readonly segments: readonly Segment[];
}

type Sums = Float64Array | Float32Array;

/**
 * MultiDiffusion value/count blending (spec §4.8.1 step 6, §4.8.2): each view output is added
 * into `value`, its weight into `count`, and {@link resolve} writes `value / count` where
 * count > 0. The weight map is per view pixel and shared by all planes (batch × channels), so
 * `count` has one entry per canvas pixel.
 *
 * Speed (docs/benchmarks.md): where a view is the first to write a cell since {@link reset}, its
 * rows are copied with `set` instead of added, so only overlaps pay for arithmetic and `reset`
 * need not clear `value`. With uniform weights the per-pixel count is implied by the view
 * rectangles, so it is not written during accumulation and `resolve` handles each run of constant
 * coverage in bulk. A new blender starts in the reset state.
 *
 * ```ts
 * const blender = new MultiDiffusionBlender({ dims: [1, 3, H, W] });
 * blender.reset();
 * blender.accumulate(steppedViews, views);      // [N, 3, h, w], any number of calls
 * blender.resolve(canvas);                      // canvas = value / count where covered
 * ```
 */
export class MultiDiffusionBlender {
  /** Canvas dims as given. */
  readonly dims: readonly number[];
  /** Canvas shape facts. */
  readonly layout: CanvasLayout;
  /**
   * Weighted sums, `[planes, H, W]` flattened. Entries whose pixel has count 0 are unspecified
   * (they may hold values from before the last `reset`).
   */
  readonly value: Sums;
  private readonly counts: Sums;
  private readonly accumulated: TileView[] = [];
  /**
   * True once a weighted batch was accumulated since `reset`. Until then the counts are implied by
   * the view rectangles and `counts` is not maintained per pixel (it is filled on demand).
   */
  private weighted = false;

  constructor(options: MultiDiffusionBlenderOptions) {
    checkObject('options', options, 'an options object { dims }', 'Pass e.g. { dims: [1, 4, 128, 128] } (the canvas latent).');
    const accumulator = options.accumulator ?? 'float32';
    if (accumulator !== 'float64' && accumulator !== 'float32') {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `Unknown blend accumulator ${describeValue(accumulator)}.`,
        "Use 'float32' (default, half the memory) or 'float64' (exact for any layout).",
        { accumulator },
      );
    }
    this.layout = canvasLayout('blender canvas', options.dims);
    this.dims = [...options.dims];
    const pixels = this.layout.height * this.layout.width;
    const Storage = accumulator === 'float64' ? Float64Array : Float32Array;
    this.value = new Storage(this.layout.planes * pixels);
    this.counts = new Storage(pixels);
  }

  /**
   * Sum of the weights that reached each pixel, `[H, W]`; 0 where no view has been accumulated.
   * With uniform weights it is derived from the view rectangles on access (the hot path never
   * writes it), so read it after accumulating, not in a loop.
   */
  get count(): Sums {
    if (!this.weighted) this.fillCountsFromViews();
    return this.counts;
  }

  /** Starts a new blend (one per denoising step): every pixel's count becomes 0. */
  reset(): void {
    this.accumulated.length = 0;
    this.weighted = false;
  }

  /**
   * Adds a batch of view outputs.
   *
   * @param viewOutputs `[N·B, C, h, w]` float32, view-major (the layout of `extractViews`).
   * @param views the N views the outputs belong to, all of size h × w, inside the canvas.
   * @param weights per view pixel weight map of length h·w, every entry finite and > 0
   *   (e.g. `featheredViewWeights`). @default uniform weight 1 (the reference behaviour)
   */
  accumulate(viewOutputs: Tensor<'float32'>, views: readonly TileView[], weights?: Float32Array): void {
    assertDtype('viewOutputs', viewOutputs, 'float32');
    const { layout } = this;
    const size = assertViewsFit(views, layout.height, layout.width);
    assertDims('viewOutputs', viewOutputs, [views.length * layout.batch, layout.channels, size.height, size.width]);
    if (weights !== undefined) {
      assertWeights(weights, size.height * size.width);
      if (!this.weighted) {
        // From here on counts are per pixel: materialise those of the uniform views so far.
        this.fillCountsFromViews();
        this.weighted = true;
      }
    }
    for (let viewIndex = 0; viewIndex < views.length; viewIndex++) {
      const view = views[viewIndex]!;
      this.accumulateView(viewOutputs.data, viewIndex * layout.planes * size.height * size.width, view, weights);
      this.accumulated.push(view);
    }
  }

  /**
   * Writes `value / count` into `out` wherever count > 0. Pixels no view reached (count = 0, only
   * possible with the 'drop-remainder' layout or a partial view list) are left as they are in
   * `out`: pass the canvas itself to keep its previous values there, or a fresh zero tensor to
   * get zeros. Returns `out`.
   *
   * @param out float32 tensor with the canvas dims.
   */
  resolve(out: Tensor<'float32'>): Tensor<'float32'> {
    assertDtype('out', out, 'float32');
    assertDims('out', out, this.dims);
    if (!this.weighted) {
      this.resolveUniform(out.data);
      return out;
    }
    const { value, counts: count } = this;
    const target = out.data;
    const pixels = this.layout.height * this.layout.width;
    for (let plane = 0; plane < this.layout.planes; plane++) {
      const offset = plane * pixels;
      for (let pixel = 0; pixel < pixels; pixel++) {
        const weight = count[pixel]!;
        if (weight > 0) target[offset + pixel] = value[offset + pixel]! / weight;
      }
    }
    return out;
  }

  /**
   * Uniform weights: the count is constant on rectangles bounded by view edges, so each row splits
   * into runs resolved in bulk — count 1 is a plain copy, a power of two an exact multiply by its
   * reciprocal, anything else a division. Results equal the per-pixel `value / count`.
   */
  private resolveUniform(target: Float32Array): void {
    const { value } = this;
    const { planes, height, width } = this.layout;
    const planeSize = height * width;
    const whole: TileView = { top: 0, left: 0, height, width };
    for (const band of countBands(this.accumulated, whole)) {
      for (let row = band.start; row < band.end; row++) {
        const rowOffset = row * width;
        for (let plane = 0; plane < planes; plane++) {
          const offset = plane * planeSize + rowOffset;
          for (const { start, end, count } of band.runs) {
            if (count === 0) continue;
            if (count === 1) {
              target.set(value.subarray(offset + start, offset + end), offset + start);
            } else if ((count & (count - 1)) === 0) {
              const reciprocal = 1 / count;
              for (let index = offset + start; index < offset + end; index++) target[index] = value[index]! * reciprocal;
            } else {
              for (let index = offset + start; index < offset + end; index++) target[index] = value[index]! / count;
            }
          }
        }
      }
    }
  }

  /** Writes the uniform-weight counts implied by the accumulated views into `counts`. */
  private fillCountsFromViews(): void {
    const { width, height } = this.layout;
    for (const band of countBands(this.accumulated, { top: 0, left: 0, height, width })) {
      for (let row = band.start; row < band.end; row++) {
        for (const run of band.runs) this.counts.fill(run.count, row * width + run.start, row * width + run.end);
      }
    }
  }

  private accumulateView(source: Float32Array, sourceStart: number, view: TileView, weights?: Float32Array): void {
    const { value, counts: count, weighted } = this;
    const { planes, height, width } = this.layout;
    const planeSize = height * width;
    const viewPlaneSize = view.height * view.width;
    for (const band of coverageBands(this.accumulated, view)) {
      for (let row = band.start; row < band.end; row++) {
        const canvasRow = (view.top + row) * width + view.left;
        const viewRow = row * view.width;
        for (const { start, end, touched } of weighted ? band.segments : []) {
          const length = end - start;
          if (weights === undefined) {
            if (touched) addConstant(count, canvasRow + start, 1, length);
            else count.fill(1, canvasRow + start, canvasRow + end);
          } else if (touched) {
            add(count, canvasRow + start, weights, viewRow + start, length);
          } else {
            count.set(weights.subarray(viewRow + start, viewRow + end), canvasRow + start);
          }
        }
        for (let plane = 0; plane < planes; plane++) {
          const target = plane * planeSize + canvasRow;
          const from = sourceStart + plane * viewPlaneSize + viewRow;
          for (const { start, end, touched } of band.segments) {
            const length = end - start;
            if (weights === undefined) {
              if (touched) add(value, target + start, source, from + start, length);
              else value.set(source.subarray(from + start, from + end), target + start);
            } else if (touched) {
              multiplyAdd(value, target + start, source, from + start, weights, viewRow + start, length);
            } else {
              multiply(value, target + start, source, from + start, weights, viewRow + start, length);
            }
          }
        }
      }
    }
  }
}

function assertWeights(weights: Float32Array, expected: number): void {
  if (!(weights instanceof Float32Array) || weights.length !== expected) {
    throw shapeMismatch(
      `View weights have ${describeValue((weights as Float32Array)?.length)} entries, expected ${expected} (h·w of the views).`,
      'Pass a Float32Array weight map of the view size, e.g. from featheredViewWeights.',
      { length: (weights as Float32Array)?.length, expected },
    );
  }
  for (let index = 0; index < weights.length; index++) {
    const weight = weights[index]!;
    if (!(weight > 0) || weight === Infinity) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `View weight ${describeValue(weight)} at index ${index} is not a finite number > 0.`,
        'Every view pixel needs a positive finite weight, or it would be dropped from the blend.',
        { index, weight },
      );
    }
  }
}

/** Columns `[start, end)` of a row covered by exactly `count` views. */
interface CountRun {
  readonly start: number;
  readonly end: number;
  readonly count: number;
}

/**
 * Splits `area` into row bands whose columns are partitioned into runs covered by a constant
 * number of `views` (absolute coordinates; `area` at the origin).
 */
function countBands(views: readonly TileView[], area: TileView): { start: number; end: number; runs: CountRun[] }[] {
  const cuts = new Set<number>([area.top, area.top + area.height]);
  for (const view of views) {
    cuts.add(view.top);
    cuts.add(view.top + view.height);
  }
  const sortedCuts = [...cuts].sort((a, b) => a - b);
  const bands: { start: number; end: number; runs: CountRun[] }[] = [];
  for (let index = 0; index + 1 < sortedCuts.length; index++) {
    const top = sortedCuts[index]!;
    const bottom = sortedCuts[index + 1]!;
    const events = new Map<number, number>([
      [area.left, 0],
      [area.left + area.width, 0],
    ]);
    for (const view of views) {
      if (view.top <= top && view.top + view.height >= bottom) {
        events.set(view.left, (events.get(view.left) ?? 0) + 1);
        events.set(view.left + view.width, (events.get(view.left + view.width) ?? 0) - 1);
      }
    }
    const positions = [...events.keys()].sort((a, b) => a - b);
    const runs: CountRun[] = [];
    let count = 0;
    for (let position = 0; position + 1 < positions.length; position++) {
      count += events.get(positions[position]!)!;
      runs.push({ start: positions[position]!, end: positions[position + 1]!, count });
    }
    bands.push({ start: top, end: bottom, runs });
  }
  return bands;
}

/**
 * Splits `view` into row bands whose columns are partitioned into runs already written by one of
 * `previous` (touched) or not. Allocation is per band, never per row or element.
 */
function coverageBands(previous: readonly TileView[], view: TileView): Band[] {
  const bottom = view.top + view.height;
  const right = view.left + view.width;
  const overlapping = previous.filter(
    (other) =>
      other.top < bottom && other.top + other.height > view.top && other.left < right && other.left + other.width > view.left,
  );
  const cuts = new Set<number>([view.top, bottom]);
  for (const other of overlapping) {
    if (other.top > view.top) cuts.add(other.top);
    if (other.top + other.height < bottom) cuts.add(other.top + other.height);
  }
  const sortedCuts = [...cuts].sort((a, b) => a - b);
  const bands: Band[] = [];
  for (let index = 0; index + 1 < sortedCuts.length; index++) {
    const bandTop = sortedCuts[index]!;
    const bandBottom = sortedCuts[index + 1]!;
    const intervals = overlapping
      .filter((other) => other.top <= bandTop && other.top + other.height >= bandBottom)
      .map((other) => [Math.max(other.left, view.left) - view.left, Math.min(other.left + other.width, right) - view.left] as const)
      .sort((a, b) => a[0] - b[0]);
    const segments: Segment[] = [];
    let cursor = 0;
    for (const [start, end] of intervals) {
      if (end <= cursor) continue;
      if (start > cursor) {
        segments.push({ start: cursor, end: start, touched: false });
        cursor = start;
      }
      const last = segments[segments.length - 1];
      if (last !== undefined && last.touched && last.end === cursor) {
        segments[segments.length - 1] = { start: last.start, end, touched: true };
      } else {
        segments.push({ start: cursor, end, touched: true });
      }
      cursor = end;
    }
    if (cursor < view.width) segments.push({ start: cursor, end: view.width, touched: false });
    bands.push({ start: bandTop - view.top, end: bandBottom - view.top, segments });
  }
  return bands;
}

// The loops below are unrolled by four: V8 does not vectorise, and unrolling roughly halves the
// per-element overhead of these memory-bound row loops.

function add(target: Sums, targetOffset: number, source: Sums, sourceOffset: number, length: number): void {
  let index = 0;
  for (; index + 3 < length; index += 4) {
    target[targetOffset + index] += source[sourceOffset + index]!;
    target[targetOffset + index + 1] += source[sourceOffset + index + 1]!;
    target[targetOffset + index + 2] += source[sourceOffset + index + 2]!;
    target[targetOffset + index + 3] += source[sourceOffset + index + 3]!;
  }
  for (; index < length; index++) target[targetOffset + index] += source[sourceOffset + index]!;
}

function addConstant(target: Sums, targetOffset: number, constant: number, length: number): void {
  for (let index = 0; index < length; index++) target[targetOffset + index] += constant;
}

function multiply(
  target: Sums,
  targetOffset: number,
  source: Float32Array,
  sourceOffset: number,
  weights: Float32Array,
  weightOffset: number,
  length: number,
): void {
  for (let index = 0; index < length; index++) {
    target[targetOffset + index] = source[sourceOffset + index]! * weights[weightOffset + index]!;
  }
}

function multiplyAdd(
  target: Sums,
  targetOffset: number,
  source: Float32Array,
  sourceOffset: number,
  weights: Float32Array,
  weightOffset: number,
  length: number,
): void {
  for (let index = 0; index < length; index++) {
    target[targetOffset + index] += source[sourceOffset + index]! * weights[weightOffset + index]!;
  }
}
