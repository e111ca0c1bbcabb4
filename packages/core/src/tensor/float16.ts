import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDtype, createTensor, type Tensor } from './tensor.js';
import { checkTensor } from '../errors/argument-checks.js';

// IEEE 754 binary32 / binary16 layout.
const FLOAT32_ABS_MASK = 0x7fffffff;
const FLOAT32_INFINITY = 0x7f800000;
// 2^-14, the smallest normal half: below it the result is subnormal (or zero).
const FLOAT32_OF_MIN_NORMAL_HALF = 0x38800000;
// 65520 = 65504 + half an ulp: from here on the result rounds to infinity.
const FLOAT32_OF_HALF_OVERFLOW = 0x477ff000;
// 0.5 as float32. Adding it to a value < 2^-14 leaves the half subnormal mantissa in the low
// bits, rounded to nearest-even by the float32 adder itself (ulp(0.5) = 2^-24 = the subnormal step).
const SUBNORMAL_MAGIC = 0.5;
const SUBNORMAL_MAGIC_BITS = 0x3f000000;
// Re-biases the exponent from 127 to 15 and adds the rounding bias below the kept 10 bits.
const REBIAS_AND_ROUND = ((15 - 127) << 23) + 0xfff;
const HALF_INFINITY = 0x7c00;
const HALF_QUIET_NAN = 0x7e00;
const HALF_SUBNORMAL_STEP = 2 ** -24;

// One scratch word for scalar bit casts: no allocation per call.
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

function halfBitsFromFloat32Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const magnitude = bits & FLOAT32_ABS_MASK;
  if (magnitude >= FLOAT32_OF_HALF_OVERFLOW) {
    if (magnitude <= FLOAT32_INFINITY) return sign | HALF_INFINITY;
    // NaN stays NaN: the top payload bits are kept and the quiet bit is set, as F16C and ARM
    // FCVT do (PyTorch's scalar path returns 0x7e00 for every NaN; only payloads differ).
    return sign | HALF_QUIET_NAN | ((magnitude >>> 13) & 0x3ff);
  }
  if (magnitude < FLOAT32_OF_MIN_NORMAL_HALF) {
    scratchBits[0] = magnitude;
    scratchFloat[0] = scratchFloat[0]! + SUBNORMAL_MAGIC;
    return sign | (scratchBits[0]! - SUBNORMAL_MAGIC_BITS);
  }
  const mantissaOdd = (magnitude >>> 13) & 1;
  return sign | ((magnitude + REBIAS_AND_ROUND + mantissaOdd) >>> 13);
}

// spec §2: fp16 graphs are an export option; the TS side converts at the boundary when a
// backend or checkpoint needs half-precision buffers.

/**
 * IEEE binary16 bits of `value` after rounding it to float32: round-to-nearest-even,
 * subnormals kept, magnitudes ≥ 65520 become ±infinity, NaN stays a quiet NaN.
 * Matches `torch.tensor(value, dtype=torch.float32).half()` (tools/reference/float16.py).
 */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  return halfBitsFromFloat32Bits(scratchBits[0]!);
}

/** The exact float32 value (as a number) of the IEEE binary16 bit pattern `bits` (0 … 0xffff). */
export function float16BitsToFloat32(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffff) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Float16 bit pattern ${describeValue(bits)} is not an integer in [0, 65535].`,
      'Pass the raw 16-bit pattern of a half-precision value, e.g. from a Uint16Array.',
    );
  }
  scratchBits[0] = float32BitsFromHalfBits(bits);
  return scratchFloat[0]!;
}

function float32BitsFromHalfBits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = half & HALF_INFINITY;
  const mantissa = half & 0x3ff;
  if (exponent === HALF_INFINITY) return (sign | FLOAT32_INFINITY | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | (((half & 0x7fff) << 13) + ((127 - 15) << 23))) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal half: its value mantissa × 2^-24 is a normal float32; take its bits.
  scratchFloat[0] = mantissa * HALF_SUBNORMAL_STEP;
  return (sign | scratchBits[0]!) >>> 0;
}

/**
 * Converts float32 values to binary16 bit patterns (see {@link float32ToFloat16Bits}).
 * Reads the input's bits, so NaN payloads survive. Writes into `out` when given.
 * @param out Destination of the same length. @default a new Uint16Array
 */
export function float32ToFloat16Array(values: Float32Array, out?: Uint16Array): Uint16Array {
  if (!(values instanceof Float32Array)) throw invalidArgument('values', values, 'a Float32Array', 'Pass the float32 data to convert.');
  if (out !== undefined && !(out instanceof Uint16Array)) throw invalidArgument('out', out, 'a Uint16Array or undefined', 'Omit out for a new array.');
  const target = out ?? new Uint16Array(values.length);
  assertSameLength('float32ToFloat16Array', values.length, target.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) target[i] = halfBitsFromFloat32Bits(bits[i]!);
  return target;
}

/**
 * Converts binary16 bit patterns to float32 values, exactly (every half is a float32).
 * NaN payloads are kept bit for bit, so half → float32 → half is the identity for every
 * non-signalling pattern.
 * @param out Destination of the same length. @default a new Float32Array
 */
export function float16ToFloat32Array(halves: Uint16Array, out?: Float32Array): Float32Array {
  if (!(halves instanceof Uint16Array)) throw invalidArgument('halves', halves, 'a Uint16Array of binary16 bits', 'Pass a float16 tensor\'s data.');
  if (out !== undefined && !(out instanceof Float32Array)) throw invalidArgument('out', out, 'a Float32Array or undefined', 'Omit out for a new array.');
  const target = out ?? new Float32Array(halves.length);
  assertSameLength('float16ToFloat32Array', halves.length, target.length);
  const bits = new Uint32Array(target.buffer, target.byteOffset, target.length);
  for (let i = 0; i < halves.length; i++) bits[i] = float32BitsFromHalfBits(halves[i]!);
  return target;
}

/** A float16 copy of a float32 tensor (same dims), rounded to nearest-even. */
export function toFloat16(tensor: Tensor): Tensor<'float16'> {
  assertDtype('toFloat16 input', tensor, 'float32');
  return createTensor('float16', tensor.dims, float32ToFloat16Array(tensor.data));
}

/**
 * A float32 tensor from a float16 or float32 tensor. A float32 input is returned as is
 * (no copy), so callers can normalise model outputs of either dtype cheaply.
 */
export function toFloat32(tensor: Tensor): Tensor<'float32'> {
  checkTensor('toFloat32 input', tensor);
  if (tensor.dtype === 'float32') return tensor as Tensor<'float32'>;
  assertDtype('toFloat32 input', tensor, 'float16');
  return createTensor('float32', tensor.dims, float16ToFloat32Array(tensor.data));
}

function assertSameLength(what: string, input: number, output: number): void {
  if (input !== output) {
    throw shapeMismatch(
      `${what}: output has ${output} elements but the input has ${input}.`,
      'Pass an output buffer of the same length as the input, or omit it.',
      { input, output },
    );
  }
}
