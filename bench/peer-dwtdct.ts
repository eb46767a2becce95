/**
 * Peer baseline for the watermark benchmark: the `dwtDct` method of the open-source `invisible-watermark` library
 * (imwatermark/maxDct.py, EmbedMaxDct with its defaults: scales [0, 36, 36], 4×4 blocks), ported to TypeScript so that
 * the benchmark can run it on the same images and the same attacked copies as wm-v1 (the library is Python and is
 * not installable here). Port of the published algorithm, step for step:
 *
 *   - BGR → YUV as OpenCV's COLOR_BGR2YUV; only channel 1 (U) is marked (scale 0 skips Y; its loop never reaches V);
 *   - one-level Haar DWT of the U plane cropped to a multiple of 4; the LL band is cut into 4×4 blocks in row order;
 *   - block n carries bit n mod L: the block's largest-magnitude coefficient other than the first is quantised to
 *     (⌊|v|/36⌋ + 0.25 + 0.5·bit)·36 with v's sign (no DCT is applied despite the method's name);
 *   - inverse DWT — with the horizontal and vertical detail bands passed swapped, as the library does — and back to
 *     BGR with 8-bit rounding;
 *   - decoding reads each block's bit as (|v| mod 36) > 18 and averages the votes of the blocks of each bit.
 *
 * There is no synchronisation: the decoder reads the leaked file's own block grid, as the library's does.
 */
import type { Rgb } from './attacks.js';

const SCALE = 36;
const BLOCK = 4;

/** OpenCV's 8-bit RGB → YUV (Y = 0.299 R + 0.587 G + 0.114 B, U = 0.492 (B − Y) + 128, V = 0.877 (R − Y) + 128). */
function toYuv(img: Rgb): [Float64Array, Float64Array, Float64Array] {
  const n = img.width * img.height;
  const y = new Float64Array(n);
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0, p = 0; i < n; i++, p += img.channels) {
    const r = img.data[p]!;
    const g = img.data[p + 1]!;
    const b = img.data[p + 2]!;
    const Y = 0.299 * r + 0.587 * g + 0.114 * b;
    // OpenCV stores the YUV image as 8 bits: the library works on those rounded values.
    y[i] = clamp8(Y);
    u[i] = clamp8(0.492 * (b - Y) + 128);
    v[i] = clamp8(0.877 * (r - Y) + 128);
  }
  return [y, u, v];
}

function clamp8(x: number): number {
  return Math.max(0, Math.min(255, Math.round(x)));
}

/** Haar analysis of the top-left w×h (even) part of a plane: LL, and the three detail bands. */
function dwt2(p: Float64Array, W: number, w: number, h: number): { ll: Float64Array; hd: Float64Array; vd: Float64Array; dd: Float64Array } {
  const w2 = w / 2;
  const h2 = h / 2;
  const ll = new Float64Array(w2 * h2);
  const hd = new Float64Array(w2 * h2);
  const vd = new Float64Array(w2 * h2);
  const dd = new Float64Array(w2 * h2);
  for (let y = 0; y < h2; y++)
    for (let x = 0; x < w2; x++) {
      const a = p[2 * y * W + 2 * x]!;
      const b = p[2 * y * W + 2 * x + 1]!;
      const c = p[(2 * y + 1) * W + 2 * x]!;
      const d = p[(2 * y + 1) * W + 2 * x + 1]!;
      const o = y * w2 + x;
      ll[o] = (a + b + c + d) / 2;
      hd[o] = (a + b - c - d) / 2; // pywt's cH: low-pass along rows, high-pass down the columns
      vd[o] = (a - b + c - d) / 2; // cV
      dd[o] = (a - b - c + d) / 2; // cD
    }
  return { ll, hd, vd, dd };
}

