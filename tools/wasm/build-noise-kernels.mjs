#!/usr/bin/env node
// Writes the WebAssembly SIMD kernels behind TorchGenerator's randn (packages/core/src/noise/):
// MT19937's twist and tempering, and the twin of `normalBlocksFromWords` (box-muller-float32.ts).
// The text (noise-kernels.wat) and its binary as base64 (noise-kernels-bytes.ts) are both
// committed. Run after changing this file:
//
//   node tools/wasm/build-noise-kernels.mjs [--check]
//
// --check compares the committed files with what this script makes and exits 1 on a difference
// (a test runs it), so the binary can never drift from its source.
//
// The Box–Muller kernel repeats every rounded step of the JavaScript kernel, in the same order,
// on float64 lanes (f64x2), rounding to float32 where that calls Math.fround (a demote to f32x4
// and a promote back); float64 arithmetic and float32 rounding are the same IEEE operations in
// both languages. Its integer steps are exact float64 rewrites instead: frexp from the float64
// bits (not clz32 and tables), e·LOG_Q1 computed (not looked up), the octant, swap and signs by
// halving and flooring (not bit masks). The tests beside the kernels check all 2^24 inputs of
// each half. Two vectors (four pairs) run interleaved, statement by
// statement, as the JavaScript kernel interleaves four scalars. (Four vectors measured no
// faster, and made the binary larger than 4 KiB, the most that older Chromium versions compile
// synchronously on a page's main thread.) The twist and tempering are MT19937's integer operations, four words at
// a time; the twist's two halves read the words 397 ahead (old) and 227 behind (already new).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitModule } from './emit-module.mjs';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Both vectors' statements, A's then B's: `line('x')` gives `x` with $V → $A, then → $B. */
const both = (text) => ['A', 'B'].map((v) => text.replaceAll('$V', `$${v}`).replaceAll('@V', v)).join('\n');
const f64 = (value) => `(v128.const f64x2 ${value} ${value})`;
/** Math.fround on both lanes: demote to float32 and back. */
const fround = (expression) => `(f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero ${expression}))`;

// The constants, written as in box-muller-float32.ts (float32 values as shortest decimals).
const constants = {
  ONE: 1,
  HALF: 0.5,
  QUARTER: 0.25,
  TWO: 2,
  MINUS_TWO: -2,
  MINUS_ONE: -1,
  EXPONENT_BIAS_PLUS_23: 1046, // the stored exponent of m is 1023 + E; Cephes's e is E − 23 (+ low)
  TWO_POW_52: 4503599627370496,
  SQRT_HALF: 0.7071067690849304,
  LOG_P0: 0.07037683576345444,
  LOG_P1: 0.11514610052108765,
  LOG_P2: 0.11676998436450958,
  LOG_P3: 0.12420140951871872,
  LOG_P4: 0.14249323308467865,
  LOG_P5: 0.16668057441711426,
  LOG_P6: 0.2000071406364441,
  LOG_P7: 0.24999994039535522,
  LOG_P8: 0.3333333134651184,
  LOG_Q1: -0.00021219444170128554,
  LOG_Q2: 0.693359375,
  TWO_PI: 6.2831854820251465,
  UNIFORM_SCALE: 5.9604644775390625e-8,
  FOUR_OVER_PI: 1.2732394933700562,
  MINUS_DP1: -0.78515625,
  MINUS_DP2: -0.00024187564849853516,
  MINUS_DP3: -3.774895063202166e-8,
  COS_P0: 0.0000244331567955669,
  COS_P1: 0.0013887316454201937,
  COS_P2: 0.04166664555668831,
  SIN_P0: -0.00019515295571181923,
  SIN_P1: 0.008332161232829094,
  SIN_P2: 0.16666655242443085,
};
const c = (name) => `(local.get $${name})`;
/** Bytes of the word / normal buffer, and where the MT19937 state starts. */
const BUFFER_BYTES = 65536;
const STATE = BUFFER_BYTES;

const scalarLocals = ['p', 'end'];
const vectorLocals = [
  ...Object.keys(constants),
  'MASK24', 'TWO_POW_24', 'MANTISSA', 'EXPONENT_HALF', 'MAGIC',
  'words1', 'words2', 'm4', 'k4',
  ...['m', 'k', 'x', 'e', 'low', 'z', 'y', 'radius', 'a', 'q', 'w', 'cos', 'sin', 'h', 'swap', 'g', 'sign1', 'sign2', 'out1', 'out2'].flatMap((name) => [`${name}A`, `${name}B`]),
];

