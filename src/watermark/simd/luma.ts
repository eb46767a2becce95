/**
 * The detector's k×k box-average luma in WebAssembly (`luma.wat`): on a 2 MP leaked file it was about a fifth of
 * detect's time once the synchronisation search got faster. The integer arithmetic of image/planes.ts
 * `lumaBoxExact`, so the same plane; the pixels are passed k rows at a time (the instance memory stays small).
 * Returns null where WebAssembly is unavailable (the caller uses lumaBoxExact).
 */
import type { Pixels, Plane } from '../../image/planes.js';
import { LUMA_WASM_BASE64 } from './luma-wasm.js';
import { loadKernels } from '../../core/wasm.js';


interface Kernels {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  row(src: number, W: number, C: number, k: number, w: number, acc: number, out: number, inv: number): void;
}

let kernels: Kernels | null | undefined;

/** Switched off by tests to compare with lumaBoxExact. */
export const LUMA_SIMD = { enabled: true };

/** Luma averaged over k×k blocks (floor(W/k) × floor(H/k)), as lumaBoxExact computes it; null without WebAssembly. */
export function lumaBoxWasm(img: Pixels, k: number): Plane | null {
  if (!LUMA_SIMD.enabled || !Number.isInteger(k) || k < 1 || k > 64) return null;
  if (kernels === undefined) {
    kernels = loadKernels<Kernels>(LUMA_WASM_BASE64);
  }
  const kk = kernels;
  if (!kk) return null;
  const W = img.width;
  const C = img.channels;
  const w = Math.floor(W / k);
  const h = Math.floor(img.height / k);
  const strip = k * W * C;
  const accAt = (strip + 15) & ~15;
  const outAt = accAt + 4 * w;
  const need = outAt + 4 * w;
  const have = kk.memory.buffer.byteLength;
  if (have < need) kk.memory.grow(Math.ceil((need - have) / 65536));
  const mem = kk.memory.buffer;
  const bytes = new Uint8Array(mem, 0, strip);
  const row = new Float32Array(mem, outAt, w);
  const out = new Float32Array(w * h);
  const inv = 1 / (256 * k * k);
  for (let by = 0; by < h; by++) {
    const start = by * strip;
    bytes.set(img.data.subarray(start, start + strip));
    kk.row(0, W, C, k, w, accAt, outAt, inv);
    out.set(row, by * w);
  }
  return { width: w, height: h, data: out };
}
