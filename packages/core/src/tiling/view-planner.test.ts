import { describe, expect, it } from 'vitest';
import { planAxis, planViews, scaleView, type ViewLayoutRule } from './view-planner.js';
import { expectKandinskyError, randomInteger, seededRandom } from './test-support/tiling-test-helpers.js';

const superRes = (size: number) => planAxis('height', size, 1024, 800);

describe('planAxis, snap-to-edge (KandiSuperRes, spec §4.8.2)', () => {
  it('reproduces the spec examples', () => {
    expect(superRes(4096)).toEqual({ starts: [0, 800, 1600, 2400, 3072], length: 1024 });
    expect(superRes(2048)).toEqual({ starts: [0, 800, 1024], length: 1024 });
    expect(superRes(1024)).toEqual({ starts: [0], length: 1024 });
    expect(superRes(1020)).toEqual({ starts: [0], length: 1020 });
    expect(superRes(256)).toEqual({ starts: [0], length: 256 });
  });

  it('gives 25 views of 1024² for a 4096² canvas, with the spec overlaps (224 px, 352 px at the end)', () => {
    const views = planViews({ height: 4096, width: 4096, windowHeight: 1024, windowWidth: 1024, strideHeight: 800, strideWidth: 800 });
    expect(views).toHaveLength(25);
    expect(views.every((view) => view.height === 1024 && view.width === 1024)).toBe(true);
    // row-major like the reference: index = row · 5 + column
    expect(views[1]).toEqual({ top: 0, left: 800, height: 1024, width: 1024 });
    expect(views[5]).toEqual({ top: 800, left: 0, height: 1024, width: 1024 });
    expect(views[24]).toEqual({ top: 3072, left: 3072, height: 1024, width: 1024 });
    expect(1024 - 800).toBe(224);
    expect(2400 + 1024 - 3072).toBe(352);
  });

  it('plans each axis on its own (whole-canvas on the small axis only)', () => {
    const views = planViews({ height: 768, width: 2048, windowHeight: 1024, windowWidth: 1024, strideHeight: 800, strideWidth: 800 });
    expect(views).toEqual([
      { top: 0, left: 0, height: 768, width: 1024 },
      { top: 0, left: 800, height: 768, width: 1024 },
      { top: 0, left: 1024, height: 768, width: 1024 },
    ]);
  });

  it('covers every pixel, starts inside the canvas, no duplicates (seeded property loop)', () => {
    const random = seededRandom(7);
    const failures: object[] = [];
    for (let trial = 0; trial < 2000; trial++) {
      const window = randomInteger(random, 1, 80);
      const stride = randomInteger(random, 1, window);
      const size = randomInteger(random, 1, 400);
      const { starts, length } = planAxis('width', size, window, stride);
      const covered = new Uint8Array(size);
      let inside = true;
      for (const start of starts) {
        inside &&= start >= 0 && start + length <= size;
        covered.fill(1, start, start + length);
      }
      // consecutive windows are at most one stride apart, so overlaps are ≥ window − stride
      let spaced = true;
      for (let index = 1; index < starts.length; index++) spaced &&= starts[index]! - starts[index - 1]! <= stride;
      const expectedCount = size > window ? Math.ceil((size - window) / stride) + 1 : 1;
      const ok = inside && spaced && covered.every((cell) => cell === 1) && new Set(starts).size === starts.length && starts.length === expectedCount;
      if (!ok) failures.push({ size, window, stride, starts, length });
    }
    expect(failures, 'layouts that do not cover their axis').toEqual([]);
  });
});