const body = `
    ;; Both uniforms of all four pairs are read before any output overwrites them.
    (local.set $words1 (v128.load (local.get $p)))
    (local.set $words2 (v128.load offset=32 (local.get $p)))
    ;; u1 = 1 - k*2^-24 is m*2^-24 with the integer m = 2^24 - k in [1, 2^24]; u2 = k*2^-24.
    (local.set $m4 (i32x4.sub ${c('TWO_POW_24')} (v128.and (local.get $words1) ${c('MASK24')})))
    (local.set $k4 (v128.and (local.get $words2) ${c('MASK24')}))
    (local.set $mA (f64x2.convert_low_i32x4_s (local.get $m4)))
    (local.set $mB (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m4) (local.get $m4))))
    (local.set $kA (f64x2.convert_low_i32x4_s (local.get $k4)))
    (local.set $kB (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $k4) (local.get $k4))))

    ;; frexp: m = x*2^(E+1) with x in [0.5, 1), from m's float64 bits. Below sqrt(1/2) Cephes
    ;; doubles x and takes one off the exponent; x - 1 (or 2x - 1) and e = E - 23 (+ low) are exact.
${both(`    (local.set $x@V (v128.or (v128.and (local.get $m@V) ${c('MANTISSA')}) ${c('EXPONENT_HALF')}))`)}
${both(`    (local.set $low@V (f64x2.lt (local.get $x@V) ${c('SQRT_HALF')}))`)}
${both(`    (local.set $e@V (f64x2.add
      (f64x2.sub (f64x2.sub (v128.or (i64x2.shr_u (local.get $m@V) (i32.const 52)) ${c('MAGIC')}) ${c('TWO_POW_52')}) ${c('EXPONENT_BIAS_PLUS_23')})
      (v128.and (local.get $low@V) ${c('MINUS_ONE')})))`)}
${both(`    (local.set $x@V (f64x2.sub (f64x2.add (local.get $x@V) (v128.and (local.get $x@V) (local.get $low@V))) ${c('ONE')}))`)}
${both(`    (local.set $z@V ${fround('(f64x2.mul (local.get $x@V) (local.get $x@V))')})`)}
    ;; Horner on LOG_P0 ... LOG_P8, then LOG_Q1 and LOG_Q2.
${both(`    (local.set $y@V ${fround(`(f64x2.sub (f64x2.mul ${c('LOG_P0')} (local.get $x@V)) ${c('LOG_P1')})`)})`)}
${[['add', 'LOG_P2'], ['sub', 'LOG_P3'], ['add', 'LOG_P4'], ['sub', 'LOG_P5'], ['add', 'LOG_P6'], ['sub', 'LOG_P7'], ['add', 'LOG_P8']]
  .map(([op, k]) => both(`    (local.set $y@V ${fround(`(f64x2.${op} (f64x2.mul (local.get $y@V) (local.get $x@V)) ${c(k)})`)})`))
  .join('\n')}
${both(`    (local.set $y@V ${fround('(f64x2.mul (local.get $y@V) (local.get $x@V))')})`)}
${both(`    (local.set $y@V ${fround(`(f64x2.add (f64x2.mul (local.get $y@V) (local.get $z@V)) ${fround(`(f64x2.mul (local.get $e@V) ${c('LOG_Q1')})`)})`)})`)}
${both(`    (local.set $y@V ${fround(`(f64x2.sub (local.get $y@V) (f64x2.mul (local.get $z@V) ${c('HALF')}))`)})`)}
${both(`    (local.set $radius@V ${fround(`(f64x2.sqrt (f64x2.mul ${c('MINUS_TWO')} ${fround(`(f64x2.add (f64x2.mul (local.get $e@V) ${c('LOG_Q2')}) ${fround('(f64x2.add (local.get $x@V) (local.get $y@V))')})`)}))`)})`)}

    ;; sin and cos of theta = 2pi*u2: octant q (even, 0 ... 8), Cody-Waite reduction, polynomials.
${both(`    (local.set $a@V ${fround(`(f64x2.mul ${c('TWO_PI')} (f64x2.mul (local.get $k@V) ${c('UNIFORM_SCALE')}))`)})`)}
    ;; q = ((t | 0) + 1) & ~1 for t = round32(a*4/pi) >= 0, as 2*floor((floor(t) + 1)/2) (exact).
${both(`    (local.set $q@V (f64x2.mul ${c('TWO')} (f64x2.floor (f64x2.mul (f64x2.add (f64x2.floor ${fround(`(f64x2.mul (local.get $a@V) ${c('FOUR_OVER_PI')})`)}) ${c('ONE')}) ${c('HALF')}))))`)}
${both(`    (local.set $a@V ${fround(`(f64x2.add (f64x2.mul (local.get $q@V) ${c('MINUS_DP3')}) (f64x2.add (f64x2.mul (local.get $q@V) ${c('MINUS_DP2')}) (f64x2.add (f64x2.mul (local.get $q@V) ${c('MINUS_DP1')}) (local.get $a@V))))`)})`)}
${both(`    (local.set $w@V ${fround('(f64x2.mul (local.get $a@V) (local.get $a@V))')})`)}
${both(`    (local.set $cos@V ${fround(`(f64x2.sub (f64x2.mul ${c('COS_P0')} (local.get $w@V)) ${c('COS_P1')})`)})`)}
${both(`    (local.set $sin@V ${fround(`(f64x2.add (f64x2.mul ${c('SIN_P0')} (local.get $w@V)) ${c('SIN_P1')})`)})`)}
${both(`    (local.set $cos@V ${fround(`(f64x2.add (f64x2.mul (local.get $cos@V) (local.get $w@V)) ${c('COS_P2')})`)})`)}
${both(`    (local.set $sin@V ${fround(`(f64x2.sub (f64x2.mul (local.get $sin@V) (local.get $w@V)) ${c('SIN_P2')})`)})`)}
${both(`    (local.set $cos@V ${fround('(f64x2.mul (local.get $cos@V) (local.get $w@V))')})`)}
${both(`    (local.set $sin@V ${fround('(f64x2.mul (local.get $sin@V) (local.get $w@V))')})`)}
${both(`    (local.set $cos@V ${fround(`(f64x2.add ${fround(`(f64x2.sub (f64x2.mul (local.get $cos@V) (local.get $w@V)) (f64x2.mul (local.get $w@V) ${c('HALF')}))`)} ${c('ONE')})`)})`)}
${both(`    (local.set $sin@V ${fround('(f64x2.add (f64x2.mul (local.get $sin@V) (local.get $a@V)) (local.get $a@V))')})`)}

    ;; Octants 2 and 6 swap sin and cos: swap = bit 1 of q; the signs are 1 - 2*(bit 2) of q + 2
    ;; and of q. Bits of these small even integers by halving and flooring (exact).
${both(`    (local.set $h@V (f64x2.mul (local.get $q@V) ${c('HALF')}))`)}
${both(`    (local.set $swap@V (f64x2.sub (local.get $h@V) (f64x2.mul ${c('TWO')} (f64x2.floor (f64x2.mul (local.get $h@V) ${c('HALF')})))))`)}
${both(`    (local.set $g@V (f64x2.floor (f64x2.mul (f64x2.add (local.get $q@V) ${c('TWO')}) ${c('QUARTER')})))`)}
${both(`    (local.set $sign1@V (f64x2.sub ${c('ONE')} (f64x2.mul ${c('TWO')} (f64x2.sub (local.get $g@V) (f64x2.mul ${c('TWO')} (f64x2.floor (f64x2.mul (local.get $g@V) ${c('HALF')})))))))`)}
${both(`    (local.set $g@V (f64x2.floor (f64x2.mul (local.get $q@V) ${c('QUARTER')})))`)}
${both(`    (local.set $sign2@V (f64x2.sub ${c('ONE')} (f64x2.mul ${c('TWO')} (f64x2.sub (local.get $g@V) (f64x2.mul ${c('TWO')} (f64x2.floor (f64x2.mul (local.get $g@V) ${c('HALF')})))))))`)}
    ;; radius*sign*(sin*swap + cos*(1 - swap)) + 0, as the JavaScript kernel writes it (the + 0
    ;; turns -0 into +0); the float32 store rounds the exact product once.
${both(`    (local.set $out1@V (f64x2.add (f64x2.mul (f64x2.mul (local.get $radius@V) (local.get $sign1@V))
      (f64x2.add (f64x2.mul (local.get $sin@V) (local.get $swap@V)) (f64x2.mul (local.get $cos@V) (f64x2.sub ${c('ONE')} (local.get $swap@V))))) (v128.const f64x2 0 0)))`)}
${both(`    (local.set $out2@V (f64x2.add (f64x2.mul (f64x2.mul (local.get $radius@V) (local.get $sign2@V))
      (f64x2.add (f64x2.mul (local.get $cos@V) (local.get $swap@V)) (f64x2.mul (local.get $sin@V) (f64x2.sub ${c('ONE')} (local.get $swap@V))))) (v128.const f64x2 0 0)))`)}
    (v128.store (local.get $p) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $out1A)) (f32x4.demote_f64x2_zero (local.get $out1B))))
    (v128.store offset=32 (local.get $p) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $out2A)) (f32x4.demote_f64x2_zero (local.get $out2B))))`;

