/**
 * The fast kernel of PyTorch's vectorised `randn` (`normal_fill_16_AVX2`,
 * aten/src/ATen/native/cpu/DistributionTemplates.h): raw Mersenne Twister words in, float32
 * normals out, bit for bit what the Cephes `log256_ps` and `sincos256_ps` give (their reference
 * transcriptions are in test-support/avx-math-float32.ts, which the tests compare against).
 *
 * Why it may differ from the reference's code and still give the same bits: Box–Muller feeds the
 * log only u1 = 1 − k·2⁻²⁴ and the sincos only round32(2π·k·2⁻²⁴), for the 2²⁴ possible 24-bit
 * uniforms k. The test beside this file runs both on all 2²⁴ inputs of each and compares bits,
 * so the shortcuts below are proven exact on this domain (not merely sampled):
 * - an FMA `round32(a·b + c)` is computed as `Math.fround(a * b + c)`: the product of two floats
 *   is exact in float64 and the double rounding of the float64 sum never lands on a float32 tie
 *   here (most of these sums are even exact in float64, because u1 has at most 24 bits from 2⁻²⁵);
 * - frexp is integer arithmetic on k (no float bit casts); rounding that is provably a no-op
 *   (x − 1 and 2x − 1 by Sterbenz, e·LOG_Q2 and z·½ with few bits, the first two Cody–Waite steps)
 *   is skipped; e·LOG_Q1 comes from a table;
 * - the quadrant's swap and signs are selected arithmetically (×0, ×1, ×−1 are exact), because
 *   the branches they replace mispredict on random angles.
 * The Cephes constants are written out as the float32 values of test-support/avx-math-float32.ts's named
 * constants, and `Math.fround` is called by name: bundlers turn module-level `const`s into `var`s,
 * which V8 re-reads and re-checks on every use.
 * Four lanes run interleaved, statement by statement: V8 does not reorder floating-point code,
 * and the four independent dependency chains keep the FPU busy while each one waits on its
 * rounding (`Math.fround` is two conversions on x64).
 */
const f = Math.fround;

// Cephes' √½ and the low part of log 2 (`cephes_SQRTHF`, `cephes_log_q1`), as float32.
const SQRT_HALF = f(0.707106781186547524);
const LOG_Q1 = f(-2.1219444e-4);

// `_mm256_set1_ps(2.0f * c10::pi<double>)`: 2π computed in double, then rounded to float
// (6.2831854820251465 in the kernel).
export const TWO_PI_FLOAT = f(2 * Math.PI);

/** 2⁻ᵇ for b in [0, 26]: scales an integer of b bits into [0.5, 1) (frexp's mantissa). */
const INVERSE_POWERS_OF_TWO = Float64Array.from({ length: 27 }, (_, bits) => 2 ** -bits);
/**
 * For an integer m of b bits, m < SQRT_HALF_THRESHOLDS[b] exactly when its mantissa m·2⁻ᵇ is
 * below √½, where Cephes takes one off the exponent and doubles the mantissa.
 */
const SQRT_HALF_THRESHOLDS = Int32Array.from({ length: 27 }, (_, bits) => Math.ceil(SQRT_HALF * 2 ** bits));
/** round32(e·LOG_Q1) for the exponents e in [−25, 1] that occur, at index e + 25. */
const EXPONENT_LOG_Q1 = Float64Array.from({ length: 27 }, (_, index) => f((index - 25) * LOG_Q1));

/**
 * Turns each block of 16 raw MT19937 words in `words[start, end)` into 16 normals in `out`,
 * which views the same memory as float32 (element j pairs with j + 8, as in
 * `normal_fill_16_AVX2`). `end − start` must be a multiple of 16.
 */
