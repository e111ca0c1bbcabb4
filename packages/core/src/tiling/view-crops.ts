import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { assertViewsFit, canvasLayout } from './canvas-layout.js';
import type { TileView } from './view-planner.js';

/**
 * Copies the crops of `views` out of `canvas` into one batch `[N·B, C, h, w]`, view-major (view 0's
 * B items first), the layout a UNet call on a view batch expects (spec §4.8.1 step 6).
 * Rows are copied with `subarray`/`set`; nothing is allocated per element.
 *
 * @param canvas `[C, H, W]` or `[B, C, H, W]` float32.
 * @param views views of equal size inside the canvas (see `planViews`).
 * @param out preallocated `[N·B, C, h, w]` float32 buffer to fill. @default a new tensor
 */
export function extractViews(
  canvas: Tensor<'float32'>,
  views: readonly TileView[],
  out?: Tensor<'float32'>,
): Tensor<'float32'> {
  assertDtype('canvas', canvas, 'float32');
  const layout = canvasLayout('canvas', canvas.dims);
  const size = assertViewsFit(views, layout.height, layout.width);
  const dims = [views.length * layout.batch, layout.channels, size.height, size.width];
  const target = out ?? createTensor('float32', dims);
  assertDtype('out', target, 'float32');
  assertDims('out', target, dims);
  const source = canvas.data;
  const destination = target.data;
  const planeSize = layout.height * layout.width;
  const viewPlaneSize = size.height * size.width;
  for (let viewIndex = 0; viewIndex < views.length; viewIndex++) {
    const view = views[viewIndex]!;
    for (let plane = 0; plane < layout.planes; plane++) {
      let sourceOffset = plane * planeSize + view.top * layout.width + view.left;
      let targetOffset = (viewIndex * layout.planes + plane) * viewPlaneSize;
      for (let row = 0; row < size.height; row++) {
        destination.set(source.subarray(sourceOffset, sourceOffset + size.width), targetOffset);
        sourceOffset += layout.width;
        targetOffset += size.width;
      }
    }
  }
  return target;
}

/**
 * A zero-copy `[itemsPerView, C, h, w]` tensor over the items of view `viewIndex` in a view batch
 * `[N·itemsPerView, C, h, w]`, for stepping each view with its own scheduler state.
 *
 * @param itemsPerView the canvas batch size B. @default 1
 */
export function selectView(
  viewBatch: Tensor<'float32'>,
  viewIndex: number,
  itemsPerView: number = 1,
): Tensor<'float32'> {
  assertDtype('viewBatch', viewBatch, 'float32');
  if (viewBatch.dims.length !== 4) {
    throw shapeMismatch(
      `viewBatch has shape ${describeValue(viewBatch.dims)}, expected [N·B, C, h, w].`,
      'Pass the batch produced by extractViews.',
      { dims: viewBatch.dims },
    );
  }
  const [total, channels, height, width] = viewBatch.dims as [number, number, number, number];
  if (!Number.isInteger(itemsPerView) || itemsPerView <= 0 || total % itemsPerView !== 0) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `itemsPerView ${describeValue(itemsPerView)} does not divide the view batch of ${total}.`,
      'Pass the canvas batch size B used by extractViews.',
      { itemsPerView, total },
    );
  }
  const viewCount = total / itemsPerView;
  if (!Number.isInteger(viewIndex) || viewIndex < 0 || viewIndex >= viewCount) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `viewIndex ${describeValue(viewIndex)} is outside the ${viewCount} views of the batch.`,
      `Use an index from 0 to ${viewCount - 1}.`,
      { viewIndex, viewCount },
    );
  }
  const itemSize = channels * height * width * itemsPerView;
  const start = viewIndex * itemSize;
  return createTensor(
    'float32',
    [itemsPerView, channels, height, width],
    viewBatch.data.subarray(start, start + itemSize),
  );
}
