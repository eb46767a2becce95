/**
 * Resampling helpers for float planes: 2×2 halving, bilinear resize with a halving pyramid (so shrinking never
 * aliases by more than 2×), and sampling under an affine map (used to bring a rotated/scaled image back to the
 * watermark's canonical grid).
 */
import type { Plane } from './planes.js';

/** 2×2 box average (drops an odd last row/column). */
export function halve(p: Plane): Plane {
  const w = p.width >> 1;
  const h = p.height >> 1;
  const out = new Float32Array(w * h);
  const s = p.data;
  const W = p.width;
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * W;
    const r1 = r0 + W;
    for (let x = 0; x < w; x++) {
      const i = 2 * x;
      out[y * w + x] = 0.25 * (s[r0 + i]! + s[r0 + i + 1]! + s[r1 + i]! + s[r1 + i + 1]!);
    }
  }
  return { width: w, height: h, data: out };
}

/** Bilinear sample with edge clamping at real-valued (x, y) (pixel centres at integers). */
export function sampleBilinear(p: Plane, x: number, y: number): number {
  const W = p.width;
  const H = p.height;
  if (x < 0) x = 0;
  else if (x > W - 1) x = W - 1;
  if (y < 0) y = 0;
  else if (y > H - 1) y = H - 1;
  const x0 = Math.min(Math.floor(x), W - 2 < 0 ? 0 : W - 2);
  const y0 = Math.min(Math.floor(y), H - 2 < 0 ? 0 : H - 2);
  const fx = x - x0;
  const fy = y - y0;
  const d = p.data;
  const i = y0 * W + x0;
  const x1 = W > 1 ? 1 : 0;
  const y1 = H > 1 ? W : 0;
  const a = d[i]! + (d[i + x1]! - d[i]!) * fx;
  const b = d[i + y1]! + (d[i + y1 + x1]! - d[i + y1]!) * fx;
  return a + (b - a) * fy;
}

/**
 * Bilinear value of a W-wide row-major plane at (x, y) already known to lie inside [0, W − 1) × [0, H − 1): the
 * unclamped kernel of the affine samplers' hot loops (small enough for V8 to inline).
 */
export function bilinearInside(s: ArrayLike<number>, W: number, x: number, y: number): number {
  const x0 = x | 0;
  const y0 = y | 0;
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * W + x0;
  const t = s[i]! + (s[i + 1]! - s[i]!) * fx;
  const bb = s[i + W]! + (s[i + W + 1]! - s[i + W]!) * fx;
  return t + (bb - t) * fy;
}

/** Resize to nw×nh: halve while the shrink factor is ≥ 2, then bilinear (pixel-centre aligned). */
export function resize(p: Plane, nw: number, nh: number): Plane {
  let src = p;
  while (src.width >= 2 * nw && src.height >= 2 * nh && src.width >= 2 && src.height >= 2) src = halve(src);
  if (src.width === nw && src.height === nh) return src;
  const out = new Float32Array(nw * nh);
  const sx = src.width / nw;
  const sy = src.height / nh;
  for (let y = 0; y < nh; y++) {
    const fy = (y + 0.5) * sy - 0.5;
    for (let x = 0; x < nw; x++) out[y * nw + x] = sampleBilinear(src, (x + 0.5) * sx - 0.5, fy);
  }
  return { width: nw, height: nh, data: out };
}

/**
 * Samples `p` on an outW×outH grid under the affine map (u, v) → (a·u + b·v + c, d·u + e·v + f). Points that fall
 * outside the source get value 0 and valid = 0.
 */
export function sampleAffine(p: Plane, m: readonly [number, number, number, number, number, number], outW: number, outH: number): { plane: Plane; valid: Uint8Array } {
  const [a, b, c, d, e, f] = m;
  const out = new Float32Array(outW * outH);
  const valid = new Uint8Array(outW * outH);
  const W = p.width;
  const H = p.height;
  const s = p.data;
  for (let v = 0; v < outH; v++) {
    let x = b * v + c;
    let y = e * v + f;
    for (let u = 0; u < outW; u++, x += a, y += d) {
      if (x < 0 || y < 0 || x > W - 1.001 || y > H - 1.001) continue;
      const o = v * outW + u;
      out[o] = bilinearInside(s, W, x, y);
      valid[o] = 1;
    }
  }
  return { plane: { width: outW, height: outH, data: out }, valid };
}

/** Separable box mean of radius r (window 2r+1) with edge renormalisation. */
export function boxMean(p: Plane, r: number): Float32Array {
  const { width: W, height: H, data } = p;
  const tmp = new Float32Array(W * H);
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    let s = 0;
    let n = 0;
    for (let x = 0; x < Math.min(r, W); x++) {
      s += data[row + x]!;
      n++;
    }
    for (let x = 0; x < W; x++) {
      const add = x + r;
      if (add < W) {
        s += data[row + add]!;
        n++;
      }
      const rem = x - r - 1;
      if (rem >= 0) {
        s -= data[row + rem]!;
        n--;
      }
      tmp[row + x] = s / n;
    }
  }
  for (let x = 0; x < W; x++) {
    let s = 0;
    let n = 0;
    for (let y = 0; y < Math.min(r, H); y++) {
      s += tmp[y * W + x]!;
      n++;
    }
    for (let y = 0; y < H; y++) {
      const add = y + r;
      if (add < H) {
        s += tmp[add * W + x]!;
        n++;
      }
      const rem = y - r - 1;
      if (rem >= 0) {
        s -= tmp[rem * W + x]!;
        n--;
      }
      out[y * W + x] = s / n;
    }
  }
  return out;
}

/**
 * Bilinear source taps for resampling `inN` samples onto `outN` (pixel-centre aligned, clamped at the edges): output
 * sample i blends inputs `i0[i]` and `i1[i]` with weight `f[i]` on the second. Computed once per axis so that hot
 * loops only index.
 */
export interface BilinearTaps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float64Array;
}

/** {@link BilinearTaps} for one axis. */
export function bilinearTaps(outN: number, inN: number): BilinearTaps {
  const scale = inN / outN;
  const i0 = new Int32Array(outN);
  const i1 = new Int32Array(outN);
  const f = new Float64Array(outN);
  for (let i = 0; i < outN; i++) {
    const x = Math.max(0, Math.min(inN - 1, (i + 0.5) * scale - 0.5));
    const a = Math.min(Math.floor(x), Math.max(0, inN - 2));
    i0[i] = a;
    i1[i] = Math.min(inN - 1, a + 1);
    f[i] = x - a;
  }
  return { i0, i1, f };
}