/** One twist step on four words at byte $p, the fourth operand 4·offset bytes away (+397 or −227). */
const twistVector = (offset) => `
      (local.set $y (v128.or (v128.and (v128.load (local.get $p)) ${c('UPPER')}) (v128.and (v128.load offset=4 (local.get $p)) ${c('LOWER')})))
      (v128.store (local.get $p) (v128.xor (v128.xor
        (v128.load ${offset > 0 ? `offset=${4 * offset} (local.get $p)` : `(i32.sub (local.get $p) (i32.const ${-4 * offset}))`})
        (i32x4.shr_u (local.get $y) (i32.const 1)))
        (v128.and (i32x4.sub (v128.const i32x4 0 0 0 0) (v128.and (local.get $y) ${c('ONE_BIT')})) ${c('MATRIX_A')})))`;
/** The same on one word (the three before the wrap-around and the last). */
const twistScalar = (at, next, other) => `
    (local.set $s (i32.or (i32.and (i32.load offset=${STATE + 4 * at} (i32.const 0)) (i32.const 0x80000000)) (i32.and (i32.load offset=${STATE + 4 * next} (i32.const 0)) (i32.const 0x7fffffff))))
    (i32.store offset=${STATE + 4 * at} (i32.const 0) (i32.xor (i32.xor (i32.load offset=${STATE + 4 * other} (i32.const 0)) (i32.shr_u (local.get $s) (i32.const 1)))
      (i32.and (i32.sub (i32.const 0) (i32.and (local.get $s) (i32.const 1))) (i32.const 0x9908b0df))))`;