/** Haar synthesis into the top-left w×h part of a plane (the inverse of {@link dwt2} for (ll, hd, vd, dd)). */
function idwt2(out: Float64Array, W: number, w: number, h: number, ll: Float64Array, hd: Float64Array, vd: Float64Array, dd: Float64Array): void {
  const w2 = w / 2;
  for (let y = 0; y < h / 2; y++)
    for (let x = 0; x < w2; x++) {
      const o = y * w2 + x;
      const A = ll[o]!, H = hd[o]!, V = vd[o]!, D = dd[o]!;
      out[2 * y * W + 2 * x] = (A + H + V + D) / 2;
      out[2 * y * W + 2 * x + 1] = (A + H - V - D) / 2;
      out[(2 * y + 1) * W + 2 * x] = (A - H + V - D) / 2;
      out[(2 * y + 1) * W + 2 * x + 1] = (A - H - V + D) / 2;
    }
}

/** Index (within the 4×4 block at bx, by of the LL band) of the largest-magnitude coefficient other than the first. */
function maxPos(ll: Float64Array, w2: number, bx: number, by: number): number {
  let best = 1;
  let bestAbs = -1;
  for (let k = 1; k < BLOCK * BLOCK; k++) {
    const v = Math.abs(ll[(by * BLOCK + ((k / BLOCK) | 0)) * w2 + bx * BLOCK + (k % BLOCK)]!);
    if (v > bestAbs) {
      bestAbs = v;
      best = k;
    }
  }
  return (by * BLOCK + ((best / BLOCK) | 0)) * w2 + bx * BLOCK + (best % BLOCK);
}

/** Embeds `bits` (0/1) with the library's dwtDct method. */
export function peerEmbed(img: Rgb, bits: Uint8Array): Rgb {
  const W = img.width;
  const Hh = img.height;
  const [y, u, v] = toYuv(img);
  const w = W - (W % 4);
  const h = Hh - (Hh % 4);
  const { ll, hd, vd, dd } = dwt2(u, W, w, h);
  const w2 = w / 2;
  let num = 0;
  for (let by = 0; by < h / 2 / BLOCK; by++)
    for (let bx = 0; bx < w2 / BLOCK; bx++) {
      const bit = bits[num % bits.length]!;
      const at = maxPos(ll, w2, bx, by);
      const val = ll[at]!;
      const q = (Math.floor(Math.abs(val) / SCALE) + 0.25 + 0.5 * bit) * SCALE;
      ll[at] = val >= 0 ? q : -q;
      num++;
    }
  // The library reconstructs with (cA, (cV, cH, cD)): the two detail bands swapped.
  idwt2(u, W, w, h, ll, vd, hd, dd);
  const out = new Uint8Array(W * Hh * 3);
  for (let i = 0; i < W * Hh; i++) {
    const Y = y[i]!;
    const U = clamp8(u[i]!) - 128;
    const V = v[i]! - 128;
    out[3 * i] = clamp8(Y + V / 0.877);
    out[3 * i + 2] = clamp8(Y + U / 0.492);
    out[3 * i + 1] = clamp8((Y - 0.299 * (Y + V / 0.877) - 0.114 * (Y + U / 0.492)) / 0.587);
  }
  return { width: W, height: Hh, channels: 3, data: out };
}

/** Reads `n` bits with the library's dwtDct decoder (majority of the blocks' votes per bit). */
export function peerDecode(img: Rgb, n: number): Uint8Array {
  const W = img.width;
  const [, u] = toYuv(img);
  const w = W - (W % 4);
  const h = img.height - (img.height % 4);
  const out = new Uint8Array(n);
  if (w < 8 || h < 8) return out;
  const { ll } = dwt2(u, W, w, h);
  const w2 = w / 2;
  const ones = new Float64Array(n);
  const count = new Float64Array(n);
  let num = 0;
  for (let by = 0; by < h / 2 / BLOCK; by++)
    for (let bx = 0; bx < w2 / BLOCK; bx++) {
      const val = Math.abs(ll[maxPos(ll, w2, bx, by)]!);
      ones[num % n]! += val % SCALE > 0.5 * SCALE ? 1 : 0;
      count[num % n]!++;
      num++;
    }
  for (let i = 0; i < n; i++) out[i] = count[i]! > 0 && (ones[i]! / count[i]!) * 255 > 127 ? 1 : 0;
  return out;
}
