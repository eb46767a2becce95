/**
 * The full-resolution add of the upsampled residual in WebAssembly SIMD (`residual.wat`): 16 pixels per step with
 * saturating byte arithmetic, which JS cannot express. The pixel pass is the only part of embedding whose cost grows
 * with the pixel count, so it decides the 12 MP embed time. Falls back to null (the caller uses its JS loop) where
 * WebAssembly SIMD is unavailable.
 */
import { bilinearTaps } from '../../image/resample.js';
import { RESIDUAL_WASM_BASE64 } from './residual-wasm.js';
import { compileModule, instantiate as instantiateModule, type WasmMemory } from '../../core/wasm.js';


interface Kernels {
  memory: WasmMemory;
  blend_row(a: number, b: number, fy: number, n: number, dst: number): void;
  add_rgb(px: number, d: number, n: number): void;
  add_rgba(px: number, d: number, n: number): void;
}

let module: object | null | undefined;
let cached: Kernels | null = null;
/** An instance is kept for reuse by the thread while its memory is at most this big (a 12 MP image needs ≈ 8 MB). */
const KEEP_BYTES = 64 << 20;

/** An instance whose memory holds `bytes`: the thread's cached one, or a one-off for very large images. */
function instantiate(bytes: number): Kernels | null {
  if (module === undefined) {
    module = compileModule(RESIDUAL_WASM_BASE64);
  }
  if (!module) return null;
  const keep = bytes <= KEEP_BYTES;
  const k = (keep && cached) || instantiateModule<Kernels>(module);
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  if (keep) cached = k;
  return k;
}

/**
 * `out = clamp(pixels + delta)` on every colour channel (alpha untouched), where delta is the bilinear blend of two
 * rows of the widened residual (`h` rows of `W` columns, written by `widen` into the given array with the given row
 * stride) at each output row's vertical position. Returns the new pixel bytes, or null when WebAssembly SIMD is
 * unavailable.
 */
export function addWideResidualSimd(src: Uint8Array, W: number, H: number, channels: 3 | 4, h: number, widen: (out: Float32Array, stride: number) => void): Uint8Array | null {
  const Wp = (W + 15) & ~15;
  const rowBytes = W * channels;
  // The pixels pass through WebAssembly memory in strips of rows small enough to stay in cache between the copy in,
  // the add and the copy out (one pass over main memory each way instead of three).
  const stripRows = Math.max(1, Math.min(H, Math.floor(STRIP_BYTES / rowBytes)));
  const stripAt = 0;
  const wideAt = ((stripRows * rowBytes + 63) & ~63) + 64;
  const deltaAt = wideAt + h * Wp * 4;
  const k = instantiate(deltaAt + Wp);
  if (!k) return null;
  const mem = k.memory.buffer;
  widen(new Float32Array(mem, wideAt, h * Wp), Wp);
  const bytes = new Uint8Array(mem);
  const delta = new Int8Array(mem, deltaAt, Wp);
  const ty = bilinearTaps(H, h);
  const full = W & ~15;
  // Not zero-filled first: every byte is overwritten.
  const out = Buffer.allocUnsafeSlow(src.length);
  for (let Y0 = 0; Y0 < H; Y0 += stripRows) {
    const rows = Math.min(stripRows, H - Y0);
    bytes.set(src.subarray(Y0 * rowBytes, (Y0 + rows) * rowBytes), stripAt);
    for (let j = 0; j < rows; j++) {
      const Y = Y0 + j;
      k.blend_row(wideAt + ty.i0[Y]! * Wp * 4, wideAt + ty.i1[Y]! * Wp * 4, ty.f[Y]!, Wp, deltaAt);
      const row = stripAt + j * rowBytes;
      if (channels === 3) k.add_rgb(row, deltaAt, full);
      else k.add_rgba(row, deltaAt, full);
      for (let X = full; X < W; X++) {
        const d = delta[X]!;
        const p = row + X * channels;
        for (let c = 0; c < 3; c++) bytes[p + c] = Math.max(0, Math.min(255, bytes[p + c]! + d));
      }
    }
    out.set(bytes.subarray(stripAt, stripAt + rows * rowBytes), Y0 * rowBytes);
  }
  return new Uint8Array(out.buffer, out.byteOffset, src.length);
}

/** Bytes of pixels per strip (≈ half an L2 cache: the strip is read and written in place between the copies). */
const STRIP_BYTES = 256 << 10;
