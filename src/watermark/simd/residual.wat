;; Tracemark watermark: the full-resolution add of the upsampled residual, in WebAssembly SIMD.
;; Source of residual-wasm.ts (regenerate with `node scripts/build-wasm.mjs`).
;;
;; blend_row(a, b, fy, n, dst): dst[i] = clamp_i8(round(a[i] + (b[i] - a[i]) * fy)) for i < n (n a multiple of 16):
;;   the vertical half of the bilinear upsampling, from two horizontally widened f32 rows to one i8 delta row.
;; add_rgb(px, d, n): px[3i + c] = clamp_u8(px[3i + c] + d[i]) for c < 3, i < n (n a multiple of 16), in place.
;; add_rgba(px, d, n): the same for 4-byte pixels; alpha untouched.
(module
  (memory (export "memory") 1)
  (func (export "blend_row") (param $a i32) (param $b i32) (param $fy f32) (param $n i32) (param $dst i32)
    (local $i i32) (local $f v128) (local $va v128) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $f (f32x4.splat (local.get $fy)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; four groups of 4 floats → four i32x4 → two i16x8 → one i8x16
        (local.set $va (v128.load offset=0 (local.get $a)))
        (local.set $v0 (i32x4.trunc_sat_f32x4_s (f32x4.nearest
          (f32x4.add (local.get $va) (f32x4.mul (f32x4.sub (v128.load offset=0 (local.get $b)) (local.get $va)) (local.get $f))))))
        (local.set $va (v128.load offset=16 (local.get $a)))
        (local.set $v1 (i32x4.trunc_sat_f32x4_s (f32x4.nearest
          (f32x4.add (local.get $va) (f32x4.mul (f32x4.sub (v128.load offset=16 (local.get $b)) (local.get $va)) (local.get $f))))))
        (local.set $va (v128.load offset=32 (local.get $a)))
        (local.set $v2 (i32x4.trunc_sat_f32x4_s (f32x4.nearest
          (f32x4.add (local.get $va) (f32x4.mul (f32x4.sub (v128.load offset=32 (local.get $b)) (local.get $va)) (local.get $f))))))
        (local.set $va (v128.load offset=48 (local.get $a)))
        (local.set $v3 (i32x4.trunc_sat_f32x4_s (f32x4.nearest
          (f32x4.add (local.get $va) (f32x4.mul (f32x4.sub (v128.load offset=48 (local.get $b)) (local.get $va)) (local.get $f))))))
        (v128.store (local.get $dst)
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s (local.get $v0) (local.get $v1))
            (i16x8.narrow_i32x4_s (local.get $v2) (local.get $v3))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
  (func (export "add_rgb") (param $px i32) (param $d i32) (param $n i32)
    (local $i i32) (local $dv v128) (local $pos v128) (local $neg v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $dv (v128.load (local.get $d)))
        (local.set $pos (i8x16.max_s (local.get $dv) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))
        (local.set $neg (i8x16.max_s (i8x16.neg (local.get $dv)) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))
        ;; 16 pixels = 48 bytes = three vectors; each byte takes its pixel's delta.
        (v128.store offset=0 (local.get $px) (i8x16.sub_sat_u
          (i8x16.add_sat_u (v128.load offset=0 (local.get $px))
            (i8x16.swizzle (local.get $pos) (v128.const i8x16 0 0 0 1 1 1 2 2 2 3 3 3 4 4 4 5)))
          (i8x16.swizzle (local.get $neg) (v128.const i8x16 0 0 0 1 1 1 2 2 2 3 3 3 4 4 4 5))))
        (v128.store offset=16 (local.get $px) (i8x16.sub_sat_u
          (i8x16.add_sat_u (v128.load offset=16 (local.get $px))
            (i8x16.swizzle (local.get $pos) (v128.const i8x16 5 5 6 6 6 7 7 7 8 8 8 9 9 9 10 10)))
          (i8x16.swizzle (local.get $neg) (v128.const i8x16 5 5 6 6 6 7 7 7 8 8 8 9 9 9 10 10))))
        (v128.store offset=32 (local.get $px) (i8x16.sub_sat_u
          (i8x16.add_sat_u (v128.load offset=32 (local.get $px))
            (i8x16.swizzle (local.get $pos) (v128.const i8x16 10 11 11 11 12 12 12 13 13 13 14 14 14 15 15 15)))
          (i8x16.swizzle (local.get $neg) (v128.const i8x16 10 11 11 11 12 12 12 13 13 13 14 14 14 15 15 15))))
        (local.set $px (i32.add (local.get $px) (i32.const 48)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
  (func (export "add_rgba") (param $px i32) (param $d i32) (param $n i32)
    (local $i i32) (local $dv v128) (local $pos v128) (local $neg v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $dv (v128.load (local.get $d)))
        (local.set $pos (i8x16.max_s (local.get $dv) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))
        (local.set $neg (i8x16.max_s (i8x16.neg (local.get $dv)) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))
        ;; lane index 16 (out of range) gives 0: alpha gets no delta.
        (v128.store offset=0 (local.get $px) (i8x16.sub_sat_u
          (i8x16.add_sat_u (v128.load offset=0 (local.get $px))
            (i8x16.swizzle (local.get $pos) (v128.const i8x16 0 0 0 16 1 1 1 16 2 2 2 16 3 3 3 16)))
          (i8x16.swizzle (local.get $neg) (v128.const i8x16 0 0 0 16 1 1 1 16 2 2 2 16 3 3 3 16))))
        (v128.store offset=16 (local.get $px) (i8x16.sub_sat_u
          (i8x16.add_sat_u (v128.load offset=16 (local.get $px))
            (i8x16.swizzle (local.get $pos) (v128.const i8x16 4 4 4 16 5 5 5 16 6 6 6 16 7 7 7 16)))
          (i8x16.swizzle (local.get $neg) (v128.const i8x16 4 4 4 16 5 5 5 16 6 6 6 16 7 7 7 16))))
        (v128.store offset=32 (local.get $px) (i8x16.sub_sat_u
          (i8x16.add_sat_u (v128.load offset=32 (local.get $px))
            (i8x16.swizzle (local.get $pos) (v128.const i8x16 8 8 8 16 9 9 9 16 10 10 10 16 11 11 11 16)))
          (i8x16.swizzle (local.get $neg) (v128.const i8x16 8 8 8 16 9 9 9 16 10 10 10 16 11 11 11 16))))
        (v128.store offset=48 (local.get $px) (i8x16.sub_sat_u
          (i8x16.add_sat_u (v128.load offset=48 (local.get $px))
            (i8x16.swizzle (local.get $pos) (v128.const i8x16 12 12 12 16 13 13 13 16 14 14 14 16 15 15 15 16)))
          (i8x16.swizzle (local.get $neg) (v128.const i8x16 12 12 12 16 13 13 13 16 14 14 14 16 15 15 15 16))))
        (local.set $px (i32.add (local.get $px) (i32.const 64)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
)
