;; Tracemark: nearest and second-nearest 256-bit descriptor by Hamming distance, in WebAssembly SIMD.
;; Source of hamming-wasm.ts (regenerate with `node scripts/build-wasm.mjs`). The arithmetic of hash/features.ts
;; putativeMatches' JS loop: the same distances, the same strict comparisons, so the same best, second and index.
;;
;; nearest2(q, nq, c, nc, out): for each of the nq query descriptors at q (32 bytes each), scans the nc candidate
;;   descriptors at c and stores three i32 at out + 12·i: the best distance, the second best (257 when absent) and the
;;   best's index (-1 when nc = 0). Distance: popcount of the XOR, 16 bytes at a time.
(module
  (memory (export "memory") 1)
  (func (export "nearest2") (param $q i32) (param $nq i32) (param $c i32) (param $nc i32) (param $out i32)
    (local $i i32) (local $j i32) (local $p i32) (local $end i32) (local $d i32)
    (local $best i32) (local $second i32) (local $bj i32) (local $qa v128) (local $qb v128) (local $x v128)
    (local.set $end (i32.add (local.get $c) (i32.shl (local.get $nc) (i32.const 5))))
    (block $i_done
      (loop $is
        (br_if $i_done (i32.ge_u (local.get $i) (local.get $nq)))
        (local.set $qa (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 5)))))
        (local.set $qb (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 5)))))
        (local.set $best (i32.const 257))
        (local.set $second (i32.const 257))
        (local.set $bj (i32.const -1))
        (local.set $p (local.get $c))
        (local.set $j (i32.const 0))
        (block $j_done
          (loop $js
            (br_if $j_done (i32.ge_u (local.get $p) (local.get $end)))
            ;; Per byte at most 8 + 8 differing bits: the i8 sum cannot overflow.
            (local.set $x (i8x16.add
              (i8x16.popcnt (v128.xor (local.get $qa) (v128.load (local.get $p))))
              (i8x16.popcnt (v128.xor (local.get $qb) (v128.load offset=16 (local.get $p))))))
            (local.set $x (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $x))))
            (local.set $d (i32.add
              (i32.add (i32x4.extract_lane 0 (local.get $x)) (i32x4.extract_lane 1 (local.get $x)))
              (i32.add (i32x4.extract_lane 2 (local.get $x)) (i32x4.extract_lane 3 (local.get $x)))))
            (if (i32.lt_u (local.get $d) (local.get $best))
              (then
                (local.set $second (local.get $best))
                (local.set $best (local.get $d))
                (local.set $bj (local.get $j)))
              (else
                (if (i32.lt_u (local.get $d) (local.get $second))
                  (then (local.set $second (local.get $d))))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $js)))
        (i32.store (i32.add (local.get $out) (i32.mul (local.get $i) (i32.const 12))) (local.get $best))
        (i32.store offset=4 (i32.add (local.get $out) (i32.mul (local.get $i) (i32.const 12))) (local.get $second))
        (i32.store offset=8 (i32.add (local.get $out) (i32.mul (local.get $i) (i32.const 12))) (local.get $bj))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $is))))
)
