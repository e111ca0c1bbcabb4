import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { assertRgbImage, createRgbImage, type RgbImage } from './rgb-image.js';

/** Options of {@link cannyEdges}. */
export interface CannyOptions {
  /**
   * Gradient magnitude (L1, `|dx| + |dy|` of the 3×3 Sobel) above which a pixel may continue an edge.
   * @default 100 (controlnet_aux `CannyDetector`)
   */
  readonly lowThreshold?: number;
  /**
   * Gradient magnitude above which a pixel starts an edge.
   * @default 200 (controlnet_aux `CannyDetector`)
   */
  readonly highThreshold?: number;
}

// OpenCV canny.cpp: tan(22.5°) in Q15 fixed point.
const CANNY_SHIFT = 15;
const TG22 = Math.trunc(0.4142135623730950488016887242097 * (1 << CANNY_SHIFT) + 0.5);

function checkThreshold(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw kandinskyError('INVALID_ARGUMENT', `Canny ${name} ${describeValue(value)} is not a finite number ≥ 0.`, 'Use e.g. 100 and 200 (the controlnet_aux defaults).', {
      [name]: value,
    });
  }
  return Math.floor(value);
}

/**
 * The integer thresholds OpenCV uses (floored, swapped when given the wrong way round); throws
 * INVALID_ARGUMENT for a negative or non-finite one.
 */
export function resolveCannyThresholds(options: CannyOptions = {}): { low: number; high: number } {
  const low = checkThreshold('lowThreshold', options.lowThreshold ?? 100);
  const high = checkThreshold('highThreshold', options.highThreshold ?? 200);
  return low > high ? { low: high, high: low } : { low, high };
}

/**
 * Canny edges of an RGB image, as OpenCV's `cv2.Canny(image, low, high)` computes them on a
 * 3-channel image (aperture 3, L1 gradient) — the no-model edge detector of the ControlNet
 * pipelines (spec §2.8, controlnet_aux `CannyDetector`): per pixel the Sobel gradient of the
 * channel with the largest `|dx| + |dy|` (replicated border), non-maximum suppression along the
 * gradient direction quantised to 0°/45°/90°/135°, then hysteresis: pixels above `highThreshold`
 * and the pixels above `lowThreshold` 8-connected to them are edges (255), the rest 0. The map
 * is replicated to three channels.
 */
export function cannyEdges(image: RgbImage, options: CannyOptions = {}): RgbImage {
  assertRgbImage(image);
  const { low, high } = resolveCannyThresholds(options);
  const { width, height, data } = image;
  const count = width * height;
  const dxs = new Int32Array(count);
  const dys = new Int32Array(count);
  const magnitude = new Int32Array(count);
  const clampX = (x: number) => (x < 0 ? 0 : x >= width ? width - 1 : x);
  const clampY = (y: number) => (y < 0 ? 0 : y >= height ? height - 1 : y);
  for (let y = 0; y < height; y++) {
    const up = clampY(y - 1) * width;
    const row = y * width;
    const down = clampY(y + 1) * width;
    for (let x = 0; x < width; x++) {
      const left = clampX(x - 1);
      const right = clampX(x + 1);
      let best = -1;
      for (let channel = 0; channel < 3; channel++) {
        const at = (offset: number) => data[3 * offset + channel]!;
        const dx =
          at(up + right) + 2 * at(row + right) + at(down + right) - (at(up + left) + 2 * at(row + left) + at(down + left));
        const dy = at(down + left) + 2 * at(down + x) + at(down + right) - (at(up + left) + 2 * at(up + x) + at(up + right));
        const m = Math.abs(dx) + Math.abs(dy);
        // Strictly greater: on a tie the first channel's gradient is kept, as OpenCV does.
        if (m > best) {
          best = m;
          dxs[row + x] = dx;
          dys[row + x] = dy;
        }
      }
      magnitude[row + x] = best;
    }
  }
  // 0: candidate (weak), 1: not an edge, 2: edge. Outside the image counts as 0 magnitude.
  const map = new Uint8Array(count).fill(1);
  const stack: number[] = [];
  const mag = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : magnitude[y * width + x]!);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = y * width + x;
      const m = magnitude[index]!;
      if (m <= low) continue;
      const dx = dxs[index]!;
      const dy = dys[index]!;
      const xs = Math.abs(dx);
      const ys = Math.abs(dy) * (1 << CANNY_SHIFT);
      const tg22x = xs * TG22;
      let maximum: boolean;
      if (ys < tg22x) {
        maximum = m > mag(x - 1, y) && m >= mag(x + 1, y);
      } else {
        const tg67x = tg22x + xs * (1 << (CANNY_SHIFT + 1));
        if (ys > tg67x) {
          maximum = m > mag(x, y - 1) && m >= mag(x, y + 1);
        } else {
          const s = (dx < 0) !== (dy < 0) ? -1 : 1;
          maximum = m > mag(x - s, y - 1) && m > mag(x + s, y + 1);
        }
      }
      if (!maximum) continue;
      if (m > high) {
        map[index] = 2;
        stack.push(index);
      } else {
        map[index] = 0;
      }
    }
  }
  while (stack.length > 0) {
    const index = stack.pop()!;
    const x = index % width;
    const y = (index - x) / width;
    for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
      for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
        const neighbour = ny * width + nx;
        if (map[neighbour] === 0) {
          map[neighbour] = 2;
          stack.push(neighbour);
        }
      }
    }
  }
  const edges = createRgbImage(width, height);
  for (let i = 0; i < count; i++) {
    if (map[i] === 2) edges.data.fill(255, 3 * i, 3 * i + 3);
  }
  return edges;
}

