#!/usr/bin/env node
// Writes the WebAssembly SIMD twins of the float → byte kernels of `tensorToImages`
// (packages/core/src/image/image-tensor.ts): planar float32 R, G, B in, interleaved RGB bytes
// out, `round(255·clip(f32(x + add)·scale))` half to even, or truncated toward zero. The text
// (pixel-kernels.wat) and its binary (pixel-kernels-bytes.ts) are committed. Run after
// changing this file:
//
//   node tools/wasm/build-pixel-kernels.mjs [--check]
//
// Each step is a float32 operation: f32x4.add is the JavaScript's f32(x + add); the product by
// scale (0.5 or 1, the two ranges) is exact, where the JavaScript keeps it in float64 (they
// differ only below the smallest normal float32, where both give byte 0); the product by 255 is
// the JavaScript's f32(c·255) (an exact float64 product rounded once); the clip is pmax/pmin,
// which send NaN to 0 as the JavaScript comparisons do; f32x4.nearest rounds half to even as
// 2^52 + x − 2^52 does. Both kernels are non-decreasing in x, as are the JavaScript ones, so the test beside
// them compares them at every threshold between two bytes, in float order.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitModule } from './emit-module.mjs';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Pixels per call: three float32 planes of this many values, then three bytes per pixel. */
const CHUNK = 4096;
const PLANE = 4 * CHUNK;
const OUT = 3 * PLANE;

/**
 * The two shuffles that put 16 bytes of the interleaved output together from the channel
 * vectors $r, $g, $b: output byte n of group `part` (0–2) is channel (16·part + n) % 3 of pixel
 * ⌊(16·part + n)/3⌋.
 */
function interleave(part) {
  const sources = Array.from({ length: 16 }, (_, n) => {
    const index = 16 * part + n;
    return { channel: index % 3, pixel: Math.floor(index / 3) };
  });
  // First R and G into place (B's bytes: any lane), then B over them.
  const first = sources.map(({ channel, pixel }) => (channel === 0 ? pixel : channel === 1 ? 16 + pixel : 0));
  const second = sources.map(({ channel, pixel }, n) => (channel === 2 ? 16 + pixel : n));
  return `(i8x16.shuffle ${second.join(' ')} (i8x16.shuffle ${first.join(' ')} (local.get $r) (local.get $g)) (local.get $b))`;
}

/** Bytes of one channel's 16 pixels, from its plane at byte `plane`. */
const channel = (plane, rounded) => {
  const quarter = (offset) => {
    let value = `(f32x4.mul (f32x4.pmin (local.get $ONE) (f32x4.pmax (local.get $ZERO) (f32x4.mul (f32x4.add (v128.load offset=${plane + offset} (local.get $p)) (local.get $add)) (local.get $scale)))) (local.get $F255))`;
    if (rounded) value = `(f32x4.nearest ${value})`;
    return `(i32x4.trunc_sat_f32x4_u ${value})`;
  };
  return `(i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u ${quarter(0)} ${quarter(16)}) (i16x8.narrow_i32x4_u ${quarter(32)} ${quarter(48)}))`;
};

const kernel = (name, rounded) => `
  ;; Pixels [0, count) (count a multiple of 16, at most ${CHUNK}): planes R, G, B at bytes 0, ${PLANE},
  ;; ${2 * PLANE}; the RGB bytes go to byte ${OUT}. ${rounded ? 'Rounded half to even' : 'Truncated toward zero'}.
  (func (export "${name}") (param $count i32) (param $addIn f32) (param $scaleIn f32)
    (local $p i32) (local $to i32) (local $end i32)
    (local $add v128) (local $scale v128) (local $ZERO v128) (local $ONE v128) (local $F255 v128)
    (local $r v128) (local $g v128) (local $b v128)
    (local.set $add (f32x4.splat (local.get $addIn)))
    (local.set $scale (f32x4.splat (local.get $scaleIn)))
    (local.set $ZERO (v128.const f32x4 0 0 0 0))
    (local.set $ONE (v128.const f32x4 1 1 1 1))
    (local.set $F255 (v128.const f32x4 255 255 255 255))
    (local.set $to (i32.const ${OUT}))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done
      (loop $pixels
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $r ${channel(0, rounded)})
        (local.set $g ${channel(PLANE, rounded)})
        (local.set $b ${channel(2 * PLANE, rounded)})
        (v128.store (local.get $to) ${interleave(0)})
        (v128.store offset=16 (local.get $to) ${interleave(1)})
        (v128.store offset=32 (local.get $to) ${interleave(2)})
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $to (i32.add (local.get $to) (i32.const 48)))
        (br $pixels))))`;

const wat = `;;
;; Float32 image planes to RGB bytes for tensorToImages (image-tensor.ts). Memory: one 64 KiB
;; page: three planes of ${CHUNK} float32 values, then ${3 * CHUNK} bytes of interleaved RGB.
(module
  (memory (export "memory") 1 1)
${kernel('rounded', true)}
${kernel('truncated', false)})
`;

await emitModule({
  script: 'tools/wasm/build-pixel-kernels.mjs',
  wat,
  watPath: resolve(repository, 'packages/core/src/image/pixel-kernels.wat'),
  bytesPath: resolve(repository, 'packages/core/src/image/pixel-kernels-bytes.ts'),
  constant: 'PIXEL_KERNELS_WASM',
});
