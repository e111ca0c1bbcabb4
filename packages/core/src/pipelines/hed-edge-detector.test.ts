import { describe, expect, it } from 'vitest';
import { hedDetectSize } from './hed-edge-detector.js';

describe('hedDetectSize (controlnet_aux resize_image, spec §2.9)', () => {
  it('scales the short side to the resolution and rounds both sides to multiples of 64 like np.round', () => {
    // 1000×600 at 512: k = 0.8533…, W = 853.3 → 13.33·64 → 832; H = 512.
    expect(hedDetectSize(1000, 600, 512)).toEqual({ width: 832, height: 512 });
    // 160×64 at 64: k = 1, 160/64 = 2.5 → np.round gives 2 (half to even), not 3.
    expect(hedDetectSize(160, 64, 64)).toEqual({ width: 128, height: 64 });
    // 224/64 = 3.5 → 4.
    expect(hedDetectSize(224, 64, 64)).toEqual({ width: 256, height: 64 });
    expect(hedDetectSize(64, 64, 64)).toEqual({ width: 64, height: 64 });
  });
});
