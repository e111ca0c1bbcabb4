import { TWO_PI_FLOAT } from '../box-muller-float32.js';
import { cephesLogFloat32, cephesSinCosFloat32 } from './avx-math-float32.js';

const f = Math.fround;
/** A 24-bit uniform k is the float k·2⁻²⁴ (`uniform_real_distribution<float>`). */
const UNIFORM_SCALE = 2 ** -24;
const UNIFORM_MASK = 0xffffff;

// Scratch for the reference sincos; shared because nothing here runs re-entrantly.
const sinCos = new Float64Array(2);

/**
 * The same block transform written directly over the reference functions (FMAs emulated with
 * their exact-rounding check, every step rounded): the specification `normalBlocksFromWords` is
 * tested against.
 */
export function normalBlocksFromWordsReference(words: Uint32Array, out: Float32Array, start: number, end: number): void {
  for (let block = start; block < end; block += 16) {
    for (let j = block; j < block + 8; j++) {
      const u1 = f(1 - (words[j]! & UNIFORM_MASK) * UNIFORM_SCALE);
      const u2 = (words[j + 8]! & UNIFORM_MASK) * UNIFORM_SCALE;
      const radius = f(Math.sqrt(f(-2 * cephesLogFloat32(u1))));
      cephesSinCosFloat32(f(TWO_PI_FLOAT * u2), sinCos);
      out[j] = f(radius * sinCos[1]!) + 0;
      out[j + 8] = f(radius * sinCos[0]!) + 0;
    }
  }
}
