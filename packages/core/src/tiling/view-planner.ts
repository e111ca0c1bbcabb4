import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { checkObject } from '../errors/argument-checks.js';

/**
 * How the views of one axis are laid out (spec §4.8.2):
 * - `'snap-to-edge'` — KandiSuperRes: ⌈(S − window)/stride⌉ + 1 windows when S > window, the last
 *   one moved back so that it ends exactly at S. Every pixel is covered (given stride ≤ window).
 *   When S ≤ window the axis gets one view covering the whole side (length S, smaller than the
 *   window).
 * - `'drop-remainder'` — MultiDiffusion paper code and diffusers panorama: ⌊(S − window)/stride⌋ + 1
 *   windows at multiples of the stride. The remainder `(S − window) mod stride` at the far edge is
 *   **not covered by any view**: those pixels never receive a view output, so a blender leaves
 *   them untouched (see {@link MultiDiffusionBlender.resolve}).
 */
export type ViewLayoutRule = 'snap-to-edge' | 'drop-remainder';

/**
 * One rectangular view of a canvas, in the canvas's own units (latent cells or pixels).
 * Rows `top … top + height − 1`, columns `left … left + width − 1`.
 */
export interface TileView {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** Options of {@link planViews}. All sizes are integers in one unit (latent cells or pixels). */
export interface PlanViewsOptions {
  /** Canvas height. */
  height: number;
  /** Canvas width. */
  width: number;
  /** Window height (KandiSuperRes: 1024 px, spec §4.8.1 step 5). */
  windowHeight: number;
  /** Window width. */
  windowWidth: number;
  /** Vertical stride between window starts (KandiSuperRes: 800 px). Must be ≤ `windowHeight`. */
  strideHeight: number;
  /** Horizontal stride between window starts. Must be ≤ `windowWidth`. */
  strideWidth: number;
  /**
   * Layout rule, see {@link ViewLayoutRule}.
   * @default 'snap-to-edge'
   */
  rule?: ViewLayoutRule;
  /**
   * What to do on an axis where the canvas is smaller than the window. `true`: that axis gets one
   * view covering the whole side (as KandiSuperRes and diffusers panorama do). `false`: throw
   * INVALID_TILE_LAYOUT naming the sizes. Never silently clamps in any other way.
   * @default true for 'snap-to-edge' (spec §4.8.2: "S ≤ 1024 → one view covering the whole
   * side"); false for 'drop-remainder' (the paper code would cut views larger than the canvas).
   */
  allowSmallCanvas?: boolean;
}

/** The views of one axis: window starts and the common view length. */
export interface AxisLayout {
  /** Start of each view along the axis, ascending. */
  readonly starts: readonly number[];
  /** Length of every view along the axis (the window, or the whole side when it is smaller). */
  readonly length: number;
}

function layoutError(message: string, hint: string, details: Record<string, unknown>): KandinskyError {
  return kandinskyError('INVALID_TILE_LAYOUT', message, hint, details);
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw layoutError(
      `${name} must be a positive integer, got ${describeValue(value)}.`,
      `Pass a whole number ≥ 1 for ${name}.`,
      { [name]: value },
    );
  }
}

/**
 * Plans the views of one axis of length `size` (spec §4.8.2).
 * Examples (snap-to-edge, window 1024, stride 800): size 4096 → starts 0, 800, 1600, 2400, 3072;
 * 2048 → 0, 800, 1024; ≤ 1024 → [0] with length = size.
 */
export function planAxis(
  axis: 'height' | 'width',
  size: number,
  window: number,
  stride: number,
  rule: ViewLayoutRule = 'snap-to-edge',
  allowSmallCanvas: boolean = rule === 'snap-to-edge',
): AxisLayout {
  const windowName = axis === 'height' ? 'windowHeight' : 'windowWidth';
  const strideName = axis === 'height' ? 'strideHeight' : 'strideWidth';
  assertPositiveInteger(axis, size);
  assertPositiveInteger(windowName, window);
  assertPositiveInteger(strideName, stride);
  if (rule !== 'snap-to-edge' && rule !== 'drop-remainder') {
    throw layoutError(
      `Unknown view layout rule ${describeValue(rule)}.`,
      "Use 'snap-to-edge' (KandiSuperRes) or 'drop-remainder' (MultiDiffusion paper).",
      { rule },
    );
  }
  if (stride > window) {
    // Windows further apart than their size leave uncovered gaps between views.
    throw layoutError(
      `${strideName} ${stride} is larger than ${windowName} ${window}: the views would leave gaps.`,
      `Use a stride ≤ the window (KandiSuperRes uses window 1024, stride 800).`,
      { [strideName]: stride, [windowName]: window },
    );
  }
  if (size <= window) {
    if (size < window && !allowSmallCanvas) {
      throw layoutError(
        `${windowName} ${window} is larger than the canvas ${axis} ${size}.`,
        `Use a window ≤ ${size}, or pass allowSmallCanvas: true to get one view covering the whole ${axis}.`,
        { [windowName]: window, [axis]: size, rule },
      );
    }
    return { starts: [0], length: size };
  }
  if (rule === 'drop-remainder') {
    const count = Math.floor((size - window) / stride) + 1;
    return { starts: Array.from({ length: count }, (_, index) => index * stride), length: window };
  }
  const count = Math.ceil((size - window) / stride) + 1;
  const starts = Array.from({ length: count }, (_, index) => index * stride);
  // (count − 2)·stride < size − window, so the snapped last start never repeats the one before.
  starts[count - 1] = size - window;
  return { starts, length: window };
}

/**
 * Plans the MultiDiffusion views of a `height × width` canvas (spec §4.8.2), row-major: the view
 * index is `row · columns + column`, the same order as the reference implementations.
 * Sizes are unit-agnostic: plan in latent cells and map with {@link scaleView}, or plan in pixels.
 * Every view has the same height and width, so view crops batch into one tensor.
 */
export function planViews(options: PlanViewsOptions): TileView[] {
  checkObject('options', options, 'an options object { height, width, windowHeight, windowWidth, strideHeight, strideWidth }', 'Pass the canvas, window and stride sizes.');
  const rule = options.rule ?? 'snap-to-edge';
  const allowSmallCanvas = options.allowSmallCanvas ?? rule === 'snap-to-edge';
  const rows = planAxis('height', options.height, options.windowHeight, options.strideHeight, rule, allowSmallCanvas);
  const columns = planAxis('width', options.width, options.windowWidth, options.strideWidth, rule, allowSmallCanvas);
  const views: TileView[] = [];
  for (const top of rows.starts) {
    for (const left of columns.starts) {
      views.push({ top, left, height: rows.length, width: columns.length });
    }
  }
  return views;
}

/**
 * Maps a view to another unit by an integer factor, e.g. a latent view to pixels with the MoVQ
 * factor 8 (spec §2.6): `{top: 4, left: 0, height: 128, width: 128}` → `{32, 0, 1024, 1024}`.
 * @param factor pixels per latent cell. @default 8
 */
export function scaleView(view: TileView, factor: number = 8): TileView {
  if (!Number.isInteger(factor) || factor <= 0) {
    throw layoutError(
      `View scale factor must be a positive integer, got ${describeValue(factor)}.`,
      'Pass the number of pixels per latent cell (8 for MoVQ).',
      { factor },
    );
  }
  return {
    top: view.top * factor,
    left: view.left * factor,
    height: view.height * factor,
    width: view.width * factor,
  };
}