export function normalBlocksFromWords(words: Uint32Array, out: Float32Array, start: number, end: number): void {
  const thresholds = SQRT_HALF_THRESHOLDS;
  const inversePowers = INVERSE_POWERS_OF_TWO;
  const exponentLogQ1 = EXPONENT_LOG_Q1;
  for (let block = start; block < end; block += 16) {
    for (let j = block; j < block + 8; j += 4) {
      // Both uniforms of all four pairs are read before any output overwrites them. u1 = 1 − k·2⁻²⁴
      // is m·2⁻²⁴ with the integer m = 2²⁴ − k in [1, 2²⁴]; u2 = k·2⁻²⁴.
      const mA = 0x1000000 - (words[j]! & 0xffffff);
      const mB = 0x1000000 - (words[j + 1]! & 0xffffff);
      const mC = 0x1000000 - (words[j + 2]! & 0xffffff);
      const mD = 0x1000000 - (words[j + 3]! & 0xffffff);
      const kA = words[j + 8]! & 0xffffff;
      const kB = words[j + 9]! & 0xffffff;
      const kC = words[j + 10]! & 0xffffff;
      const kD = words[j + 11]! & 0xffffff;

      // radius = √(−2·log u1), log as `log256_ps`: u1 = x·2ᵉ, x − 1 (or 2x − 1 below √½).
      const bitsA = 32 - Math.clz32(mA);
      const bitsB = 32 - Math.clz32(mB);
      const bitsC = 32 - Math.clz32(mC);
      const bitsD = 32 - Math.clz32(mD);
      const lowA = (mA - thresholds[bitsA]!) >> 31; // −1 below √½, else 0
      const lowB = (mB - thresholds[bitsB]!) >> 31;
      const lowC = (mC - thresholds[bitsC]!) >> 31;
      const lowD = (mD - thresholds[bitsD]!) >> 31;
      const eA = bitsA - 24 + lowA;
      const eB = bitsB - 24 + lowB;
      const eC = bitsC - 24 + lowC;
      const eD = bitsD - 24 + lowD;
      const xA = mA * inversePowers[bitsA + lowA]! - 1;
      const xB = mB * inversePowers[bitsB + lowB]! - 1;
      const xC = mC * inversePowers[bitsC + lowC]! - 1;
      const xD = mD * inversePowers[bitsD + lowD]! - 1;
      const zA = Math.fround(xA * xA);
      const zB = Math.fround(xB * xB);
      const zC = Math.fround(xC * xC);
      const zD = Math.fround(xD * xD);
      // Horner on LOG_P0 … LOG_P8, then LOG_Q1 and LOG_Q2 as in test-support/avx-math-float32.ts.
      let yA = Math.fround(0.07037683576345444 * xA - 0.11514610052108765);
      let yB = Math.fround(0.07037683576345444 * xB - 0.11514610052108765);
      let yC = Math.fround(0.07037683576345444 * xC - 0.11514610052108765);
      let yD = Math.fround(0.07037683576345444 * xD - 0.11514610052108765);
      yA = Math.fround(yA * xA + 0.11676998436450958);
      yB = Math.fround(yB * xB + 0.11676998436450958);
      yC = Math.fround(yC * xC + 0.11676998436450958);
      yD = Math.fround(yD * xD + 0.11676998436450958);
      yA = Math.fround(yA * xA - 0.12420140951871872);
      yB = Math.fround(yB * xB - 0.12420140951871872);
      yC = Math.fround(yC * xC - 0.12420140951871872);
      yD = Math.fround(yD * xD - 0.12420140951871872);
      yA = Math.fround(yA * xA + 0.14249323308467865);
      yB = Math.fround(yB * xB + 0.14249323308467865);
      yC = Math.fround(yC * xC + 0.14249323308467865);
      yD = Math.fround(yD * xD + 0.14249323308467865);
      yA = Math.fround(yA * xA - 0.16668057441711426);
      yB = Math.fround(yB * xB - 0.16668057441711426);
      yC = Math.fround(yC * xC - 0.16668057441711426);
      yD = Math.fround(yD * xD - 0.16668057441711426);
      yA = Math.fround(yA * xA + 0.2000071406364441);
      yB = Math.fround(yB * xB + 0.2000071406364441);
      yC = Math.fround(yC * xC + 0.2000071406364441);
      yD = Math.fround(yD * xD + 0.2000071406364441);
      yA = Math.fround(yA * xA - 0.24999994039535522);
      yB = Math.fround(yB * xB - 0.24999994039535522);
      yC = Math.fround(yC * xC - 0.24999994039535522);
      yD = Math.fround(yD * xD - 0.24999994039535522);
      yA = Math.fround(yA * xA + 0.3333333134651184);
      yB = Math.fround(yB * xB + 0.3333333134651184);
      yC = Math.fround(yC * xC + 0.3333333134651184);
      yD = Math.fround(yD * xD + 0.3333333134651184);
      yA = Math.fround(yA * xA);
      yB = Math.fround(yB * xB);
      yC = Math.fround(yC * xC);
      yD = Math.fround(yD * xD);
      yA = Math.fround(yA * zA + exponentLogQ1[eA + 25]!);
      yB = Math.fround(yB * zB + exponentLogQ1[eB + 25]!);
      yC = Math.fround(yC * zC + exponentLogQ1[eC + 25]!);
      yD = Math.fround(yD * zD + exponentLogQ1[eD + 25]!);
      yA = Math.fround(yA - zA * 0.5);
      yB = Math.fround(yB - zB * 0.5);
      yC = Math.fround(yC - zC * 0.5);
      yD = Math.fround(yD - zD * 0.5);
      const radiusA = Math.fround(Math.sqrt(-2 * Math.fround(eA * 0.693359375 + Math.fround(xA + yA))));
      const radiusB = Math.fround(Math.sqrt(-2 * Math.fround(eB * 0.693359375 + Math.fround(xB + yB))));
      const radiusC = Math.fround(Math.sqrt(-2 * Math.fround(eC * 0.693359375 + Math.fround(xC + yC))));
      const radiusD = Math.fround(Math.sqrt(-2 * Math.fround(eD * 0.693359375 + Math.fround(xD + yD))));

      // sin and cos of θ = 2π·u2 as `sincos256_ps`: octant, Cody–Waite reduction, polynomials.
      let aA = Math.fround(6.2831854820251465 * (kA * 5.9604644775390625e-8));
      let aB = Math.fround(6.2831854820251465 * (kB * 5.9604644775390625e-8));
      let aC = Math.fround(6.2831854820251465 * (kC * 5.9604644775390625e-8));
      let aD = Math.fround(6.2831854820251465 * (kD * 5.9604644775390625e-8));
      // FOUR_OVER_PI, MINUS_DP1…3, COS_P0…2 and SIN_P0…2 as in test-support/avx-math-float32.ts.
      const qA = ((Math.fround(aA * 1.2732394933700562) | 0) + 1) & ~1;
      const qB = ((Math.fround(aB * 1.2732394933700562) | 0) + 1) & ~1;
      const qC = ((Math.fround(aC * 1.2732394933700562) | 0) + 1) & ~1;
      const qD = ((Math.fround(aD * 1.2732394933700562) | 0) + 1) & ~1;
      aA = Math.fround(qA * -3.774895063202166e-8 + (qA * -0.00024187564849853516 + (qA * -0.78515625 + aA)));
      aB = Math.fround(qB * -3.774895063202166e-8 + (qB * -0.00024187564849853516 + (qB * -0.78515625 + aB)));
      aC = Math.fround(qC * -3.774895063202166e-8 + (qC * -0.00024187564849853516 + (qC * -0.78515625 + aC)));
      aD = Math.fround(qD * -3.774895063202166e-8 + (qD * -0.00024187564849853516 + (qD * -0.78515625 + aD)));
      const wA = Math.fround(aA * aA);
      const wB = Math.fround(aB * aB);
      const wC = Math.fround(aC * aC);
      const wD = Math.fround(aD * aD);
      let cosA = Math.fround(0.0000244331567955669 * wA - 0.0013887316454201937);
      let cosB = Math.fround(0.0000244331567955669 * wB - 0.0013887316454201937);
      let cosC = Math.fround(0.0000244331567955669 * wC - 0.0013887316454201937);
      let cosD = Math.fround(0.0000244331567955669 * wD - 0.0013887316454201937);
      let sinA = Math.fround(-0.00019515295571181923 * wA + 0.008332161232829094);
      let sinB = Math.fround(-0.00019515295571181923 * wB + 0.008332161232829094);
      let sinC = Math.fround(-0.00019515295571181923 * wC + 0.008332161232829094);
      let sinD = Math.fround(-0.00019515295571181923 * wD + 0.008332161232829094);
      cosA = Math.fround(cosA * wA + 0.04166664555668831);
      cosB = Math.fround(cosB * wB + 0.04166664555668831);
      cosC = Math.fround(cosC * wC + 0.04166664555668831);
      cosD = Math.fround(cosD * wD + 0.04166664555668831);
      sinA = Math.fround(sinA * wA - 0.16666655242443085);
      sinB = Math.fround(sinB * wB - 0.16666655242443085);
      sinC = Math.fround(sinC * wC - 0.16666655242443085);
      sinD = Math.fround(sinD * wD - 0.16666655242443085);
      cosA = Math.fround(cosA * wA);
      cosB = Math.fround(cosB * wB);
      cosC = Math.fround(cosC * wC);
      cosD = Math.fround(cosD * wD);
      sinA = Math.fround(sinA * wA);
      sinB = Math.fround(sinB * wB);
      sinC = Math.fround(sinC * wC);
      sinD = Math.fround(sinD * wD);
      cosA = Math.fround(Math.fround(cosA * wA - wA * 0.5) + 1);
      cosB = Math.fround(Math.fround(cosB * wB - wB * 0.5) + 1);
      cosC = Math.fround(Math.fround(cosC * wC - wC * 0.5) + 1);
      cosD = Math.fround(Math.fround(cosD * wD - wD * 0.5) + 1);
      sinA = Math.fround(sinA * aA + aA);
      sinB = Math.fround(sinB * aB + aB);
      sinC = Math.fround(sinC * aC + aC);
      sinD = Math.fround(sinD * aD + aD);

      // Octants 2 and 6 swap sin and cos; the signs follow bit 2 of q and of q − 2 (q + 2).
      const swapA = (qA & 2) >> 1;
      const swapB = (qB & 2) >> 1;
      const swapC = (qC & 2) >> 1;
      const swapD = (qD & 2) >> 1;
      // `fmadd(n, std = 1, mean = 0)` turns a −0 into +0; adding 0 does the same. The float32
      // store rounds the exact float64 product once, as the reference's Math.fround does.
      out[j] = radiusA * (1 - (((qA + 2) & 4) >> 1)) * (sinA * swapA + cosA * (1 - swapA)) + 0;
      out[j + 1] = radiusB * (1 - (((qB + 2) & 4) >> 1)) * (sinB * swapB + cosB * (1 - swapB)) + 0;
      out[j + 2] = radiusC * (1 - (((qC + 2) & 4) >> 1)) * (sinC * swapC + cosC * (1 - swapC)) + 0;
      out[j + 3] = radiusD * (1 - (((qD + 2) & 4) >> 1)) * (sinD * swapD + cosD * (1 - swapD)) + 0;
      out[j + 8] = radiusA * (1 - ((qA & 4) >> 1)) * (cosA * swapA + sinA * (1 - swapA)) + 0;
      out[j + 9] = radiusB * (1 - ((qB & 4) >> 1)) * (cosB * swapB + sinB * (1 - swapB)) + 0;
      out[j + 10] = radiusC * (1 - ((qC & 4) >> 1)) * (cosC * swapC + sinC * (1 - swapC)) + 0;
      out[j + 11] = radiusD * (1 - ((qD & 4) >> 1)) * (cosD * swapD + sinD * (1 - swapD)) + 0;
    }
  }
}
