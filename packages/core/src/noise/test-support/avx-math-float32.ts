/**
 * Float32 emulation of the Cephes-based AVX routines `log256_ps` and `sincos256_ps` that
 * PyTorch's CPU `normal_` uses for float32 tensors of 16+ elements (aten/src/ATen/native/cpu/
 * avx_mathfun.h, called from `normal_fill_16_AVX2` in DistributionTemplates.h).
 *
 * Every operation is rounded to float32 with `Math.fround`, which is exact IEEE single
 * rounding for +, −, × and √ of float32 operands, so the results do not depend on the host's
 * libm: Node and every browser produce the same bits. The places where GCC fuses a multiply
 * and an add into one FMA instruction in PyTorch's build are emulated with {@link fusedMultiplyAdd32}.
 *
 * These are the reference transcriptions, general over their input ranges. `TorchGenerator` runs
 * the specialised kernel in box-muller-float32.ts, which its tests prove bit-identical to these
 * on every input Box–Muller can see.
 */

const fround = Math.fround;

// Cephes constants, rounded to float32 exactly as the C `_PS256_CONST` tables do.
export const SQRT_HALF = fround(0.707106781186547524);
const LOG_P0 = fround(7.0376836292e-2);
const LOG_P1 = fround(-1.151461031e-1);
const LOG_P2 = fround(1.167699874e-1);
const LOG_P3 = fround(-1.2420140846e-1);
const LOG_P4 = fround(1.4249322787e-1);
const LOG_P5 = fround(-1.6668057665e-1);
const LOG_P6 = fround(2.0000714765e-1);
const LOG_P7 = fround(-2.4999993993e-1);
const LOG_P8 = fround(3.3333331174e-1);
export const LOG_Q1 = fround(-2.1219444e-4);
const LOG_Q2 = fround(0.693359375);

const MINUS_DP1 = fround(-0.78515625);
const MINUS_DP2 = fround(-2.4187564849853515625e-4);
const MINUS_DP3 = fround(-3.77489497744594108e-8);
const SIN_P0 = fround(-1.9515295891e-4);
const SIN_P1 = fround(8.3321608736e-3);
const SIN_P2 = fround(-1.6666654611e-1);
const COS_P0 = fround(2.443315711809948e-5);
const COS_P1 = fround(-1.388731625493765e-3);
const COS_P2 = fround(4.166664568298827e-2);
const FOUR_OVER_PI = fround(1.27323954473516);

// One shared scratch word for bit casts: no allocation per call.
const scratchFloat = new Float32Array(1);
const scratchInt = new Int32Array(scratchFloat.buffer);

/**
 * `round32(a × b + c)` with a single rounding, for float32 operands: the float32 result of an
 * FMA instruction. The product is exact in float64; the float64 sum can only mislead the final
 * float32 rounding when it lands exactly on a float32 midpoint, so only then is the exact
 * rounding error (TwoSum) consulted to pick the correct side.
 */
export function fusedMultiplyAdd32(a: number, b: number, c: number): number {
  const product = a * b;
  const sum = product + c;
  const rounded = fround(sum);
  const offset = sum - rounded;
  if (offset === 0) return rounded;
  // `sum` is a midpoint exactly when mirroring `rounded` through it gives a float32.
  const mirrored = sum + offset;
  if (fround(mirrored) !== mirrored) return rounded;
  const virtualProduct = sum - c;
  const error = product - virtualProduct + (c - (sum - virtualProduct));
  if (error === 0) return rounded;
  // The exact value lies beyond the midpoint when its error points away from `rounded`.
  return error > 0 === offset > 0 ? mirrored : rounded;
}

const fma = fusedMultiplyAdd32;

/**
 * Natural logarithm of a positive normal float32, as `log256_ps` computes it lane by lane.
 */
export function cephesLogFloat32(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchInt[0]!;
  let exponent = fround((bits >>> 23) - 0x7f + 1);
  scratchInt[0] = (bits & ~0x7f800000) | 0x3f000000;
  let x = scratchFloat[0]!;
  if (x < SQRT_HALF) {
    exponent = fround(exponent - 1);
    x = fround(fround(x - 1) + x);
  } else {
    x = fround(x - 1);
  }
  const z = fround(x * x);
  // GCC contracts every multiply feeding an add into an FMA in PyTorch's AVX2 build; fusing the
  // same pairs here reproduces its bits (checked on 786,432 torch.randn values).
  let y = fma(LOG_P0, x, LOG_P1);
  y = fma(y, x, LOG_P2);
  y = fma(y, x, LOG_P3);
  y = fma(y, x, LOG_P4);
  y = fma(y, x, LOG_P5);
  y = fma(y, x, LOG_P6);
  y = fma(y, x, LOG_P7);
  y = fma(y, x, LOG_P8);
  y = fround(y * x);
  y = fma(y, z, fround(exponent * LOG_Q1));
  y = fround(y - fround(z * 0.5));
  return fma(exponent, LOG_Q2, fround(x + y));
}

/**
 * Sine and cosine of a non-negative float32 angle below 8192, as `sincos256_ps` computes them.
 * Writes the sine to `out[0]` and the cosine to `out[1]` (a caller-owned scratch pair).
 */
export function cephesSinCosFloat32(angle: number, out: Float64Array): void {
  let x = Math.abs(angle);
  let quadrant = (fround(x * FOUR_OVER_PI) | 0) + 1;
  quadrant &= ~1;
  const y = quadrant;
  x = fma(y, MINUS_DP1, x);
  x = fma(y, MINUS_DP2, x);
  x = fma(y, MINUS_DP3, x);
  const negateSin = (quadrant & 4) !== 0;
  const negateCos = (~(quadrant - 2) & 4) !== 0;
  const z = fround(x * x);
  let cosine = fma(COS_P0, z, COS_P1);
  cosine = fma(cosine, z, COS_P2);
  cosine = fround(cosine * z);
  // z × 0.5 is exact, so only the product cosine × z is fused.
  cosine = fma(cosine, z, -fround(z * 0.5));
  cosine = fround(cosine + 1);
  let sine = fma(SIN_P0, z, SIN_P1);
  sine = fma(sine, z, SIN_P2);
  sine = fround(sine * z);
  sine = fma(sine, x, x);
  let sinResult: number;
  let cosResult: number;
  if ((quadrant & 2) === 0) {
    sinResult = sine;
    cosResult = cosine;
  } else {
    sinResult = cosine;
    cosResult = sine;
  }
  out[0] = negateSin ? -sinResult : sinResult;
  out[1] = negateCos ? -cosResult : cosResult;
}
