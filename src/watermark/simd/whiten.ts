/**
 * Whitening + fold of a canonical image in WebAssembly (`whiten.wat`, f64x2 SIMD): detection whitens and folds up to
 * 48 canonical images of ≤ 150k px per file, which was the largest share of detect's time on unmarked and attacked
 * files. The kernels repeat the JS path's arithmetic (whiten.ts) operation for operation, so the fold is the same
 * numbers; returns false (the caller runs the JS path) where WebAssembly SIMD is unavailable or the image is too
 * small for the kernels' assumptions.
 */
import type { Plane } from '../../image/planes.js';
import { WHITEN_WASM_BASE64 } from './whiten-wasm.js';
import { loadKernels, type WasmMemory } from '../../core/wasm.js';


interface Kernels {
  memory: WasmMemory;
  sample(src: number, W: number, H: number, a: number, b: number, c: number, d: number, e: number, f: number, w: number, h: number, out: number, first: number, last: number): number;
  sample2(src: number, W: number, H: number, a: number, b: number, c: number, d: number, e: number, f: number, w: number, h: number, out: number, first: number, last: number): number;
  hbox(src: number, dst: number, W: number, H: number, r: number, recip: number): void;
  vbox(src: number, dst: number, W: number, H: number, r: number, col: number, recip: number): void;
  dsq(p: number, m: number, d: number, sq: number, n: number): void;
  fold2(d: number, e: number, W: number, H: number, lo: number, hi: number, eps: number, clip: number, fold: number): void;
}

let kernels: Kernels | null | undefined;

/** The thread's instance (created once; its memory grows to the largest need seen, ≈ 6 MB for detection). */
function instance(bytes: number): Kernels | null {
  if (kernels === undefined) {
    kernels = loadKernels<Kernels>(WHITEN_WASM_BASE64);
  }
  if (!kernels) return null;
  const have = kernels.memory.buffer.byteLength;
  if (have < bytes) kernels.memory.grow(Math.ceil((bytes - have) / 65536));
  return kernels;
}

const align = (n: number): number => (n + 15) & ~15;

/** The source plane last copied into the instance memory (at offset 0): candidates mostly read the same level. */
let resident: Plane | null = null;

/**
 * A w×h canonical image's working set in the instance memory: the source plane at 0, then the canonical plane, box
 * means, whitened values, running sums, the 1/n table, row spans and the fold. `first`/`last` (valid spans, written
 * by {@link sampleSimd}) and `lo`/`hi` (kept spans, written by the caller) are views into it.
 */
export interface SimdCanvas {
  k: Kernels;
  src: Plane;
  w: number;
  h: number;
  at: { plane: number; m: number; tmp: number; d: number; sq: number; col: number; rec: number; lo: number; hi: number; first: number; last: number; fold: number };
  first: Int32Array;
  last: Int32Array;
  lo: Int32Array;
  hi: Int32Array;
}

/**
 * Prepares the instance memory for sampling `src` onto a w×h grid (copies `src` unless it is already there); null
 * where WebAssembly SIMD is unavailable or the grid is too small for the kernels (they need w, h ≥ 10).
 */
export function prepareSimd(src: Plane, w: number, h: number, recip: Float64Array): SimdCanvas | null {
  if (w < 10 || h < 10 || recip.length < 64 || src.width < 2 || src.height < 2) return null;
  const n = w * h;
  const srcN = src.width * src.height;
  const plane = align(4 * srcN);
  const m = align(plane + 4 * n);
  const tmp = align(m + 4 * n);
  const d = align(tmp + 4 * n);
  const sq = align(d + 4 * n);
  const col = align(sq + 4 * n);
  const rec = align(col + 8 * w);
  const lo = align(rec + 8 * 64);
  const hi = align(lo + 4 * h);
  const first = align(hi + 4 * h);
  const last = align(first + 4 * h);
  const fold = align(last + 4 * h);
  const k = instance(fold + 8 * 4096);
  if (!k) return null;
  const mem = k.memory.buffer;
  if (resident !== src) {
    new Float32Array(mem, 0, srcN).set(src.data.subarray(0, srcN));
    resident = src;
  }
  new Float64Array(mem, rec, 64).set(recip.subarray(0, 64));
  return {
    k,
    src,
    w,
    h,
    at: { plane, m, tmp, d, sq, col, rec, lo, hi, first, last, fold },
    first: new Int32Array(mem, first, h),
    last: new Int32Array(mem, last, h),
    lo: new Int32Array(mem, lo, h),
    hi: new Int32Array(mem, hi, h),
  };
}

/** Forgets the resident source plane (detect calls this when done, so the thread keeps no image data referenced). */
export function releaseSimd(): void {
  resident = null;
}

/**
 * Samples the source at (a·u + b·v + c, d·u + e·v + f) onto the canvas (as image/resample.ts sampleAffine: the same
 * values, 0 outside) and records each row's valid span; false when some row's valid samples are not one interval.
 */
export function sampleSimd(c: SimdCanvas, m: readonly [number, number, number, number, number, number]): boolean {
  const { at } = c;
  // Two rows per step (the same samples as `sample`, row by row).
  return c.k.sample2(0, c.src.width, c.src.height, m[0], m[1], m[2], m[3], m[4], m[5], c.w, c.h, at.plane, at.first, at.last) === 1;
}

/**
 * Whitens the sampled canvas (power 2, local mean and mean square of the given radii) and folds the pixels of the kept spans lo/hi into
 * `fold` (64×64, overwritten) — the arithmetic of the JS path in whiten.ts, operation for operation.
 */
export function whitenFoldSimd(c: SimdCanvas, eps: number, clip: number, radii: { mean: number; meanSquare: number }, fold: Float64Array): void {
  const { k, at, w, h } = c;
  const f = new Float64Array(k.memory.buffer, at.fold, 4096);
  f.fill(0);
  k.hbox(at.plane, at.tmp, w, h, radii.mean, at.rec);
  k.vbox(at.tmp, at.m, w, h, radii.mean, at.col, at.rec);
  k.dsq(at.plane, at.m, at.d, at.sq, w * h);
  k.hbox(at.sq, at.tmp, w, h, radii.meanSquare, at.rec);
  k.vbox(at.tmp, at.m, w, h, radii.meanSquare, at.col, at.rec);
  k.fold2(at.d, at.m, w, h, at.lo, at.hi, eps, clip, at.fold);
  fold.set(f);
}
