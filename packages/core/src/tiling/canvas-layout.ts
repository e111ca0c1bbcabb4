import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import type { TileView } from './view-planner.js';

/**
 * The shape facts of a MultiDiffusion canvas `[C, H, W]` or `[B, C, H, W]`: the leading dims are
 * flattened into `planes` (B·C) so loops run over planes of `height × width`.
 */
export interface CanvasLayout {
  /** Batch size B (1 for a `[C, H, W]` canvas). */
  readonly batch: number;
  /** Channels C. */
  readonly channels: number;
  /** B · C. */
  readonly planes: number;
  readonly height: number;
  readonly width: number;
}

/** Reads and checks canvas dims; throws SHAPE_MISMATCH naming `what` on anything else. */
export function canvasLayout(what: string, dims: readonly number[]): CanvasLayout {
  const valid =
    Array.isArray(dims) &&
    (dims.length === 3 || dims.length === 4) && dims.every((dim) => Number.isInteger(dim) && dim > 0);
  if (!valid) {
    throw shapeMismatch(
      `${what} has shape ${describeValue(dims)}, expected [C, H, W] or [B, C, H, W] with positive sizes.`,
      'Pass an image or latent canvas tensor with 3 or 4 dimensions.',
      { dims },
    );
  }
  const batch = dims.length === 4 ? dims[0]! : 1;
  const channels = dims[dims.length - 3]!;
  return {
    batch,
    channels,
    planes: batch * channels,
    height: dims[dims.length - 2]!,
    width: dims[dims.length - 1]!,
  };
}

/**
 * Checks that `views` is non-empty, that all views share one size, and that each lies inside a
 * `height × width` canvas. Returns the common view size.
 */
export function assertViewsFit(
  views: readonly TileView[],
  height: number,
  width: number,
): { height: number; width: number } {
  if (views.length === 0) {
    throw kandinskyError(
      'INVALID_TILE_LAYOUT',
      'The list of views is empty.',
      'Pass at least one view (planViews always returns one or more).',
    );
  }
  const first = views[0]!;
  for (let index = 0; index < views.length; index++) {
    const view = views[index]!;
    const inside =
      Number.isInteger(view.top) &&
      Number.isInteger(view.left) &&
      view.top >= 0 &&
      view.left >= 0 &&
      view.top + view.height <= height &&
      view.left + view.width <= width;
    if (view.height !== first.height || view.width !== first.width) {
      throw kandinskyError(
        'INVALID_TILE_LAYOUT',
        `View ${index} ${describeValue(view)} has a different size than view 0 ${describeValue(first)}.`,
        'Views batched together must share one height and width; planViews guarantees it.',
        { index, view, first },
      );
    }
    if (!inside || !(view.height > 0) || !(view.width > 0)) {
      throw kandinskyError(
        'INVALID_TILE_LAYOUT',
        `View ${index} ${describeValue(view)} does not lie inside the ${height}×${width} canvas.`,
        'Plan the views with planViews for this canvas size.',
        { index, view, height, width },
      );
    }
  }
  return { height: first.height, width: first.width };
}
