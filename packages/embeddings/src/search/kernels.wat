;; Dot-product kernels of @bertweb/embeddings' VectorIndex (WebAssembly SIMD, fixed-width v128 only:
;; no relaxed SIMD, so every engine computes the same bits).
;;
;; Assembled by `pnpm --filter @bertweb/embeddings build:kernels` (wabt) into kernels-wasm.ts; a test
;; checks that the committed bytes are this file's.
;;
;; Layout: the index owns this module's memory. Rows of int8 codes are `stride` bytes apart (`stride`
;; a multiple of 32, zero-padded past the dimension); a quantized query is `stride` int16 values (also
;; zero-padded); 4 queries of a batch lie `2 * stride` bytes apart. Integer results are exact: each
;; i32x4.dot_i16x8_s lane is at most 2 * 127 * 32767 < 2^31, and the caller bounds the query's integer
;; range so that the whole sum fits an i32 (wrapping lane sums are then harmless: addition mod 2^32 is
;; associative). The float kernels exist for the benchmark's comparison.
(module
  (memory (export "memory") 1)

  ;; out[r] (i32) = codes[r] . query, for r in [0, rows).
  (func (export "dotI8") (param $codes i32) (param $rows i32) (param $stride i32) (param $q i32) (param $out i32)
    (local $end i32) (local $off i32) (local $x v128) (local $acc0 v128) (local $acc1 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $off (i32.const 0))
        (loop $col
          (local.set $x (v128.load (i32.add (local.get $codes) (local.get $off))))
          (local.set $acc0 (i32x4.add (local.get $acc0)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x))
              (v128.load (i32.add (local.get $q) (i32.shl (local.get $off) (i32.const 1))))))) 
          (local.set $acc1 (i32x4.add (local.get $acc1)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x))
              (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $off) (i32.const 1)))))))
          (local.set $x (v128.load offset=16 (i32.add (local.get $codes) (local.get $off))))
          (local.set $acc0 (i32x4.add (local.get $acc0)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x))
              (v128.load offset=32 (i32.add (local.get $q) (i32.shl (local.get $off) (i32.const 1)))))))
          (local.set $acc1 (i32x4.add (local.get $acc1)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x))
              (v128.load offset=48 (i32.add (local.get $q) (i32.shl (local.get $off) (i32.const 1)))))))
          (br_if $col (i32.lt_u (local.tee $off (i32.add (local.get $off) (i32.const 32))) (local.get $stride))))
        (local.set $acc0 (i32x4.add (local.get $acc0) (local.get $acc1)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $codes (i32.add (local.get $codes) (local.get $stride)))
        (br $row))))

  ;; out[4r + j] (i32) = codes[r] . query_j for 4 queries (query_j at q + j * 2 * stride): each code
  ;; vector is loaded and widened once for the 4 queries.
  (func (export "dotI8x4") (param $codes i32) (param $rows i32) (param $stride i32) (param $q i32) (param $out i32)
    (local $end i32) (local $off i32) (local $qp i32) (local $qs i32) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 4))))
    (local.set $qs (i32.shl (local.get $stride) (i32.const 1)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $off (i32.const 0))
        (loop $col
          (local.set $lo (v128.load (i32.add (local.get $codes) (local.get $off))))
          (local.set $hi (i16x8.extend_high_i8x16_s (local.get $lo)))
          (local.set $lo (i16x8.extend_low_i8x16_s (local.get $lo)))
          (local.set $qp (i32.add (local.get $q) (i32.shl (local.get $off) (i32.const 1))))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $qp)))
            (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $qp))))))
          (local.set $qp (i32.add (local.get $qp) (local.get $qs)))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $qp)))
            (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $qp))))))
          (local.set $qp (i32.add (local.get $qp) (local.get $qs)))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $qp)))
            (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $qp))))))
          (local.set $qp (i32.add (local.get $qp) (local.get $qs)))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $qp)))
            (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $qp))))))
          (br_if $col (i32.lt_u (local.tee $off (i32.add (local.get $off) (i32.const 16))) (local.get $stride))))
        (v128.store (local.get $out) (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $codes (i32.add (local.get $codes) (local.get $stride)))
        (br $row))))

  ;; [sum(a), sum(b), sum(c), sum(d)] of four i32x4 vectors.
  (func $hsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $ab v128) (local $cd v128)
    ;; ab = [a0+a1, b0+b1, a2+a3, b2+b3] via interleaves, likewise cd; then one more interleave.
    (local.set $ab (i32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a) (local.get $b))
      (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $cd (i32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $c) (local.get $d))
      (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    ;; ab = [a01, b01, a23, b23], cd = [c01, d01, c23, d23] -> [a01+a23, b01+b23, c01+c23, d01+d23]
    (i32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd))))

  ;; out[r] (f32) = data[r] . query in float32 (4 lanes of partial sums; `stride` floats, multiple of 8).
  (func (export "dotF32") (param $data i32) (param $rows i32) (param $stride i32) (param $q i32) (param $out i32)
    (local $end i32) (local $off i32) (local $bytes i32) (local $acc0 v128) (local $acc1 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))
    (local.set $bytes (i32.shl (local.get $stride) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (local.set $off (i32.const 0))
        (loop $col
          (local.set $acc0 (f32x4.add (local.get $acc0)
            (f32x4.mul (v128.load (i32.add (local.get $data) (local.get $off)))
              (v128.load (i32.add (local.get $q) (local.get $off))))))
          (local.set $acc1 (f32x4.add (local.get $acc1)
            (f32x4.mul (v128.load offset=16 (i32.add (local.get $data) (local.get $off)))
              (v128.load offset=16 (i32.add (local.get $q) (local.get $off))))))
          (br_if $col (i32.lt_u (local.tee $off (i32.add (local.get $off) (i32.const 32))) (local.get $bytes))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $data (i32.add (local.get $data) (local.get $bytes)))
        (br $row))))

  ;; out[4r + j] (f32) = data[r] . query_j for 4 float queries `4 * stride` bytes apart.
  (func (export "dotF32x4") (param $data i32) (param $rows i32) (param $stride i32) (param $q i32) (param $out i32)
    (local $end i32) (local $off i32) (local $bytes i32) (local $qp i32) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 4))))
    (local.set $bytes (i32.shl (local.get $stride) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $off (i32.const 0))
        (loop $col
          (local.set $x (v128.load (i32.add (local.get $data) (local.get $off))))
          (local.set $qp (i32.add (local.get $q) (local.get $off)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (v128.load (local.get $qp)))))
          (local.set $qp (i32.add (local.get $qp) (local.get $bytes)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x) (v128.load (local.get $qp)))))
          (local.set $qp (i32.add (local.get $qp) (local.get $bytes)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x) (v128.load (local.get $qp)))))
          (local.set $qp (i32.add (local.get $qp) (local.get $bytes)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x) (v128.load (local.get $qp)))))
          (br_if $col (i32.lt_u (local.tee $off (i32.add (local.get $off) (i32.const 16))) (local.get $bytes))))
        (v128.store (local.get $out) (call $fsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $data (i32.add (local.get $data) (local.get $bytes)))
        (br $row))))

  ;; [sum(a), sum(b), sum(c), sum(d)] of four f32x4 vectors.
  (func $fsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $ab v128) (local $cd v128)
    (local.set $ab (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a) (local.get $b))
      (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $cd (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $c) (local.get $d))
      (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd))))
  ;; Quantizes `rows` float32 rows (`stride` floats apart, zero-padded) to int8 codes (`stride` bytes
  ;; apart): scale s = f32(max|x| / 127), c = nearest-even(f32(x * f32(1 / s))), the same bits as
  ;; quantize.ts.
  ;; Writes per row at out: [scale (f64), sum of (x - s c)^2 (f64, each residual exact), sum of c^2 (f64)].
  ;; A row whose scale is below the normal float32 range (a zero or tiny row: 1 / s would overflow) gets
  ;; its scale and nothing else: the caller handles it.
  (func (export "quantizeRows") (param $src i32) (param $rows i32) (param $stride i32) (param $codes i32) (param $out i32)
    (local $bytes i32) (local $off i32) (local $end i32) (local $max v128) (local $m f32) (local $scale f32)
    (local $inv v128) (local $s2 v128) (local $x v128) (local $c v128) (local $racc v128) (local $cacc v128)
    (local $r v128) (local $k i32) (local $p i32)
    (local.set $bytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (i32.mul (local.get $rows) (i32.const 24))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        ;; max |x|
        (local.set $max (v128.const f32x4 0 0 0 0))
        (local.set $off (i32.const 0))
        (loop $scan
          (local.set $max (f32x4.max (local.get $max) (f32x4.abs (v128.load (i32.add (local.get $src) (local.get $off))))))
          (br_if $scan (i32.lt_u (local.tee $off (i32.add (local.get $off) (i32.const 16))) (local.get $bytes))))
        (local.set $m (f32.max
          (f32.max (f32x4.extract_lane 0 (local.get $max)) (f32x4.extract_lane 1 (local.get $max)))
          (f32.max (f32x4.extract_lane 2 (local.get $max)) (f32x4.extract_lane 3 (local.get $max)))))
        (local.set $scale (f32.div (local.get $m) (f32.const 127)))
        (f64.store (local.get $out) (f64.promote_f32 (local.get $scale)))
        (if (f32.ge (local.get $scale) (f32.const 0x1p-126))
          (then
            (local.set $inv (f32x4.splat (f32.div (f32.const 1) (local.get $scale))))
            (local.set $s2 (f64x2.splat (f64.promote_f32 (local.get $scale))))
            (local.set $racc (v128.const f64x2 0 0))
            (local.set $cacc (v128.const i32x4 0 0 0 0))
            (local.set $off (i32.const 0))
            (loop $cols
              ;; 16 values: 4 groups of 4 floats -> 16 codes in one store.
              (local.set $k (i32.const 0))
              (loop $group
                (local.set $p (i32.add (local.get $src) (i32.add (local.get $off) (i32.shl (local.get $k) (i32.const 4)))))
                (local.set $x (v128.load (local.get $p)))
                ;; x * inv + 1.5 * 2^23 rounds to an integer (ties to even) held in the low mantissa bits.
                (local.set $c (i32x4.sub
                  (f32x4.add (f32x4.mul (local.get $x) (local.get $inv)) (v128.const f32x4 12582912 12582912 12582912 12582912))
                  (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
                (local.set $r (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x))
                  (f64x2.mul (local.get $s2) (f64x2.convert_low_i32x4_s (local.get $c)))))
                (local.set $racc (f64x2.add (local.get $racc) (f64x2.mul (local.get $r) (local.get $r))))
                (local.set $r (f64x2.sub
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
                  (f64x2.mul (local.get $s2) (f64x2.convert_low_i32x4_s
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $c) (local.get $c))))))
                (local.set $racc (f64x2.add (local.get $racc) (f64x2.mul (local.get $r) (local.get $r))))
                ;; The 4 codes as int16 (exact: |c| <= 127), their squares, then as bytes to codes[off / 4 + 4k].
                (local.set $c (i16x8.narrow_i32x4_s (local.get $c) (v128.const i32x4 0 0 0 0)))
                (local.set $cacc (i32x4.add (local.get $cacc) (i32x4.dot_i16x8_s (local.get $c) (local.get $c))))
                (i32.store (i32.add (local.get $codes) (i32.add (i32.shr_u (local.get $off) (i32.const 2)) (i32.shl (local.get $k) (i32.const 2))))
                  (i32x4.extract_lane 0 (i8x16.narrow_i16x8_s (local.get $c) (local.get $c))))
                (br_if $group (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 4))))
              (br_if $cols (i32.lt_u (local.tee $off (i32.add (local.get $off) (i32.const 64))) (local.get $bytes))))
            (f64.store offset=8 (local.get $out)
              (f64.add (f64x2.extract_lane 0 (local.get $racc)) (f64x2.extract_lane 1 (local.get $racc))))
            (f64.store offset=16 (local.get $out) (f64.convert_i32_s (i32.add
              (i32.add (i32x4.extract_lane 0 (local.get $cacc)) (i32x4.extract_lane 1 (local.get $cacc)))
              (i32.add (i32x4.extract_lane 2 (local.get $cacc)) (i32x4.extract_lane 3 (local.get $cacc))))))))
        (local.set $out (i32.add (local.get $out) (i32.const 24)))
        (local.set $src (i32.add (local.get $src) (local.get $bytes)))
        (local.set $codes (i32.add (local.get $codes) (local.get $stride)))
        (br $row))))
)
