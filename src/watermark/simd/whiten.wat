;; Tracemark watermark: detection whitening + fold of one canonical image, in WebAssembly (f64x2 SIMD).
;; Source of whiten-wasm.ts (regenerate with `node scripts/build-wasm.mjs`). Every function repeats the arithmetic of
;; the JS path in whiten.ts operation for operation, in f64 with f32 stores, so the results are the same numbers.
;;
;; hbox(src, dst, W, H, r, recip): horizontal box mean of radius r over f32 rows (window clipped and renormalised at
;;   the row ends; needs W > 2r + 1), sliding f64 sum, dst = f32(sum · recip[count]).
;; vbox(src, dst, W, H, r, col, recip): the vertical box mean, row by row over f64 per-column running sums at `col`
;;   (needs H > r), two columns per step.
;; dsq(p, m, d, sq, n): d = f32(p − m), sq = f32(d · d).
;; sample(src, W, H, a, b, c, d, e, f, w, h, out, first, last): bilinear samples of the W×H f32 plane at
;;   (a·u + b·v + c, d·u + e·v + f) on a w×h grid (coordinates stepped by adding a, d along a row), 0 outside; each
;;   row's first/last valid u; returns 1 when every row's valid samples are one interval (as image/resample.ts
;;   sampleAffine computes them).
;; sample2(…): the same, two rows per step (lanes of f64x2), the odd last row by sample.
;; fold2(d, e, W, H, lo, hi, eps, clip, fold): for x in [lo[y], hi[y]] of each row y:
;;   v = clamp(d / (sqrt(max(0, e)) + eps)², ±clip); fold[(y & 63)·64 + (x & 63)] += f32(v)  (fold: f64[4096]).
(module
  (memory (export "memory") 1)

  (func (export "hbox") (param $src i32) (param $dst i32) (param $W i32) (param $H i32) (param $r i32) (param $recip i32)
    (local $y i32) (local $x i32) (local $row i32) (local $s f64) (local $n i32) (local $inv f64) (local $end i32)
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $H)))
        (local.set $row (i32.mul (i32.mul (local.get $y) (local.get $W)) (i32.const 4)))
        ;; lead-in: the first r values
        (local.set $s (f64.const 0))
        (local.set $x (i32.const 0))
        (block $lead_done
          (loop $lead
            (br_if $lead_done (i32.ge_u (local.get $x) (local.get $r)))
            (local.set $s (f64.add (local.get $s)
              (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $src) (local.get $row)) (i32.shl (local.get $x) (i32.const 2)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $lead)))
        (local.set $n (local.get $r))
        ;; x = 0 … r: the window grows on the right
        (local.set $x (i32.const 0))
        (block $grow_done
          (loop $grow
            (br_if $grow_done (i32.gt_u (local.get $x) (local.get $r)))
            (local.set $s (f64.add (local.get $s)
              (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $src) (local.get $row))
                (i32.shl (i32.add (local.get $x) (local.get $r)) (i32.const 2)))))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (f32.store (i32.add (i32.add (local.get $dst) (local.get $row)) (i32.shl (local.get $x) (i32.const 2)))
              (f32.demote_f64 (f64.mul (local.get $s) (f64.load (i32.add (local.get $recip) (i32.shl (local.get $n) (i32.const 3)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $grow)))
        ;; x = r+1 … W−r−1: full window, s += src[x + r] − src[x − r − 1]
        (local.set $inv (f64.load (i32.add (local.get $recip) (i32.shl (local.get $n) (i32.const 3)))))
        (local.set $end (i32.sub (local.get $W) (local.get $r)))
        (block $mid_done
          (loop $mid
            (br_if $mid_done (i32.ge_u (local.get $x) (local.get $end)))
            (local.set $s (f64.add (local.get $s)
              (f64.sub
                (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $src) (local.get $row))
                  (i32.shl (i32.add (local.get $x) (local.get $r)) (i32.const 2)))))
                (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $src) (local.get $row))
                  (i32.shl (i32.sub (i32.sub (local.get $x) (local.get $r)) (i32.const 1)) (i32.const 2))))))))
            (f32.store (i32.add (i32.add (local.get $dst) (local.get $row)) (i32.shl (local.get $x) (i32.const 2)))
              (f32.demote_f64 (f64.mul (local.get $s) (local.get $inv))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $mid)))
        ;; x = W−r … W−1: the window shrinks on the left
        (block $shrink_done
          (loop $shrink
            (br_if $shrink_done (i32.ge_u (local.get $x) (local.get $W)))
            (local.set $s (f64.sub (local.get $s)
              (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $src) (local.get $row))
                (i32.shl (i32.sub (i32.sub (local.get $x) (local.get $r)) (i32.const 1)) (i32.const 2)))))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (f32.store (i32.add (i32.add (local.get $dst) (local.get $row)) (i32.shl (local.get $x) (i32.const 2)))
              (f32.demote_f64 (f64.mul (local.get $s) (f64.load (i32.add (local.get $recip) (i32.shl (local.get $n) (i32.const 3)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $shrink)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  (func (export "vbox") (param $src i32) (param $dst i32) (param $W i32) (param $H i32) (param $r i32) (param $col i32) (param $recip i32)
    (local $y i32) (local $x i32) (local $n i32) (local $pairs i32) (local $inv f64) (local $inv2 v128)
    (local $ra i32) (local $rr i32) (local $ro i32) (local $hasA i32) (local $hasR i32) (local $v v128) (local $c f64)
    (local.set $pairs (i32.and (local.get $W) (i32.const -2)))
    ;; col = 0, then the first r rows
    (local.set $x (i32.const 0))
    (block $z_done
      (loop $z
        (br_if $z_done (i32.ge_u (local.get $x) (local.get $W)))
        (f64.store (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 3))) (f64.const 0))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $z)))
    (local.set $n (i32.const 0))
    (local.set $y (i32.const 0))
    (block $lead_done
      (loop $lead
        (br_if $lead_done (i32.ge_u (local.get $y) (local.get $r)))
        (local.set $ra (i32.add (local.get $src) (i32.shl (i32.mul (local.get $y) (local.get $W)) (i32.const 2))))
        (local.set $x (i32.const 0))
        (block $x_done
          (loop $xs
            (br_if $x_done (i32.ge_u (local.get $x) (local.get $W)))
            (f64.store (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 3)))
              (f64.add (f64.load (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 3))))
                (f64.promote_f32 (f32.load (i32.add (local.get $ra) (i32.shl (local.get $x) (i32.const 2)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xs)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $lead)))
    (local.set $y (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $H)))
        (local.set $hasA (i32.lt_s (i32.add (local.get $y) (local.get $r)) (local.get $H)))
        (local.set $hasR (i32.ge_s (i32.sub (i32.sub (local.get $y) (local.get $r)) (i32.const 1)) (i32.const 0)))
        (if (local.get $hasA) (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (if (local.get $hasR) (then (local.set $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.set $inv (f64.load (i32.add (local.get $recip) (i32.shl (local.get $n) (i32.const 3)))))
        (local.set $inv2 (f64x2.splat (local.get $inv)))
        (local.set $ra (i32.add (local.get $src) (i32.shl (i32.mul (i32.add (local.get $y) (local.get $r)) (local.get $W)) (i32.const 2))))
        (local.set $rr (i32.add (local.get $src) (i32.shl (i32.mul (i32.sub (i32.sub (local.get $y) (local.get $r)) (i32.const 1)) (local.get $W)) (i32.const 2))))
        (local.set $ro (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $y) (local.get $W)) (i32.const 2))))
        ;; pairs of columns
        (local.set $x (i32.const 0))
        (block $p_done
          (loop $p
            (br_if $p_done (i32.ge_u (local.get $x) (local.get $pairs)))
            (local.set $v (v128.load (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 3)))))
            (if (i32.and (local.get $hasA) (local.get $hasR))
              (then (local.set $v (f64x2.add (local.get $v)
                (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $ra) (i32.shl (local.get $x) (i32.const 2)))))
                           (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $rr) (i32.shl (local.get $x) (i32.const 2)))))))))
              (else
                (if (local.get $hasA)
                  (then (local.set $v (f64x2.add (local.get $v) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $ra) (i32.shl (local.get $x) (i32.const 2))))))))
                  (else (if (local.get $hasR)
                    (then (local.set $v (f64x2.sub (local.get $v) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $rr) (i32.shl (local.get $x) (i32.const 2)))))))))))))
            (v128.store (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 3))) (local.get $v))
            (v128.store64_lane 0 (i32.add (local.get $ro) (i32.shl (local.get $x) (i32.const 2))) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $v) (local.get $inv2))))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $p)))
        ;; odd last column
        (if (i32.lt_u (local.get $x) (local.get $W))
          (then
            (local.set $c (f64.load (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 3)))))
            (if (i32.and (local.get $hasA) (local.get $hasR))
              (then (local.set $c (f64.add (local.get $c)
                (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $ra) (i32.shl (local.get $x) (i32.const 2)))))
                         (f64.promote_f32 (f32.load (i32.add (local.get $rr) (i32.shl (local.get $x) (i32.const 2)))))))))
              (else
                (if (local.get $hasA)
                  (then (local.set $c (f64.add (local.get $c) (f64.promote_f32 (f32.load (i32.add (local.get $ra) (i32.shl (local.get $x) (i32.const 2))))))))
                  (else (if (local.get $hasR)
                    (then (local.set $c (f64.sub (local.get $c) (f64.promote_f32 (f32.load (i32.add (local.get $rr) (i32.shl (local.get $x) (i32.const 2)))))))))))))
            (f64.store (i32.add (local.get $col) (i32.shl (local.get $x) (i32.const 3))) (local.get $c))
            (f32.store (i32.add (local.get $ro) (i32.shl (local.get $x) (i32.const 2))) (f32.demote_f64 (f64.mul (local.get $c) (local.get $inv))))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  (func (export "dsq") (param $p i32) (param $m i32) (param $d i32) (param $sq i32) (param $n i32)
    (local $i i32) (local $o i32) (local $v v128) (local $f f32) (local $pairs i32)
    (local.set $pairs (i32.and (local.get $n) (i32.const -2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $pairs)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        ;; d = f32(p − m), then re-read as f64 for the square
        (local.set $v (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $o)))) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $m) (local.get $o)))))))
        (v128.store64_lane 0 (i32.add (local.get $d) (local.get $o)) (local.get $v))
        (local.set $v (f64x2.promote_low_f32x4 (local.get $v)))
        (v128.store64_lane 0 (i32.add (local.get $sq) (local.get $o)) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $v) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $f (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $o))))
                                               (f64.promote_f32 (f32.load (i32.add (local.get $m) (local.get $o)))))))
        (f32.store (i32.add (local.get $d) (local.get $o)) (local.get $f))
        (f32.store (i32.add (local.get $sq) (local.get $o))
          (f32.demote_f64 (f64.mul (f64.promote_f32 (local.get $f)) (f64.promote_f32 (local.get $f))))))))

  ;; One whitened value (power 2), rounded to f32 and back.
  (func $w1 (param $dv f64) (param $ev f64) (param $eps f64) (param $clip f64) (result f64)
    (local $den f64)
    (local.set $den (f64.add (f64.sqrt (f64.max (f64.const 0) (local.get $ev))) (local.get $eps)))
    (f64.promote_f32 (f32.demote_f64
      (f64.min (f64.max (f64.div (local.get $dv) (f64.mul (local.get $den) (local.get $den))) (f64.neg (local.get $clip))) (local.get $clip)))))

  (func (export "fold2") (param $d i32) (param $e i32) (param $W i32) (param $H i32) (param $lo i32) (param $hi i32)
    (param $eps f64) (param $clip f64) (param $fold i32)
    (local $y i32) (local $x i32) (local $l i32) (local $h i32) (local $row i32) (local $fr i32) (local $fa i32)
    (local $den v128) (local $v v128) (local $eps2 v128) (local $clip2 v128) (local $nclip2 v128) (local $o i32)
    (local.set $eps2 (f64x2.splat (local.get $eps)))
    (local.set $clip2 (f64x2.splat (local.get $clip)))
    (local.set $nclip2 (f64x2.splat (f64.neg (local.get $clip))))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $H)))
        (local.set $l (i32.load (i32.add (local.get $lo) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $h (i32.load (i32.add (local.get $hi) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $row (i32.shl (i32.mul (local.get $y) (local.get $W)) (i32.const 2)))
        (local.set $fr (i32.add (local.get $fold) (i32.shl (i32.shl (i32.and (local.get $y) (i32.const 63)) (i32.const 6)) (i32.const 3))))
        (local.set $x (local.get $l))
        ;; an odd first column alone, so pairs start even and never wrap the tile
        (if (i32.and (i32.le_s (local.get $x) (local.get $h)) (i32.and (local.get $x) (i32.const 1)))
          (then
            (local.set $o (i32.add (local.get $row) (i32.shl (local.get $x) (i32.const 2))))
            (local.set $fa (i32.add (local.get $fr) (i32.shl (i32.and (local.get $x) (i32.const 63)) (i32.const 3))))
            (f64.store (local.get $fa) (f64.add (f64.load (local.get $fa))
              (call $w1 (f64.promote_f32 (f32.load (i32.add (local.get $d) (local.get $o)))) (f64.promote_f32 (f32.load (i32.add (local.get $e) (local.get $o))))
                (local.get $eps) (local.get $clip))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))))
        (block $p_done
          (loop $p
            (br_if $p_done (i32.gt_s (i32.add (local.get $x) (i32.const 1)) (local.get $h)))
            (local.set $o (i32.add (local.get $row) (i32.shl (local.get $x) (i32.const 2))))
            (local.set $den (f64x2.add (f64x2.sqrt (f64x2.max (f64x2.splat (f64.const 0)) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $e) (local.get $o)))))) (local.get $eps2)))
            (local.set $v (f64x2.div (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $d) (local.get $o)))) (f64x2.mul (local.get $den) (local.get $den))))
            (local.set $v (f64x2.min (f64x2.max (local.get $v) (local.get $nclip2)) (local.get $clip2)))
            (local.set $v (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $v))))
            (local.set $fa (i32.add (local.get $fr) (i32.shl (i32.and (local.get $x) (i32.const 63)) (i32.const 3))))
            (v128.store (local.get $fa) (f64x2.add (v128.load (local.get $fa)) (local.get $v)))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $p)))
        (if (i32.le_s (local.get $x) (local.get $h))
          (then
            (local.set $o (i32.add (local.get $row) (i32.shl (local.get $x) (i32.const 2))))
            (local.set $fa (i32.add (local.get $fr) (i32.shl (i32.and (local.get $x) (i32.const 63)) (i32.const 3))))
            (f64.store (local.get $fa) (f64.add (f64.load (local.get $fa))
              (call $w1 (f64.promote_f32 (f32.load (i32.add (local.get $d) (local.get $o)))) (f64.promote_f32 (f32.load (i32.add (local.get $e) (local.get $o))))
                (local.get $eps) (local.get $clip))))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  (func $sample (export "sample") (param $src i32) (param $W i32) (param $H i32) (param $a f64) (param $b f64) (param $c f64)
    (param $d f64) (param $e f64) (param $f f64) (param $w i32) (param $h i32) (param $out i32) (param $first i32) (param $last i32)
    (result i32)
    (local $v i32) (local $u i32) (local $x f64) (local $y f64) (local $Wm f64) (local $Hm f64) (local $convex i32)
    (local $fv i32) (local $lv i32) (local $count i32) (local $o i32) (local $x0 i32) (local $y0 i32) (local $fx f64) (local $fy f64)
    (local $i i32) (local $s0 f64) (local $t f64) (local $bb f64) (local $rowB i32)
    (local.set $Wm (f64.sub (f64.convert_i32_s (local.get $W)) (f64.const 1.001)))
    (local.set $Hm (f64.sub (f64.convert_i32_s (local.get $H)) (f64.const 1.001)))
    (local.set $rowB (i32.shl (local.get $W) (i32.const 2)))
    (local.set $convex (i32.const 1))
    (local.set $o (local.get $out))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $v) (local.get $h)))
        (local.set $x (f64.add (f64.mul (local.get $b) (f64.convert_i32_s (local.get $v))) (local.get $c)))
        (local.set $y (f64.add (f64.mul (local.get $e) (f64.convert_i32_s (local.get $v))) (local.get $f)))
        (local.set $fv (local.get $w))
        (local.set $lv (i32.const -1))
        (local.set $count (i32.const 0))
        (local.set $u (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $u) (local.get $w)))
            (if (i32.or (i32.or (f64.lt (local.get $x) (f64.const 0)) (f64.lt (local.get $y) (f64.const 0)))
                        (i32.or (f64.gt (local.get $x) (local.get $Wm)) (f64.gt (local.get $y) (local.get $Hm))))
              (then (f32.store (local.get $o) (f32.const 0)))
              (else
                (local.set $x0 (i32.trunc_f64_s (local.get $x)))
                (local.set $y0 (i32.trunc_f64_s (local.get $y)))
                (local.set $fx (f64.sub (local.get $x) (f64.convert_i32_s (local.get $x0))))
                (local.set $fy (f64.sub (local.get $y) (f64.convert_i32_s (local.get $y0))))
                (local.set $i (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $y0) (local.get $W)) (local.get $x0)) (i32.const 2))))
                (local.set $s0 (f64.promote_f32 (f32.load (local.get $i))))
                (local.set $t (f64.add (local.get $s0)
                  (f64.mul (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $i))) (local.get $s0)) (local.get $fx))))
                (local.set $i (i32.add (local.get $i) (local.get $rowB)))
                (local.set $s0 (f64.promote_f32 (f32.load (local.get $i))))
                (local.set $bb (f64.add (local.get $s0)
                  (f64.mul (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $i))) (local.get $s0)) (local.get $fx))))
                (f32.store (local.get $o) (f32.demote_f64 (f64.add (local.get $t) (f64.mul (f64.sub (local.get $bb) (local.get $t)) (local.get $fy)))))
                (if (i32.eq (local.get $fv) (local.get $w)) (then (local.set $fv (local.get $u))))
                (local.set $lv (local.get $u))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (local.set $x (f64.add (local.get $x) (local.get $a)))
            (local.set $y (f64.add (local.get $y) (local.get $d)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $cols)))
        (if (i32.and (i32.gt_s (local.get $count) (i32.const 0))
                     (i32.ne (local.get $count) (i32.add (i32.sub (local.get $lv) (local.get $fv)) (i32.const 1))))
          (then (local.set $convex (i32.const 0))))
        (i32.store (i32.add (local.get $first) (i32.shl (local.get $v) (i32.const 2))) (local.get $fv))
        (i32.store (i32.add (local.get $last) (i32.shl (local.get $v) (i32.const 2))) (local.get $lv))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $rows)))
    (local.get $convex))

  ;; One bilinear sample at (x, y) (inside the plane), as in $sample.
  (func $bilinear (param $src i32) (param $W i32) (param $x f64) (param $y f64) (result f32)
    (local $x0 i32) (local $y0 i32) (local $fx f64) (local $fy f64) (local $i i32) (local $s0 f64) (local $t f64) (local $bb f64)
    (local.set $x0 (i32.trunc_f64_s (local.get $x)))
    (local.set $y0 (i32.trunc_f64_s (local.get $y)))
    (local.set $fx (f64.sub (local.get $x) (f64.convert_i32_s (local.get $x0))))
    (local.set $fy (f64.sub (local.get $y) (f64.convert_i32_s (local.get $y0))))
    (local.set $i (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $y0) (local.get $W)) (local.get $x0)) (i32.const 2))))
    (local.set $s0 (f64.promote_f32 (f32.load (local.get $i))))
    (local.set $t (f64.add (local.get $s0) (f64.mul (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $i))) (local.get $s0)) (local.get $fx))))
    (local.set $i (i32.add (local.get $i) (i32.shl (local.get $W) (i32.const 2))))
    (local.set $s0 (f64.promote_f32 (f32.load (local.get $i))))
    (local.set $bb (f64.add (local.get $s0) (f64.mul (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $i))) (local.get $s0)) (local.get $fx))))
    (f32.demote_f64 (f64.add (local.get $t) (f64.mul (f64.sub (local.get $bb) (local.get $t)) (local.get $fy)))))

  ;; $sample for two rows at once (lane 0: row v, lane 1: row v + 1; each lane steps its coordinates exactly as the
  ;; scalar loop does), the odd last row by $sample. Same samples, spans and result.
  (func (export "sample2") (param $src i32) (param $W i32) (param $H i32) (param $a f64) (param $b f64) (param $c f64)
    (param $d f64) (param $e f64) (param $f f64) (param $w i32) (param $h i32) (param $out i32) (param $first i32) (param $last i32)
    (result i32)
    (local $v i32) (local $u i32) (local $X v128) (local $Y v128) (local $A v128) (local $D v128) (local $Wm v128) (local $Hm v128)
    (local $bad v128) (local $convex i32) (local $r0 i32) (local $r1 i32) (local $fx v128) (local $fy v128) (local $xi v128) (local $yi v128)
    (local $idx v128) (local $ia i32) (local $ib i32) (local $rowB i32) (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $t v128) (local $bb v128) (local $res v128)
    (local $f0 i32) (local $l0 i32) (local $n0 i32) (local $f1 i32) (local $l1 i32) (local $n1 i32) (local $vf f64) (local $b0 i32) (local $b1 i32)
    (local.set $Wm (f64x2.splat (f64.sub (f64.convert_i32_s (local.get $W)) (f64.const 1.001))))
    (local.set $Hm (f64x2.splat (f64.sub (f64.convert_i32_s (local.get $H)) (f64.const 1.001))))
    (local.set $A (f64x2.splat (local.get $a)))
    (local.set $D (f64x2.splat (local.get $d)))
    (local.set $rowB (i32.shl (local.get $W) (i32.const 2)))
    (local.set $convex (i32.const 1))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (i32.add (local.get $v) (i32.const 1)) (local.get $h)))
        (local.set $vf (f64.convert_i32_s (local.get $v)))
        (local.set $X (f64x2.replace_lane 1 (f64x2.splat (f64.add (f64.mul (local.get $b) (local.get $vf)) (local.get $c)))
          (f64.add (f64.mul (local.get $b) (f64.add (local.get $vf) (f64.const 1))) (local.get $c))))
        (local.set $Y (f64x2.replace_lane 1 (f64x2.splat (f64.add (f64.mul (local.get $e) (local.get $vf)) (local.get $f)))
          (f64.add (f64.mul (local.get $e) (f64.add (local.get $vf) (f64.const 1))) (local.get $f))))
        (local.set $r0 (i32.add (local.get $out) (i32.shl (i32.mul (local.get $v) (local.get $w)) (i32.const 2))))
        (local.set $r1 (i32.add (local.get $r0) (i32.shl (local.get $w) (i32.const 2))))
        (local.set $f0 (local.get $w)) (local.set $l0 (i32.const -1)) (local.set $n0 (i32.const 0))
        (local.set $f1 (local.get $w)) (local.set $l1 (i32.const -1)) (local.set $n1 (i32.const 0))
        (local.set $u (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $u) (local.get $w)))
            (local.set $bad (v128.or
              (v128.or (f64x2.lt (local.get $X) (f64x2.splat (f64.const 0))) (f64x2.lt (local.get $Y) (f64x2.splat (f64.const 0))))
              (v128.or (f64x2.gt (local.get $X) (local.get $Wm)) (f64x2.gt (local.get $Y) (local.get $Hm)))))
            (if (i32.eqz (v128.any_true (local.get $bad)))
              (then
                ;; both rows valid: the bilinear sample of each lane
                (local.set $xi (i32x4.trunc_sat_f64x2_s_zero (local.get $X)))
                (local.set $yi (i32x4.trunc_sat_f64x2_s_zero (local.get $Y)))
                (local.set $fx (f64x2.sub (local.get $X) (f64x2.convert_low_i32x4_s (local.get $xi))))
                (local.set $fy (f64x2.sub (local.get $Y) (f64x2.convert_low_i32x4_s (local.get $yi))))
                (local.set $idx (i32x4.add (i32x4.mul (local.get $yi) (i32x4.splat (local.get $W))) (local.get $xi)))
                (local.set $ia (i32.add (local.get $src) (i32.shl (i32x4.extract_lane 0 (local.get $idx)) (i32.const 2))))
                (local.set $ib (i32.add (local.get $src) (i32.shl (i32x4.extract_lane 1 (local.get $idx)) (i32.const 2))))
                (local.set $s00 (f64x2.replace_lane 1 (f64x2.splat (f64.promote_f32 (f32.load (local.get $ia)))) (f64.promote_f32 (f32.load (local.get $ib)))))
                (local.set $s01 (f64x2.replace_lane 1 (f64x2.splat (f64.promote_f32 (f32.load offset=4 (local.get $ia)))) (f64.promote_f32 (f32.load offset=4 (local.get $ib)))))
                (local.set $ia (i32.add (local.get $ia) (local.get $rowB)))
                (local.set $ib (i32.add (local.get $ib) (local.get $rowB)))
                (local.set $s10 (f64x2.replace_lane 1 (f64x2.splat (f64.promote_f32 (f32.load (local.get $ia)))) (f64.promote_f32 (f32.load (local.get $ib)))))
                (local.set $s11 (f64x2.replace_lane 1 (f64x2.splat (f64.promote_f32 (f32.load offset=4 (local.get $ia)))) (f64.promote_f32 (f32.load offset=4 (local.get $ib)))))
                (local.set $t (f64x2.add (local.get $s00) (f64x2.mul (f64x2.sub (local.get $s01) (local.get $s00)) (local.get $fx))))
                (local.set $bb (f64x2.add (local.get $s10) (f64x2.mul (f64x2.sub (local.get $s11) (local.get $s10)) (local.get $fx))))
                (local.set $res (f32x4.demote_f64x2_zero (f64x2.add (local.get $t) (f64x2.mul (f64x2.sub (local.get $bb) (local.get $t)) (local.get $fy)))))
                (f32.store (i32.add (local.get $r0) (i32.shl (local.get $u) (i32.const 2))) (f32x4.extract_lane 0 (local.get $res)))
                (f32.store (i32.add (local.get $r1) (i32.shl (local.get $u) (i32.const 2))) (f32x4.extract_lane 1 (local.get $res)))
                (if (i32.eq (local.get $f0) (local.get $w)) (then (local.set $f0 (local.get $u))))
                (if (i32.eq (local.get $f1) (local.get $w)) (then (local.set $f1 (local.get $u))))
                (local.set $l0 (local.get $u)) (local.set $l1 (local.get $u))
                (local.set $n0 (i32.add (local.get $n0) (i32.const 1)))
                (local.set $n1 (i32.add (local.get $n1) (i32.const 1))))
              (else
                ;; lane by lane
                (local.set $b0 (i64.ne (i64x2.extract_lane 0 (local.get $bad)) (i64.const 0)))
                (local.set $b1 (i64.ne (i64x2.extract_lane 1 (local.get $bad)) (i64.const 0)))
                (if (local.get $b0)
                  (then (f32.store (i32.add (local.get $r0) (i32.shl (local.get $u) (i32.const 2))) (f32.const 0)))
                  (else
                    (f32.store (i32.add (local.get $r0) (i32.shl (local.get $u) (i32.const 2)))
                      (call $bilinear (local.get $src) (local.get $W) (f64x2.extract_lane 0 (local.get $X)) (f64x2.extract_lane 0 (local.get $Y))))
                    (if (i32.eq (local.get $f0) (local.get $w)) (then (local.set $f0 (local.get $u))))
                    (local.set $l0 (local.get $u))
                    (local.set $n0 (i32.add (local.get $n0) (i32.const 1)))))
                (if (local.get $b1)
                  (then (f32.store (i32.add (local.get $r1) (i32.shl (local.get $u) (i32.const 2))) (f32.const 0)))
                  (else
                    (f32.store (i32.add (local.get $r1) (i32.shl (local.get $u) (i32.const 2)))
                      (call $bilinear (local.get $src) (local.get $W) (f64x2.extract_lane 1 (local.get $X)) (f64x2.extract_lane 1 (local.get $Y))))
                    (if (i32.eq (local.get $f1) (local.get $w)) (then (local.set $f1 (local.get $u))))
                    (local.set $l1 (local.get $u))
                    (local.set $n1 (i32.add (local.get $n1) (i32.const 1)))))))
            (local.set $X (f64x2.add (local.get $X) (local.get $A)))
            (local.set $Y (f64x2.add (local.get $Y) (local.get $D)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $cols)))
        (if (i32.and (i32.gt_s (local.get $n0) (i32.const 0)) (i32.ne (local.get $n0) (i32.add (i32.sub (local.get $l0) (local.get $f0)) (i32.const 1))))
          (then (local.set $convex (i32.const 0))))
        (if (i32.and (i32.gt_s (local.get $n1) (i32.const 0)) (i32.ne (local.get $n1) (i32.add (i32.sub (local.get $l1) (local.get $f1)) (i32.const 1))))
          (then (local.set $convex (i32.const 0))))
        (i32.store (i32.add (local.get $first) (i32.shl (local.get $v) (i32.const 2))) (local.get $f0))
        (i32.store (i32.add (local.get $last) (i32.shl (local.get $v) (i32.const 2))) (local.get $l0))
        (i32.store offset=4 (i32.add (local.get $first) (i32.shl (local.get $v) (i32.const 2))) (local.get $f1))
        (i32.store offset=4 (i32.add (local.get $last) (i32.shl (local.get $v) (i32.const 2))) (local.get $l1))
        (local.set $v (i32.add (local.get $v) (i32.const 2)))
        (br $rows)))
    ;; an odd last row: the scalar sampler on that row alone (its start coordinates computed as that loop would)
    (if (i32.lt_u (local.get $v) (local.get $h))
      (then
        (local.set $vf (f64.convert_i32_s (local.get $v)))
        (if (i32.eqz (call $sample (local.get $src) (local.get $W) (local.get $H) (local.get $a) (f64.const 0)
              (f64.add (f64.mul (local.get $b) (local.get $vf)) (local.get $c)) (local.get $d) (f64.const 0)
              (f64.add (f64.mul (local.get $e) (local.get $vf)) (local.get $f)) (local.get $w) (i32.const 1)
              (i32.add (local.get $out) (i32.shl (i32.mul (local.get $v) (local.get $w)) (i32.const 2)))
              (i32.add (local.get $first) (i32.shl (local.get $v) (i32.const 2)))
              (i32.add (local.get $last) (i32.shl (local.get $v) (i32.const 2)))))
          (then (local.set $convex (i32.const 0))))))
    (local.get $convex))
)