const temperScalar = `
      (local.set $s (i32.load (local.get $p)))
      (local.set $s (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 11))))
      (local.set $s (i32.xor (local.get $s) (i32.and (i32.shl (local.get $s) (i32.const 7)) (i32.const 0x9d2c5680))))
      (local.set $s (i32.xor (local.get $s) (i32.and (i32.shl (local.get $s) (i32.const 15)) (i32.const 0xefc60000))))
      (i32.store (local.get $to) (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 18))))`;

const wat = `;;
;; The kernels behind TorchGenerator's randn (torch-generator.ts). Memory, two 64 KiB pages:
;; bytes [0, ${BUFFER_BYTES}) hold ${BUFFER_BYTES / 4} words or float32 normals, bytes [${STATE}, ${STATE + 2496}) the 624 words of
;; an MT19937 state (the caller copies a generator's state in and back out).
(module
  (memory (export "memory") 2 2)

  ;; MT19937's twist of the state (MersenneTwister.twist in mersenne-twister.ts).
  (func (export "twist")
    (local $p i32) (local $s i32) (local $y v128)
    (local $UPPER v128) (local $LOWER v128) (local $ONE_BIT v128) (local $MATRIX_A v128)
    (local.set $UPPER (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $LOWER (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $ONE_BIT (v128.const i32x4 1 1 1 1))
    (local.set $MATRIX_A (v128.const i32x4 0x9908b0df 0x9908b0df 0x9908b0df 0x9908b0df))
    ;; Words 0 ... 223 with words 397 ahead (not yet twisted).
    (local.set $p (i32.const ${STATE}))
    (loop $ahead${twistVector(397)}
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $ahead (i32.lt_u (local.get $p) (i32.const ${STATE + 4 * 224}))))
    ;; Words 224 ... 226, whose partners 621 ... 623 end the state.${twistScalar(224, 225, 621)}${twistScalar(225, 226, 622)}${twistScalar(226, 227, 623)}
    ;; Words 227 ... 622 with words 227 behind (already twisted).
    (local.set $p (i32.const ${STATE + 4 * 227}))
    (loop $behind${twistVector(-227)}
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $behind (i32.lt_u (local.get $p) (i32.const ${STATE + 4 * 623}))))
    ;; Word 623 wraps around to word 0.${twistScalar(623, 0, 396)})

  ;; Writes the tempered state words [from, from + count) to bytes [4*to, 4*(to + count)).
  (func (export "temper") (param $from i32) (param $to i32) (param $count i32)
    (local $p i32) (local $end i32) (local $s i32) (local $y v128)
    (local.set $p (i32.add (i32.const ${STATE}) (i32.shl (local.get $from) (i32.const 2))))
    (local.set $to (i32.shl (local.get $to) (i32.const 2)))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $tail
      (loop $vectors
        (br_if $tail (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $y (v128.load (local.get $p)))
        (local.set $y (v128.xor (local.get $y) (i32x4.shr_u (local.get $y) (i32.const 11))))
        (local.set $y (v128.xor (local.get $y) (v128.and (i32x4.shl (local.get $y) (i32.const 7)) (v128.const i32x4 0x9d2c5680 0x9d2c5680 0x9d2c5680 0x9d2c5680))))
        (local.set $y (v128.xor (local.get $y) (v128.and (i32x4.shl (local.get $y) (i32.const 15)) (v128.const i32x4 0xefc60000 0xefc60000 0xefc60000 0xefc60000))))
        (v128.store (local.get $to) (v128.xor (local.get $y) (i32x4.shr_u (local.get $y) (i32.const 18))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $to (i32.add (local.get $to) (i32.const 16)))
        (br $vectors)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))${temperScalar}
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $to (i32.add (local.get $to) (i32.const 4)))
        (br $words))))

  ;; PyTorch's normal_fill_16_AVX2 on raw MT19937 words, in place: turns the words in bytes
  ;; [0, 4*count) into normals, 16 at a time (count a multiple of 16). See normalBlocksFromWords.
  (func (export "normals") (param $count i32)
${scalarLocals.map((name) => `    (local $${name} i32)`).join('\n')}
${vectorLocals.map((name) => `    (local $${name} v128)`).join('\n')}
${Object.entries(constants).map(([name, value]) => `    (local.set $${name} ${f64(value)})`).join('\n')}
    (local.set $MASK24 (v128.const i32x4 0xffffff 0xffffff 0xffffff 0xffffff))
    (local.set $TWO_POW_24 (v128.const i32x4 0x1000000 0x1000000 0x1000000 0x1000000))
    (local.set $MANTISSA (v128.const i64x2 0x000fffffffffffff 0x000fffffffffffff))
    ;; The exponent field of 0.5, and of 2^52 (whose low bits then hold a small integer).
    (local.set $EXPONENT_HALF (v128.const i64x2 0x3fe0000000000000 0x3fe0000000000000))
    (local.set $MAGIC (v128.const i64x2 0x4330000000000000 0x4330000000000000))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done
      (loop $groups
        ;; Each block of 16 words is two groups of four pairs (words j ... j + 3 with j + 8 ... j + 11).
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
${body.replaceAll('\n    ', '\n        ')}
        ;; The next group: 16 bytes on within a block, then on to the next block.
        (local.set $p (i32.add (local.get $p) (select (i32.const 16) (i32.const 48) (i32.eqz (i32.and (local.get $p) (i32.const 16))))))
        (br $groups)))))
`;

await emitModule({
  script: 'tools/wasm/build-noise-kernels.mjs',
  wat,
  watPath: resolve(repository, 'packages/core/src/noise/noise-kernels.wat'),
  bytesPath: resolve(repository, 'packages/core/src/noise/noise-kernels-bytes.ts'),
  constant: 'NOISE_KERNELS_WASM',
});