describe('planAxis, drop-remainder (MultiDiffusion paper, spec §4.8.2)', () => {
  it('drops the remainder: 100 latents, window 64, stride 8 → starts 0…32, cells 96–99 uncovered', () => {
    const { starts, length } = planAxis('width', 100, 64, 8, 'drop-remainder');
    expect(starts).toEqual([0, 8, 16, 24, 32]);
    expect(length).toBe(64);
    expect(starts[starts.length - 1]! + length).toBe(96);
  });

  it('panorama 512×2048 px = 64×256 latents → 1 × 25 views', () => {
    const views = planViews({
      height: 64,
      width: 256,
      windowHeight: 64,
      windowWidth: 64,
      strideHeight: 8,
      strideWidth: 8,
      rule: 'drop-remainder',
    });
    expect(views).toHaveLength(25);
    expect(views[24]).toEqual({ top: 0, left: 192, height: 64, width: 64 });
  });

  it('has ⌊(S − win)/stride⌋ + 1 views that never leave the canvas (seeded)', () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 1000; trial++) {
      const window = randomInteger(random, 1, 50);
      const stride = randomInteger(random, 1, window);
      const size = randomInteger(random, window, 300);
      const { starts } = planAxis('height', size, window, stride, 'drop-remainder');
      expect(starts.length).toBe(Math.floor((size - window) / stride) + 1);
      expect(starts[starts.length - 1]! + window).toBeLessThanOrEqual(size);
      expect(size - (starts[starts.length - 1]! + window)).toBeLessThan(stride);
    }
  });

  it('rejects a window larger than the canvas unless allowSmallCanvas is set', () => {
    expectKandinskyError(() => planAxis('width', 50, 64, 8, 'drop-remainder'), 'INVALID_TILE_LAYOUT', 'windowWidth 64', 'width 50');
    expect(planAxis('width', 50, 64, 8, 'drop-remainder', true)).toEqual({ starts: [0], length: 50 });
  });
});

describe('planViews errors (INVALID_TILE_LAYOUT naming the value)', () => {
  const base = { height: 2048, width: 2048, windowHeight: 1024, windowWidth: 1024, strideHeight: 800, strideWidth: 800 };
  it.each([
    ['strideWidth', 0, 'strideWidth must be a positive integer, got 0'],
    ['strideHeight', -8, 'got -8'],
    ['strideWidth', 2.5, 'got 2.5'],
    ['windowHeight', 0, 'windowHeight must be a positive integer, got 0'],
    ['windowWidth', Number.NaN, 'got NaN'],
    ['height', 0, 'height must be a positive integer, got 0'],
    ['width', 100.5, 'got 100.5'],
  ])('rejects %s = %s', (key, value, text) => {
    expectKandinskyError(() => planViews({ ...base, [key]: value }), 'INVALID_TILE_LAYOUT', text);
  });

  it('rejects a stride larger than the window (gaps)', () => {
    expectKandinskyError(() => planViews({ ...base, strideHeight: 1100 }), 'INVALID_TILE_LAYOUT', 'strideHeight 1100', 'windowHeight 1024');
  });

  it('rejects a small canvas for snap-to-edge when allowSmallCanvas is false', () => {
    expectKandinskyError(
      () => planViews({ ...base, height: 512, allowSmallCanvas: false }),
      'INVALID_TILE_LAYOUT',
      'windowHeight 1024',
      'height 512',
    );
    // equal sizes are never an error: one exact view
    expect(planViews({ ...base, height: 1024, width: 1024, allowSmallCanvas: false })).toHaveLength(1);
  });

  it('rejects an unknown rule', () => {
    expectKandinskyError(() => planViews({ ...base, rule: 'wrap' as ViewLayoutRule }), 'INVALID_TILE_LAYOUT', '"wrap"');
  });
});

describe('scaleView', () => {
  it('maps a latent view to pixels ×8 by default', () => {
    expect(scaleView({ top: 4, left: 0, height: 128, width: 96 })).toEqual({ top: 32, left: 0, height: 1024, width: 768 });
    expect(scaleView({ top: 1, left: 2, height: 3, width: 4 }, 2)).toEqual({ top: 2, left: 4, height: 6, width: 8 });
  });
  it('rejects a bad factor', () => {
    expectKandinskyError(() => scaleView({ top: 0, left: 0, height: 1, width: 1 }, 0), 'INVALID_TILE_LAYOUT', 'got 0');
  });
});
