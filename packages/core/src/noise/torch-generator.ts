import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import type { NoiseSource } from '../schedulers/scheduler.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { normalBlocksFromWords } from './box-muller-float32.js';
import { MersenneTwister } from './mersenne-twister.js';

// `uniform_real_distribution<float>` keeps 24 random bits, `<double>` 53 (TransformationHelper.h).
const FLOAT_MANTISSA_MASK = 0xffffff;
const FLOAT_UNIFORM_SCALE = 2 ** -24;
const DOUBLE_HIGH_MASK = 0x1fffff;
const DOUBLE_UNIFORM_SCALE = 2 ** -53;
// PyTorch switches from the scalar Box–Muller to the 16-wide one at this many elements.
const VECTOR_BLOCK = 16;

const TWO_POW_64 = 1n << 64n;

/**
 * A seeded random source that reproduces PyTorch's CPU generator bit for bit:
 * `new TorchGenerator(seed).randn(dims)` equals
 * `torch.randn(dims, generator=torch.Generator().manual_seed(seed))` in float32, and successive
 * calls continue the stream exactly as successive torch calls on one generator do (spec §4.2:
 * initial latents; DESIGN.md §5: seeds match the Python references).
 *
 * How torch draws (aten/src/ATen/native/cpu/DistributionTemplates.h, torch 1.13–2.x):
 * - `randn` with ≥ 16 elements: one 24-bit float uniform per element, then Box–Muller on blocks
 *   of 16 (element j pairs with j + 8) with the AVX2 Cephes log/sincos; when the count is not a
 *   multiple of 16 the last 16 elements are redrawn and recomputed.
 * - `randn` with < 16 elements: scalar Box–Muller in float64 from 53-bit uniforms; the sine half
 *   is cached in the generator and returned by the next scalar draw.
 * - `rand`: one 24-bit float uniform per element.
 */
export class TorchGenerator implements NoiseSource {
  /** The seed as PyTorch's `initial_seed()` reports it: an unsigned 64-bit integer. */
  readonly initialSeed: bigint;
  private engine: MersenneTwister;
  private cachedNormal: number | undefined;

  /**
   * @param seed Any integer PyTorch's `manual_seed` accepts, in [-2^63, 2^64); a bigint for seeds
   *   beyond 2^53 - 1. Throws INVALID_ARGUMENT otherwise.
   */
  constructor(seed: number | bigint) {
    if (typeof seed !== 'bigint' && !Number.isSafeInteger(seed)) {
      throw invalidArgument('seed', seed, 'an integer (number or bigint)', 'Pass the seed of the image, e.g. 42.');
    }
    this.engine = new MersenneTwister(seed);
    const value = BigInt(seed);
    this.initialSeed = value < 0n ? value + TWO_POW_64 : value;
    this.cachedNormal = undefined;
  }

  /** A float32 tensor of N(0, 1) samples, as `torch.randn(dims, generator=g)`. */
  randn(dims: readonly number[]): Tensor<'float32'> {
    const tensor = createTensor('float32', dims);
    this.fillNormal(tensor.data);
    return tensor;
  }

  /** A float32 tensor of U[0, 1) samples, as `torch.rand(dims, generator=g)`. */
  rand(dims: readonly number[]): Tensor<'float32'> {
    const tensor = createTensor('float32', dims);
    this.fillUniform(tensor.data);
    return tensor;
  }

  /**
   * Fills `out` with N(0, 1) samples, exactly as `torch.randn` would fill a contiguous float32
   * tensor of `out.length` elements.
   */
  fillNormal(out: Float32Array): void {
    assertFloat32Array('fillNormal output', out);
    const count = out.length;
    if (count >= VECTOR_BLOCK) {
      this.fillNormalVectorised(out);
      return;
    }
    for (let i = 0; i < count; i++) out[i] = this.nextScalarNormal();
  }

  /** Fills `out` with U[0, 1) samples, exactly as `torch.rand` fills a float32 tensor. */
  fillUniform(out: Float32Array): void {
    assertFloat32Array('fillUniform output', out);
    uniformsInPlace(this.engine, out);
  }

  /** An independent generator that continues this one's stream (like `Generator.get_state()`). */
  clone(): TorchGenerator {
    const copy = new TorchGenerator(this.initialSeed);
    copy.engine = this.engine.clone();
    copy.cachedNormal = this.cachedNormal;
    return copy;
  }

  private fillNormalVectorised(out: Float32Array): void {
    const count = out.length;
    // The raw words go into the output's own bytes; the kernel turns each block of 16 into
    // normals in place (the 24-bit uniforms are taken from the words, not from floats).
    const words = new Uint32Array(out.buffer, out.byteOffset, count);
    this.engine.fillUint32(words);
    const whole = count - (count % VECTOR_BLOCK);
    normalBlocksFromWords(words, out, 0, whole);
    if (whole !== count) {
      // Torch redraws the last 16 uniforms and transforms them again (overlapping the last full block).
      const start = count - VECTOR_BLOCK;
      this.engine.fillUint32(words.subarray(start));
      normalBlocksFromWords(words, out, start, count);
    }
  }

  private nextUniformDouble(): number {
    // random64() = (first << 32) | second; the low 53 bits are kept.
    const high = this.engine.nextUint32() & DOUBLE_HIGH_MASK;
    const low = this.engine.nextUint32();
    return (high * 2 ** 32 + low) * DOUBLE_UNIFORM_SCALE;
  }

  private nextScalarNormal(): number {
    const cached = this.cachedNormal;
    if (cached !== undefined) {
      this.cachedNormal = undefined;
      return cached;
    }
    const u1 = this.nextUniformDouble();
    const u2 = this.nextUniformDouble();
    const radius = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }
}

/** One 24-bit float uniform per element, drawn in order into `out`. */
function uniformsInPlace(engine: MersenneTwister, out: Float32Array): void {
  // Raw words go into the output's own bytes first, then are converted slot by slot.
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length);
  engine.fillUint32(words);
  for (let i = 0; i < words.length; i++) out[i] = (words[i]! & FLOAT_MANTISSA_MASK) * FLOAT_UNIFORM_SCALE;
}

function assertFloat32Array(what: string, value: unknown): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    throw kandinskyError(
      'DTYPE_MISMATCH',
      `${what} must be a Float32Array, got ${describeValue(
        (value as object | null | undefined)?.constructor?.name ?? value,
        )}.`,
      'Pass the data of a float32 tensor.',
    );
  }
}
