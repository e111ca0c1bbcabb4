import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cannyEdges } from './canny-edges.js';
import { createRgbImage } from './rgb-image.js';
import { decodeUint8 } from './test-support/image-fixture.js';
import { thrown } from '../test-support/thrown.js';

interface CannyCase {
  name: string;
  width: number;
  height: number;
  low: number;
  high: number;
  input: string;
  edges: string;
  edgeCount: number;
}

// OpenCV 4.6's cv2.Canny on these inputs, written by tools/reference/canny.py.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/canny.json', import.meta.url), 'utf8')) as { cases: CannyCase[] };

describe('cannyEdges matches OpenCV cv2.Canny on 3-channel images', () => {
  it('has cases with and without edges', () => {
    expect(fixture.cases.some((testCase) => testCase.edgeCount > 200)).toBe(true);
    expect(fixture.cases.some((testCase) => testCase.edgeCount === 0)).toBe(true);
  });

  for (const testCase of fixture.cases) {
    it(`${testCase.name}, thresholds ${testCase.low}/${testCase.high}: every pixel equal (${testCase.edgeCount} edge pixels)`, () => {
      const image = createRgbImage(testCase.width, testCase.height, decodeUint8(testCase.input));
      const edges = cannyEdges(image, { lowThreshold: testCase.low, highThreshold: testCase.high });
      const expected = decodeUint8(testCase.edges);
      let mismatches = 0;
      for (let i = 0; i < expected.length; i++) {
        if (edges.data[3 * i] !== expected[i] || edges.data[3 * i + 1] !== expected[i] || edges.data[3 * i + 2] !== expected[i]) mismatches++;
      }
      expect(mismatches).toBe(0);
    });
  }

  it('rejects a negative or non-finite threshold, naming it', () => {
    const image = createRgbImage(4, 4);
    expect(thrown(() => cannyEdges(image, { lowThreshold: -1 }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('lowThreshold -1') });
    expect(thrown(() => cannyEdges(image, { highThreshold: Number.NaN }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
