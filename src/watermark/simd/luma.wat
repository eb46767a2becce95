;; Tracemark watermark: the detector's k×k box-average luma, in WebAssembly.
;; Source of luma-wasm.ts (regenerate with `node scripts/build-wasm.mjs`). The integer arithmetic of
;; image/planes.ts lumaBoxExact (BT.601 weights 77/150/29, u32 row accumulators, one f64 scale), so the same numbers.
;;
;; row(src, W, C, k, w, acc, out, inv): one output row from the k source rows at src (W pixels of C bytes each, rows
;;   contiguous): acc[bx] = Σ over the k×k block of 77·R + 150·G + 29·B (u32), out[bx] = f32(acc[bx] · inv).
(module
  (memory (export "memory") 1)
  (func (export "row") (param $src i32) (param $W i32) (param $C i32) (param $k i32) (param $w i32) (param $acc i32)
    (param $out i32) (param $inv f64)
    (local $j i32) (local $bx i32) (local $i i32) (local $p i32) (local $s i32) (local $a i32) (local $o i32)
    ;; k = 1 (files up to ≈ 2.4 MP): each output pixel is one input pixel, acc = 0 + s = s.
    (if (i32.eq (local.get $k) (i32.const 1))
      (then
        (local.set $p (local.get $src))
        (local.set $o (local.get $out))
        (local.set $a (i32.add (local.get $out) (i32.shl (local.get $w) (i32.const 2))))
        (block $one_done
          (loop $one
            (br_if $one_done (i32.ge_u (local.get $o) (local.get $a)))
            (f32.store (local.get $o) (f32.demote_f64 (f64.mul (f64.convert_i32_u
              (i32.add (i32.add
                (i32.mul (i32.const 77) (i32.load8_u (local.get $p)))
                (i32.mul (i32.const 150) (i32.load8_u offset=1 (local.get $p))))
                (i32.mul (i32.const 29) (i32.load8_u offset=2 (local.get $p))))) (local.get $inv))))
            (local.set $p (i32.add (local.get $p) (local.get $C)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $one)))
        (return)))
    ;; acc = 0
    (local.set $bx (i32.const 0))
    (block $z_done
      (loop $z
        (br_if $z_done (i32.ge_u (local.get $bx) (local.get $w)))
        (i32.store (i32.add (local.get $acc) (i32.shl (local.get $bx) (i32.const 2))) (i32.const 0))
        (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
        (br $z)))
    (block $j_done
      (loop $js
        (br_if $j_done (i32.ge_u (local.get $j) (local.get $k)))
        (local.set $p (i32.add (local.get $src) (i32.mul (i32.mul (local.get $j) (local.get $W)) (local.get $C))))
        (local.set $bx (i32.const 0))
        (block $bx_done
          (loop $bxs
            (br_if $bx_done (i32.ge_u (local.get $bx) (local.get $w)))
            (local.set $s (i32.const 0))
            (local.set $i (i32.const 0))
            (block $i_done
              (loop $is
                (br_if $i_done (i32.ge_u (local.get $i) (local.get $k)))
                (local.set $s (i32.add (local.get $s)
                  (i32.add (i32.add
                    (i32.mul (i32.const 77) (i32.load8_u (local.get $p)))
                    (i32.mul (i32.const 150) (i32.load8_u offset=1 (local.get $p))))
                    (i32.mul (i32.const 29) (i32.load8_u offset=2 (local.get $p))))))
                (local.set $p (i32.add (local.get $p) (local.get $C)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $is)))
            (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $bx) (i32.const 2))))
            (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (local.get $s)))
            (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
            (br $bxs)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $js)))
    (local.set $bx (i32.const 0))
    (block $o_done
      (loop $os
        (br_if $o_done (i32.ge_u (local.get $bx) (local.get $w)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $bx) (i32.const 2)))
          (f32.demote_f64 (f64.mul (f64.convert_i32_u (i32.load (i32.add (local.get $acc) (i32.shl (local.get $bx) (i32.const 2))))) (local.get $inv))))
        (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
        (br $os))))
)
