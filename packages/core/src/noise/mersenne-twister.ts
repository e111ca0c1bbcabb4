import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';

// MT19937 parameters (Matsumoto & Nishimura 1998), as in PyTorch's `at::mt19937`.
const STATE_SIZE = 624;
// The twist's SHIFT_SIZE 397, MATRIX_A 0x9908b0df and masks are written out in `twist()`.
const INIT_MULTIPLIER = 1812433253;

const TWO_POW_64 = 1n << 64n;
const MIN_SEED = -(1n << 63n);

/**
 * Reduces a PyTorch seed to the 32-bit word that seeds MT19937.
 *
 * `torch.Generator().manual_seed(seed)` accepts integers in [-2^63, 2^64), stores them as uint64
 * (negative values wrap, so -1 is 2^64 - 1) and seeds `at::mt19937` with the low 32 bits only:
 * seeds 5 and 2^32 + 5 give the same stream (verified against torch 1.13, tools/reference/noise.py).
 * Throws INVALID_ARGUMENT for a fractional, unsafe or out-of-range seed.
 */
export function torchSeedToUint32(seed: number | bigint): number {
  let value: bigint;
  if (typeof seed === 'bigint') {
    value = seed;
  } else if (typeof seed === 'number' && Number.isSafeInteger(seed)) {
    value = BigInt(seed);
  } else {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Seed ${describeValue(seed)} is not a safe integer.`,
      'Pass an integer seed; use a bigint for seeds above 2^53 - 1.',
      { seed },
    );
  }
  if (value < MIN_SEED || value >= TWO_POW_64) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Seed ${describeValue(value)} is outside PyTorch's seed range [-2^63, 2^64).`,
      'Use a seed between -9223372036854775808 and 18446744073709551615.',
      { seed: value },
    );
  }
  return Number(BigInt.asUintN(32, value));
}

/**
 * The 32-bit Mersenne Twister MT19937, bit-identical to PyTorch's CPU engine `at::mt19937`
 * (aten/src/ATen/core/MT19937RNGEngine.h), which is the standard MT19937 with the standard
 * `init_genrand` seeding.
 *
 * The state is an Int32Array so every word stays a small integer in V8's optimised code, and the
 * twist selects MATRIX_A with a mask instead of a branch (the low bit is random, so a branch
 * mispredicts half the time).
 */
export class MersenneTwister {
  private readonly words: Int32Array;
  private index: number;

  /**
   * @param seed A PyTorch seed (see {@link torchSeedToUint32}); only its low 32 bits matter.
   *   @default 5489 (the MT19937 reference seed)
   */
  constructor(seed: number | bigint = 5489) {
    this.words = new Int32Array(STATE_SIZE);
    this.index = STATE_SIZE;
    const words = this.words;
    words[0] = torchSeedToUint32(seed);
    for (let i = 1; i < STATE_SIZE; i++) {
      const previous = words[i - 1]! ^ (words[i - 1]! >>> 30);
      // Math.imul keeps the 32-bit wrap-around product of the reference C code.
      words[i] = Math.imul(INIT_MULTIPLIER, previous) + i;
    }
  }

  /** The next 32-bit output, as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    if (this.index >= STATE_SIZE) this.twist();
    return temper(this.words[this.index++]!) >>> 0;
  }

  /**
   * Fills `out` with consecutive outputs, equivalent to calling {@link nextUint32} for each
   * element but without the per-call overhead.
   */
  fillUint32(out: Uint32Array): void {
    const count = out.length;
    let filled = 0;
    while (filled < count) {
      if (this.index >= STATE_SIZE) this.twist();
      // Whole runs between twists, in a separate loop function: the hot loop then has no twist
      // check and is optimised on its own (not by on-stack replacement of this method).
      const run = Math.min(count - filled, STATE_SIZE - this.index);
      temperInto(this.words, this.index, out, filled, run);
      this.index += run;
      filled += run;
    }
  }

  /** An independent copy that continues the same stream. */
  clone(): MersenneTwister {
    const copy = new MersenneTwister(0);
    copy.words.set(this.words);
    copy.index = this.index;
    return copy;
  }

  private twist(): void {
    // MT19937's n = 624, m = 397, upper/lower masks and MATRIX_A written out: bundlers turn
    // module constants into `var`s, which V8 re-reads and re-checks on every iteration.
    const words = this.words;
    let i = 0;
    for (; i < 227; i++) {
      const y = (words[i]! & 0x80000000) | (words[i + 1]! & 0x7fffffff);
      words[i] = words[i + 397]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    for (; i < 623; i++) {
      const y = (words[i]! & 0x80000000) | (words[i + 1]! & 0x7fffffff);
      words[i] = words[i - 227]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    const y = (words[623]! & 0x80000000) | (words[0]! & 0x7fffffff);
    words[623] = words[396]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    this.index = 0;
  }
}

/** Writes the tempered `words[from, from + count)` to `out[to, to + count)`. */
function temperInto(words: Int32Array, from: number, out: Uint32Array, to: number, count: number): void {
  for (let n = 0; n < count; n++) out[to + n] = temper(words[from + n]!);
}

/** MT19937's output tempering, on a 32-bit word (signed or not: only the bits matter). */
function temper(word: number): number {
  let y = word;
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  return y ^ (y >>> 18);
}
