/**
 * The 64×64 complex 2-D FFTs of the tile correlation in WebAssembly (`fft.wat`, f64x2 SIMD): detection runs five per
 * lattice candidate (one forward, four inverse), up to 48 candidates per file. Same algorithm and twiddles as fft.ts,
 * every butterfly the same arithmetic, so the same numbers as `fft2`; where WebAssembly SIMD is unavailable the
 * buffers are plain arrays and `fft2` runs instead.
 */
import { fft2, tables } from '../fft.js';
import { FFT_WASM_BASE64 } from './fft-wasm.js';
import { loadKernels } from '../../core/wasm.js';


interface Kernels {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  fft2(re: number, im: number, tmp: number, tab: number, inverse: number): void;
}

const N = 64 * 64;
const BYTES = N * 8;

/**
 * Two 64×64 complex work arrays — (re, im) for the forward transform of the fold, (zRe, zIm) for the inverse ones —
 * and their in-place transforms.
 */
export interface TileFft {
  re: Float64Array;
  im: Float64Array;
  zRe: Float64Array;
  zIm: Float64Array;
  /** In-place forward FFT of (re, im). */
  forward(): void;
  /** In-place unnormalised inverse FFT of (zRe, zIm). */
  inverse(): void;
}

let shared: TileFft | undefined;
/** Switched off by tests to compare with the JS transform. */
export const TILE_FFT_SIMD = { enabled: true };

function jsTileFft(): TileFft {
  const t = { re: new Float64Array(N), im: new Float64Array(N), zRe: new Float64Array(N), zIm: new Float64Array(N) };
  return { ...t, forward: () => fft2(t.re, t.im, 64, 64, false), inverse: () => fft2(t.zRe, t.zIm, 64, 64, true) };
}

/** The thread's tile FFT buffers (WebAssembly when available; one set per thread, reused by every detection). */
export function tileFft(): TileFft {
  if (!TILE_FFT_SIMD.enabled) return jsTileFft();
  if (shared) return shared;
  const k = loadKernels<Kernels>(FFT_WASM_BASE64);
  if (!k) return (shared = jsTileFft());
  const tab = 6 * BYTES; // after re, im, zRe, zIm and the 2-array scratch
  const need = tab + 64 * 8 + 64 * 4;
  const have = k.memory.buffer.byteLength;
  if (have < need) k.memory.grow(Math.ceil((need - have) / 65536));
  const mem = k.memory.buffer;
  const { cos, sin, rev } = tables(64);
  new Float64Array(mem, tab, 32).set(cos);
  new Float64Array(mem, tab + 256, 32).set(sin);
  new Int32Array(mem, tab + 512, 64).set(rev);
  const kk = k;
  shared = {
    re: new Float64Array(mem, 0, N),
    im: new Float64Array(mem, BYTES, N),
    zRe: new Float64Array(mem, 2 * BYTES, N),
    zIm: new Float64Array(mem, 3 * BYTES, N),
    forward: () => kk.fft2(0, BYTES, 4 * BYTES, tab, 0),
    inverse: () => kk.fft2(2 * BYTES, 3 * BYTES, 4 * BYTES, tab, 1),
  };
  return shared;
}
