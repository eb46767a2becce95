;; Tracemark watermark: the 64×64 complex 2-D FFT of the tile correlation, in WebAssembly (f64x2 SIMD).
;; Source of fft-wasm.ts (regenerate with `node scripts/build-wasm.mjs`). Same algorithm and twiddles as fft.ts
;; (radix-2, bit reversal, the twiddle tables of fft.ts filled in by the caller), every butterfly the same arithmetic,
;; so the result is the same numbers as fft2 in fft.ts; two columns per step.
;;
;; Layout (bytes): the caller passes re/im arrays of 64×64 f64 (row-major) and a 64 KiB scratch; the tables live at
;; $tab: cos[32] f64, sin[32] f64 (sin as stored by fft.ts, i.e. −sin), rev[64] i32.
;;
;; fft2(re, im, tmp, tab, inverse): rows, then columns (as fft.ts fft2 for arrays of ≤ 64×64).
(module
  (memory (export "memory") 1)

  ;; 64-point FFTs of all 64 columns of the 64×64 arrays at re/im, two adjacent columns per vector.
  (func $cols (param $re i32) (param $im i32) (param $tab i32) (param $inverse i32)
    (local $i i32) (local $j i32) (local $x i32) (local $a i32) (local $b i32) (local $t v128) (local $u v128)
    (local $size i32) (local $half i32) (local $step i32) (local $k i32) (local $start i32)
    (local $wr v128) (local $wi v128) (local $br v128) (local $bi v128) (local $xr v128) (local $xi v128)
    (local $ar v128) (local $ai v128) (local $sgn f64)
    ;; bit reversal: swap rows i and rev[i] (j > i)
    (block $rev_done
      (loop $rev
        (br_if $rev_done (i32.ge_u (local.get $i) (i32.const 64)))
        (local.set $j (i32.load (i32.add (i32.add (local.get $tab) (i32.const 512)) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.gt_u (local.get $j) (local.get $i))
          (then
            (local.set $x (i32.const 0))
            (block $sw_done
              (loop $sw
                (br_if $sw_done (i32.ge_u (local.get $x) (i32.const 512)))
                (local.set $a (i32.add (i32.shl (local.get $i) (i32.const 9)) (local.get $x)))
                (local.set $b (i32.add (i32.shl (local.get $j) (i32.const 9)) (local.get $x)))
                (local.set $t (v128.load (i32.add (local.get $re) (local.get $a))))
                (v128.store (i32.add (local.get $re) (local.get $a)) (v128.load (i32.add (local.get $re) (local.get $b))))
                (v128.store (i32.add (local.get $re) (local.get $b)) (local.get $t))
                (local.set $t (v128.load (i32.add (local.get $im) (local.get $a))))
                (v128.store (i32.add (local.get $im) (local.get $a)) (v128.load (i32.add (local.get $im) (local.get $b))))
                (v128.store (i32.add (local.get $im) (local.get $b)) (local.get $t))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))
                (br $sw)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rev)))
    (local.set $sgn (select (f64.const -1) (f64.const 1) (local.get $inverse)))
    (local.set $size (i32.const 2))
    (block $stages_done
      (loop $stages
        (br_if $stages_done (i32.gt_u (local.get $size) (i32.const 64)))
        (local.set $half (i32.shr_u (local.get $size) (i32.const 1)))
        (local.set $step (i32.div_u (i32.const 64) (local.get $size)))
        (local.set $k (i32.const 0))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.ge_u (local.get $k) (local.get $half)))
            (local.set $wr (f64x2.splat (f64.load (i32.add (local.get $tab) (i32.shl (i32.mul (local.get $k) (local.get $step)) (i32.const 3))))))
            (local.set $wi (f64x2.splat (f64.mul (local.get $sgn)
              (f64.load (i32.add (i32.add (local.get $tab) (i32.const 256)) (i32.shl (i32.mul (local.get $k) (local.get $step)) (i32.const 3)))))))
            (local.set $start (i32.const 0))
            (block $s_done
              (loop $ss
                (br_if $s_done (i32.ge_u (local.get $start) (i32.const 64)))
                ;; rows a = start + k, b = a + half; all 32 column pairs
                (local.set $a (i32.shl (i32.add (local.get $start) (local.get $k)) (i32.const 9)))
                (local.set $b (i32.add (local.get $a) (i32.shl (local.get $half) (i32.const 9))))
                (local.set $x (i32.const 0))
                (block $x_done
                  (loop $xs
                    (br_if $x_done (i32.ge_u (local.get $x) (i32.const 512)))
                    (local.set $br (v128.load (i32.add (local.get $re) (i32.add (local.get $b) (local.get $x)))))
                    (local.set $bi (v128.load (i32.add (local.get $im) (i32.add (local.get $b) (local.get $x)))))
                    (local.set $xr (f64x2.sub (f64x2.mul (local.get $br) (local.get $wr)) (f64x2.mul (local.get $bi) (local.get $wi))))
                    (local.set $xi (f64x2.add (f64x2.mul (local.get $br) (local.get $wi)) (f64x2.mul (local.get $bi) (local.get $wr))))
                    (local.set $ar (v128.load (i32.add (local.get $re) (i32.add (local.get $a) (local.get $x)))))
                    (local.set $ai (v128.load (i32.add (local.get $im) (i32.add (local.get $a) (local.get $x)))))
                    (v128.store (i32.add (local.get $re) (i32.add (local.get $b) (local.get $x))) (f64x2.sub (local.get $ar) (local.get $xr)))
                    (v128.store (i32.add (local.get $im) (i32.add (local.get $b) (local.get $x))) (f64x2.sub (local.get $ai) (local.get $xi)))
                    (v128.store (i32.add (local.get $re) (i32.add (local.get $a) (local.get $x))) (f64x2.add (local.get $ar) (local.get $xr)))
                    (v128.store (i32.add (local.get $im) (i32.add (local.get $a) (local.get $x))) (f64x2.add (local.get $ai) (local.get $xi)))
                    (local.set $x (i32.add (local.get $x) (i32.const 16)))
                    (br $xs)))
                (local.set $start (i32.add (local.get $start) (local.get $size)))
                (br $ss)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $ks)))
        (local.set $size (i32.shl (local.get $size) (i32.const 1)))
        (br $stages))))

  ;; 64×64 f64 transpose src → dst.
  (func $transpose (param $src i32) (param $dst i32)
    (local $y i32) (local $x i32)
    (block $y_done
      (loop $ys
        (br_if $y_done (i32.ge_u (local.get $y) (i32.const 64)))
        (local.set $x (i32.const 0))
        (block $x_done
          (loop $xs
            (br_if $x_done (i32.ge_u (local.get $x) (i32.const 64)))
            (f64.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.shl (local.get $x) (i32.const 6)) (local.get $y)) (i32.const 3)))
              (f64.load (i32.add (local.get $src) (i32.shl (i32.add (i32.shl (local.get $y) (i32.const 6)) (local.get $x)) (i32.const 3)))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xs)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $ys))))

  (func (export "fft2") (param $re i32) (param $im i32) (param $tmp i32) (param $tab i32) (param $inverse i32)
    ;; rows: as columns of the transposed arrays
    (call $transpose (local.get $re) (local.get $tmp))
    (call $transpose (local.get $im) (i32.add (local.get $tmp) (i32.const 32768)))
    (call $cols (local.get $tmp) (i32.add (local.get $tmp) (i32.const 32768)) (local.get $tab) (local.get $inverse))
    (call $transpose (local.get $tmp) (local.get $re))
    (call $transpose (i32.add (local.get $tmp) (i32.const 32768)) (local.get $im))
    ;; columns
    (call $cols (local.get $re) (local.get $im) (local.get $tab) (local.get $inverse)))
)
