/**
 * Alteration detection: given a vault original, a leaked copy and the homography between them, find the regions of
 * the leaked copy that were changed on purpose (a replaced portrait, rewritten text, a cloned or pasted patch) while
 * ignoring what every leak goes through (re-compression, resizing, crops, colour and brightness shifts, blur, noise,
 * screen moiré, small misalignment).
 *
 * Pipeline, in the leaked frame at a working resolution (long side ≤ 1024):
 * 1. tone: a quadratic tone curve per colour channel, fitted robustly (IRLS) on a coarse frame, maps the original's
 *    colours onto the leaked copy's (colour casts, gamma, brightness);
 * 2. geometry: the toned original luma is warped through the homography (with a pyramid against aliasing); a
 *    correcting homography fitted robustly to per-tile displacements (up to ±16 px) over the whole frame re-aligns
 *    what an estimated homography gets wrong far from where its keypoints were (the background of a selfie whose
 *    card drove the fit); then a global sub-pixel shift and a smooth field of per-tile shifts absorb the rest;
 * 3. blur: the sharper image is blurred until the two match best (phone photos and downscales are softer);
 * 4. difference: a pixel counts only by how far it lies outside the other image's 3×3 min–max envelope (both ways),
 *    which absorbs resampling, ringing and sub-pixel shifts but not added or removed strokes; chroma is compared the
 *    same way on the coarse frame (pasted faces keep luma but not colour);
 * 5. significance: per 8×8 block, the benign model D ≈ floor + β·contrast is fitted per image as robust upper bounds
 *    (median + k·MAD of flat blocks for the floor, of D/contrast for β) — JPEG and moiré damage grows with local
 *    contrast, an edit does not follow it; blocks above it are closed, labelled, trimmed to their strong core, boxed
 *    and merged per edit (pieces of one text line, parts of one face).
 * Pure over rasters: no storage, no I/O.
 */
import { invalidArgument, TracemarkError } from '../core/errors.js';

/** Interleaved 8-bit pixels (RGB or RGBA), e.g. the result of `decodeImage`. */
export interface RasterLike {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** Row-major 3×3 homography mapping original pixel centres to leaked pixel centres. */
export type Homography = readonly [number, number, number, number, number, number, number, number, number];

/** One altered region in leaked-image pixel coordinates. */
export interface AlteredRegion {
  /** [x0, y0, x1, y1], x1/y1 exclusive. */
  bbox: [number, number, number, number];
  /** 0..1: how far above the benign noise floor the region is (1 = certain). */
  score: number;
}

/** Result of {@link detectAlteration}. */
export interface AlterationResult {
  altered: boolean;
  regions: AlteredRegion[];
  /**
   * Difference heat-map (0 = explained by benign change, 255 = far above the noise floor) over the leaked frame at
   * the working resolution: stretch it to the leaked image's size to overlay it.
   */
  heatmap: { width: number; height: number; data: Uint8Array };
  /** Diagnostics for reports and tuning. */
  stats: {
    workingScale: number;
    validFraction: number;
    noiseFloor: number;
    threshold: number;
    /** Allowed difference per unit of local contrast (the benign model's slope). */
    contrastSlope: number;
    blurOriginal: number;
    blurLeaked: number;
    refinedShift: [number, number];
    /** Whether the whole-frame residual alignment replaced the given homography. */
    realigned: boolean;
  };
}

/** Options for {@link detectAlteration}. */
export interface AlterationOptions {
  /** Longest side of the working resolution (default 1024). */
  maxSide?: number;
  /** Block size in working pixels for the significance test (default 8). */
  block?: number;
  /** Noise-floor multiplier: a block counts when above median + k·MAD (default 7). */
  k?: number;
  /** Smallest region kept, in working pixels (default 200). */
  minArea?: number;
  /** Smallest region score reported as an alteration (default 0.4). */
  minScore?: number;
  /** Re-fit the alignment over the whole frame before comparing (default true; off only to measure its effect). */
  residualAlignment?: boolean;
  /** Receives intermediate planes (names: original, leaked, diff) — for tuning and tests, never needed in use. */
  debug?: (name: string, plane: { width: number; height: number; data: Float32Array }) => void;
}

/**
 * Sub-pixel refinement of a tile's shift: a 3×3 neighbourhood search at steps 1, ½ and ¼ px around the best shift so
 * far, staying within ±`limit`.
 */
function refineShift(start: { dx: number; dy: number; e: number }, limit: number, err: (dx: number, dy: number) => number): { dx: number; dy: number; e: number } {
  let best = start;
  for (const step of [1, 0.5, 0.25]) {
    const c = best;
    for (let iy = -1; iy <= 1; iy++) for (let ix = -1; ix <= 1; ix++) {
      const dx = c.dx + ix * step;
      const dy = c.dy + iy * step;
      if ((ix === 0 && iy === 0) || Math.abs(dx) > limit || Math.abs(dy) > limit) continue;
      const e = err(dx, dy);
      if (e < best.e) best = { dx, dy, e };
    }
  }
  return best;
}

/**
 * Sum of central-difference gradient magnitudes over a tile (every second pixel, inside the mask) and how many pixels
 * were counted: a tile's texture, which decides whether it can say anything about alignment.
 */
function tileGradient(d: Float32Array, w: number, mask: Uint8Array, x0: number, y0: number, x1: number, y1: number): { g: number; n: number } {
  let g = 0;
  let n = 0;
  for (let y = y0; y < y1; y += 2) for (let x = x0; x < x1; x += 2) {
    const i = y * w + x;
    if (!mask[i]) continue;
    g += Math.abs(d[i + 1]! - d[i - 1]!) + Math.abs(d[i + w]! - d[i - w]!);
    n++;
  }
  return { g, n };
}

/** Identifier of this algorithm's behaviour, stored with results (bump when output changes). */
export const ALTERATION_VERSION = 'alt-v1';

interface Plane {
  w: number;
  h: number;
  d: Float32Array;
}

/** Luma (BT.601) of interleaved pixels. */
function luma(r: RasterLike): Plane {
  const n = r.width * r.height;
  const d = new Float32Array(n);
  const c = r.channels;
  const s = r.data;
  if (c >= 3) for (let i = 0, p = 0; i < n; i++, p += c) d[i] = 0.299 * s[p]! + 0.587 * s[p + 1]! + 0.114 * s[p + 2]!;
  else for (let i = 0, p = 0; i < n; i++, p += c) d[i] = s[p]!;
  return { w: r.width, h: r.height, d };
}

/** k×k block averages of each colour channel (or of luma when nc = 1), straight from interleaved pixels. */
function reduceChannels(r: RasterLike, k: number, nc: number): Plane[] {
  const w = Math.max(1, Math.floor(r.width / k));
  const h = Math.max(1, Math.floor(r.height / k));
  const out = Array.from({ length: nc }, () => new Float32Array(w * h));
  const s = r.data;
  const ch = r.channels;
  const inv = 1 / (k * k);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let a = 0;
      let b = 0;
      let c = 0;
      for (let yy = y * k; yy < (y + 1) * k; yy++) {
        let p = (yy * r.width + x * k) * ch;
        for (let xx = 0; xx < k; xx++, p += ch) {
          if (nc === 3) {
            a += s[p]!;
            b += s[p + 1]!;
            c += s[p + 2]!;
          } else a += ch >= 3 ? 0.299 * s[p]! + 0.587 * s[p + 1]! + 0.114 * s[p + 2]! : s[p]!;
        }
      }
      out[0]![y * w + x] = a * inv;
      if (nc === 3) {
        out[1]![y * w + x] = b * inv;
        out[2]![y * w + x] = c * inv;
      }
    }
  }
  return out.map((d) => ({ w, h, d }));
}

/** Luma of the original after each channel went through its tone curve (one pass over interleaved pixels). */
function tonedLuma(r: RasterLike, luts: Float32Array[]): Plane {
  const n = r.width * r.height;
  const d = new Float32Array(n);
  const s = r.data;
  const ch = r.channels;
  if (luts.length === 3) {
    const [lr, lg, lb] = luts as [Float32Array, Float32Array, Float32Array];
    for (let i = 0, p = 0; i < n; i++, p += ch) d[i] = 0.299 * lr[s[p]!]! + 0.587 * lg[s[p + 1]!]! + 0.114 * lb[s[p + 2]!]!;
  } else {
    const l = luts[0]!;
    for (let i = 0, p = 0; i < n; i++, p += ch) d[i] = l[Math.round(ch >= 3 ? 0.299 * s[p]! + 0.587 * s[p + 1]! + 0.114 * s[p + 2]! : s[p]!)]!;
  }
  return { w: r.width, h: r.height, d };
}

/** Per-pixel chroma excess (B−Y and R−Y) of two colour plane triples beyond each other's 3×3 envelope. */
function chromaExcess(o: Plane[], l: Plane[], mask: Uint8Array): Float32Array {
  const n = o[0]!.d.length;
  const out = new Float32Array(n);
  const chroma = (ch: Plane[], which: 0 | 2): Plane => {
    const [r, g, b] = ch as [Plane, Plane, Plane];
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const y = 0.299 * r.d[i]! + 0.587 * g.d[i]! + 0.114 * b.d[i]!;
      d[i] = (which === 0 ? r.d[i]! : b.d[i]!) - y;
    }
    return { w: r.w, h: r.h, d };
  };
  for (const which of [0, 2] as const) {
    const co = chroma(o, which);
    const cl = chroma(l, which);
    const eo = minMax3(co);
    const el = minMax3(cl);
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      const a = cl.d[i]!;
      const b = co.d[i]!;
      const e1 = a > eo.hi[i]! ? a - eo.hi[i]! : a < eo.lo[i]! ? eo.lo[i]! - a : 0;
      const e2 = b > el.hi[i]! ? b - el.hi[i]! : b < el.lo[i]! ? el.lo[i]! - b : 0;
      const e = e1 > e2 ? e1 : e2;
      if (e > out[i]!) out[i] = e;
    }
  }
  return out;
}

/** 2×2 box average (the pyramid step that keeps minification from aliasing). */
function halve(p: Plane): Plane {
  const w = p.w >> 1;
  const h = p.h >> 1;
  const d = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * p.w;
    const r1 = r0 + p.w;
    for (let x = 0; x < w; x++) {
      const i = 2 * x;
      d[y * w + x] = 0.25 * (p.d[r0 + i]! + p.d[r0 + i + 1]! + p.d[r1 + i]! + p.d[r1 + i + 1]!);
    }
  }
  return { w, h, d };
}

/** Normalised Gaussian taps of radius max(1, ⌈3σ⌉), by σ (a handful of σ values recur on every image). */
const gaussTaps = new Map<number, Float32Array>();

function gaussKernel(sigma: number): Float32Array {
  const hit = gaussTaps.get(sigma);
  if (hit) return hit;
  const rad = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * rad + 1);
  let sum = 0;
  for (let i = -rad; i <= rad; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + rad] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  if (gaussTaps.size < 64) gaussTaps.set(sigma, k);
  return k;
}

/**
 * Separable Gaussian blur with clamped edges (sigma < 0.3 returns a copy). Each output is the same sum in the same
 * tap order as a per-pixel loop with clamped indices; the clamping is confined to the border columns, and the
 * vertical pass runs along rows (a float64 accumulator row) so memory is read in order.
 */
function blur(p: Plane, sigma: number): Plane {
  if (sigma < 0.3) return { w: p.w, h: p.h, d: new Float32Array(p.d) };
  const k = gaussKernel(sigma);
  const rad = (k.length - 1) >> 1;
  if (rad <= 3) return blurSmall(p, k, rad);
  const { w, h } = p;
  const src = p.d;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const taps = k.length;
  const xa = Math.min(rad, w);
  const xb = Math.max(xa, w - rad);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < xa; x++) {
      let s = 0;
      for (let j = -rad; j <= rad; j++) {
        const xx = x + j < 0 ? 0 : x + j >= w ? w - 1 : x + j;
        s += k[j + rad]! * src[row + xx]!;
      }
      tmp[row + x] = s;
    }
    for (let x = xa; x < xb; x++) {
      let s = 0;
      const o = row + x - rad;
      for (let t = 0; t < taps; t++) s += k[t]! * src[o + t]!;
      tmp[row + x] = s;
    }
    for (let x = xb; x < w; x++) {
      let s = 0;
      for (let j = -rad; j <= rad; j++) {
        const xx = x + j < 0 ? 0 : x + j >= w ? w - 1 : x + j;
        s += k[j + rad]! * src[row + xx]!;
      }
      tmp[row + x] = s;
    }
  }
  const acc = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let t = 0; t < taps; t++) {
      const yy = y + t - rad;
      const r = (yy < 0 ? 0 : yy >= h ? h - 1 : yy) * w;
      const kt = k[t]!;
      for (let x = 0; x < w; x++) acc[x] = acc[x]! + kt * tmp[r + x]!;
    }
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + x] = acc[x]!;
  }
  return { w, h, d: out };
}

/**
 * {@link blur} for radius 1–3 (the anti-aliasing pre-blur of every warp, the alignment smoothing): the seven taps
 * unrolled, missing ones weighted 0 at the ends of the sum, so each output is the same sum in the same order.
 * Clamped source indices are precomputed per column and per row.
 */
function blurSmall(p: Plane, k: Float32Array, rad: number): Plane {
  const { w, h } = p;
  const src = p.d;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const k0 = k[0]!, k1 = k[1]!, k2 = k[2]!, k3 = rad >= 2 ? k[3]! : 0, k4 = rad >= 2 ? k[4]! : 0, k5 = rad >= 3 ? k[5]! : 0, k6 = rad >= 3 ? k[6]! : 0;
  // Column offsets of the taps (clamped at the edges); unused taps repeat the centre with weight 0.
  const cx = new Int32Array(7 * w);
  for (let x = 0; x < w; x++) for (let t = 0; t < 7; t++) {
    const j = t < 2 * rad + 1 ? t - rad : 0;
    const xx = x + j < 0 ? 0 : x + j >= w ? w - 1 : x + j;
    cx[7 * x + t] = xx;
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const c = 7 * x;
      let s = 0;
      s += k0 * src[row + cx[c]!]!;
      s += k1 * src[row + cx[c + 1]!]!;
      s += k2 * src[row + cx[c + 2]!]!;
      if (rad >= 2) {
        s += k3 * src[row + cx[c + 3]!]!;
        s += k4 * src[row + cx[c + 4]!]!;
        if (rad >= 3) {
          s += k5 * src[row + cx[c + 5]!]!;
          s += k6 * src[row + cx[c + 6]!]!;
        }
      }
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    const r = (t: number): number => {
      const yy = y + t - rad;
      return (yy < 0 ? 0 : yy >= h ? h - 1 : yy) * w;
    };
    const r0 = r(0), r1 = r(1), r2 = r(2), r3 = r(3), r4 = r(4), r5 = r(5), r6 = r(6);
    const row = y * w;
    if (rad === 1) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        s += k0 * tmp[r0 + x]!;
        s += k1 * tmp[r1 + x]!;
        s += k2 * tmp[r2 + x]!;
        out[row + x] = s;
      }
    } else if (rad === 2) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        s += k0 * tmp[r0 + x]!;
        s += k1 * tmp[r1 + x]!;
        s += k2 * tmp[r2 + x]!;
        s += k3 * tmp[r3 + x]!;
        s += k4 * tmp[r4 + x]!;
        out[row + x] = s;
      }
    } else {
      for (let x = 0; x < w; x++) {
        let s = 0;
        s += k0 * tmp[r0 + x]!;
        s += k1 * tmp[r1 + x]!;
        s += k2 * tmp[r2 + x]!;
        s += k3 * tmp[r3 + x]!;
        s += k4 * tmp[r4 + x]!;
        s += k5 * tmp[r5 + x]!;
        s += k6 * tmp[r6 + x]!;
        out[row + x] = s;
      }
    }
  }
  return { w, h, d: out };
}

/** Area-average resize to (w, h) ≤ source size (used to bring the leaked copy to the working resolution). */
function shrink(p: Plane, w: number, h: number): Plane {
  if (w === p.w && h === p.h) return p;
  let cur = p;
  while (cur.w >= 2 * w && cur.h >= 2 * h) cur = halve(cur);
  const d = new Float32Array(w * h);
  const sx = cur.w / w;
  const sy = cur.h / h;
  for (let y = 0; y < h; y++) {
    const y0 = y * sy;
    const y1 = (y + 1) * sy;
    for (let x = 0; x < w; x++) {
      const x0 = x * sx;
      const x1 = (x + 1) * sx;
      let s = 0;
      let a = 0;
      for (let yy = Math.floor(y0); yy < Math.min(cur.h, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(cur.w, Math.ceil(x1)); xx++) {
          const wx = Math.min(x1, xx + 1) - Math.max(x0, xx);
          s += wx * wy * cur.d[yy * cur.w + xx]!;
          a += wx * wy;
        }
      }
      d[y * w + x] = a > 0 ? s / a : 0;
    }
  }
  return { w, h, d };
}

type M3 = [number, number, number, number, number, number, number, number, number];

function mul3(a: Homography, b: Homography): M3 {
  const o = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) o[r * 3 + c] = a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!;
  return o as M3;
}

function inv3(m: Homography): M3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw invalidArgument('homography', 'an invertible 3×3 matrix', 'a singular matrix');
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

/** Pixel-centre mapping of a resize by (sx, sy). */
function scaleMat(sx: number, sy: number): M3 {
  return [sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1];
}

/** Local linear scale of H at a point (square root of the Jacobian determinant). */
function localScale(H: Homography, x: number, y: number): number {
  const w = H[6] * x + H[7] * y + H[8];
  const u = (H[0] * x + H[1] * y + H[2]) / w;
  const v = (H[3] * x + H[4] * y + H[5]) / w;
  const a = (H[0] - H[6] * u) / w;
  const b = (H[1] - H[7] * u) / w;
  const c = (H[3] - H[6] * v) / w;
  const d = (H[4] - H[7] * v) / w;
  return Math.sqrt(Math.abs(a * d - b * c));
}

/**
 * Warps the original plane into a w×h frame through H (original → frame); pixels that fall outside the original get
 * mask 0. The original is first reduced by a halving pyramid and a Gaussian so that the warp samples at ≤ 1 px/px.
 */
function warpInto(orig: Plane, H: Homography, w: number, h: number): { p: Plane; mask: Uint8Array } {
  let src = orig;
  let Hs: M3 = [...H] as M3;
  const c = inv3(H);
  const cw = c[6] * (w / 2) + c[7] * (h / 2) + c[8];
  const scale = localScale(H, (c[0] * (w / 2) + c[1] * (h / 2) + c[2]) / cw, (c[3] * (w / 2) + c[4] * (h / 2) + c[5]) / cw);
  let s = scale;
  while (s < 0.5 && src.w > 8 && src.h > 8) {
    const half = halve(src);
    // frame = H · (half → orig), half → orig is a pixel-centre scale by (orig/half).
    Hs = mul3(Hs, scaleMat(src.w / half.w, src.h / half.h));
    s *= 2;
    src = half;
  }
  if (s < 0.95) src = blur(src, 0.5 * Math.sqrt(1 / (s * s) - 1));
  const inv = inv3(Hs);
  const d = new Float32Array(w * h);
  const mask = new Uint8Array(w * h);
  const W = src.w;
  const Hh = src.h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const q = inv[6] * x + inv[7] * y + inv[8];
      const sx = (inv[0] * x + inv[1] * y + inv[2]) / q;
      const sy = (inv[3] * x + inv[4] * y + inv[5]) / q;
      if (!(sx >= 0 && sy >= 0 && sx <= W - 1 && sy <= Hh - 1)) continue;
      const x0 = Math.min(Math.floor(sx), W - 2);
      const y0 = Math.min(Math.floor(sy), Hh - 2);
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * W + x0;
      d[y * w + x] = (1 - fy) * ((1 - fx) * src.d[i]! + fx * src.d[i + 1]!) + fy * ((1 - fx) * src.d[i + W]! + fx * src.d[i + W + 1]!);
      mask[y * w + x] = 1;
    }
  }
  return { p: { w, h, d }, mask };
}

/**
 * Erodes a 0/1 mask by r pixels (square structuring element, separable running sums); the frame border erodes too.
 * The vertical pass slides a per-column count down the rows, so memory is read in order.
 */
function erode(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const tmp = new Uint8Array(w * h);
  const out = new Uint8Array(w * h);
  const ones = new Int32Array(w + 1);
  const full = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) ones[x + 1] = ones[x]! + mask[row + x]!;
    for (let x = r; x < w - r; x++) tmp[row + x] = ones[x + r + 1]! - ones[x - r]! === full ? 1 : 0;
  }
  if (h < full) return out;
  const col = new Int32Array(w);
  for (let y = 0; y < full; y++) for (let x = 0; x < w; x++) col[x] = col[x]! + tmp[y * w + x]!;
  for (let y = r; y < h - r; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + x] = col[x] === full ? 1 : 0;
    if (y + r + 1 < h) {
      const add = (y + r + 1) * w;
      const sub = (y - r) * w;
      for (let x = 0; x < w; x++) col[x] = col[x]! + tmp[add + x]! - tmp[sub + x]!;
    }
  }
  return out;
}

/** Solves the 3×3 normal equations of a quadratic fit (Cramer's rule); null when degenerate. */
function solve3(m: number[], r: number[]): [number, number, number] | null {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (Math.abs(det) < 1e-12) return null;
  const [p, q, t] = r as [number, number, number];
  return [
    (p * (e * i - f * h) - b * (q * i - f * t) + c * (q * h - e * t)) / det,
    (a * (q * i - f * t) - p * (d * i - f * g) + c * (d * t - q * g)) / det,
    (a * (e * t - q * h) - b * (d * t - q * g) + p * (d * h - e * g)) / det,
  ];
}

/**
 * The tone-curve fit of {@link toneCurve} (IRLS, 5 iterations): coefficients of a quadratic (or, with
 * `quadratic` false, a line) from original values `ob` to leaked values `lb`, over pixels valid in `mask` (full size,
 * row stride `ow`, `k` full pixels per fitted pixel).
 */
function fitToneCurve(ob: Plane, lb: Plane, ow: number, mask: Uint8Array, k: number, halveFirst: boolean, quadratic: boolean): [number, number, number] {
  let coef: [number, number, number] = [0, 1, 0];
  for (let iter = 0; iter < 5; iter++) {
    const m = new Array<number>(9).fill(0);
    const r = [0, 0, 0];
    // Residual scale for the Huber-like weights, from the previous fit.
    const c = iter === 0 ? Infinity : 12;
    for (let i = 0; i < ob.d.length; i += halveFirst ? 2 : 1) {
      const hx = i % ob.w;
      const hy = (i - hx) / ob.w;
      if (!mask[k * hy * ow + k * hx] || !mask[(k * hy + k - 1) * ow + k * hx + k - 1]) continue;
      const y = lb.d[i]!;
      if (y < 3 || y > 252) continue; // clipped: says nothing about the curve
      const x = ob.d[i]! / 255;
      const pred = 255 * (coef[0] + coef[1] * x + coef[2] * x * x);
      const e = Math.abs(y - pred);
      const wgt = e <= c ? 1 : c / e;
      const x2 = x * x;
      m[0]! += wgt;
      m[1]! += wgt * x;
      m[2]! += wgt * x2;
      m[4]! += wgt * x2;
      m[5]! += wgt * x2 * x;
      m[8]! += wgt * x2 * x2;
      r[0]! += (wgt * y) / 255;
      r[1]! += (wgt * x * y) / 255;
      r[2]! += (wgt * x2 * y) / 255;
    }
    m[3] = m[1]!;
    m[6] = m[2]!;
    m[7] = m[5]!;
    if (!quadratic) {
      // Linear: drop the x² row and column.
      const det = m[0]! * m[4]! - m[1]! * m[1]!;
      if (Math.abs(det) < 1e-12) break;
      coef = [(r[0]! * m[4]! - m[1]! * r[1]!) / det, (m[0]! * r[1]! - m[1]! * r[0]!) / det, 0];
      continue;
    }
    const sol = solve3(m, r);
    if (!sol) break;
    coef = sol;
  }
  return coef;
}

/**
 * Tone curve from an original channel to the leaked channel: a quadratic in the value (covers gain, offset and a
 * gamma between about 0.7 and 1.4) fitted by iteratively reweighted least squares on lightly blurred copies, so
 * edited pixels, misaligned edges and clipped values barely pull it; applied with clamping to 0–255.
 */
function toneCurve(o: Plane, l: Plane, mask: Uint8Array, halveFirst = true): Float32Array {
  // The fit wants a light blur: a 2×2 average (or the caller's already reduced planes).
  const ob = halveFirst ? halve(o) : o;
  const lb = halveFirst ? halve(l) : l;
  const k = halveFirst ? 2 : 1;
  const fit = (quadratic: boolean): [number, number, number] => fitToneCurve(ob, lb, o.w, mask, k, halveFirst, quadratic);
  // A quadratic unless it bends backwards inside 0–255 (too little data in part of the range); then a line. A
  // tone curve that decreases would be an edit, not a benign change.
  let coef = fit(true);
  if (coef[1] < 0 || coef[1] + 2 * coef[2] < 0) coef = fit(false);
  if (coef[1] < 0) coef = [0, 1, 0];
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const x = v / 255;
    const y = 255 * (coef[0] + coef[1] * x + coef[2] * x * x);
    lut[v] = y < 0 ? 0 : y > 255 ? 255 : y;
  }
  return lut;
}

function applyLut(p: Plane, lut: Float32Array): Plane {
  const d = new Float32Array(p.d.length);
  for (let i = 0; i < d.length; i++) {
    const v = p.d[i]!;
    const f = v <= 0 ? 0 : v >= 255 ? 254.999 : v;
    const i0 = Math.floor(f);
    const t = f - i0;
    d[i] = lut[i0]! * (1 - t) + lut[Math.min(255, i0 + 1)]! * t;
  }
  return { w: p.w, h: p.h, d };
}

/** Robust mismatch |a(x) − b(x + d)| over a sparse subsample (capped so edits do not dominate), b sampled bilinearly. */
function mismatch(a: Plane, b: Plane, mask: Uint8Array, dx = 0, dy = 0): number {
  let s = 0;
  let n = 0;
  const w = a.w;
  const ix = Math.floor(dx);
  const iy = Math.floor(dy);
  const fx = dx - ix;
  const fy = dy - iy;
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  for (let y = 5; y < a.h - 5; y += 2) {
    for (let x = 5 + (y & 2); x < w - 5; x += 3) {
      const i = y * w + x;
      if (!mask[i]) continue;
      const j = (y + iy) * w + x + ix;
      const v = w00 * b.d[j]! + w10 * b.d[j + 1]! + w01 * b.d[j + w]! + w11 * b.d[j + w + 1]!;
      const e = Math.abs(a.d[i]! - v);
      s += e < 40 ? e : 40;
      n++;
    }
  }
  return n ? s / n : Infinity;
}

/** A rectangle [x0, y0, width, height] of a plane. */
type Rect = [number, number, number, number];

function cropPlane(p: Plane, r: Rect): Plane {
  const [x0, y0, cw, ch] = r;
  const d = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) d.set(p.d.subarray((y0 + y) * p.w + x0, (y0 + y) * p.w + x0 + cw), y * cw);
  return { w: cw, h: ch, d };
}

function cropMask(m: Uint8Array, w: number, r: Rect): Uint8Array {
  const [x0, y0, cw, ch] = r;
  const d = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) d.set(m.subarray((y0 + y) * w + x0, (y0 + y) * w + x0 + cw), y * cw);
  return d;
}

/** The most textured size×size window (of a 3×3 grid of candidates) inside the valid mask's bounding box. */
function analysisWindow(p: Plane, mask: Uint8Array, size: number): Rect {
  let x0 = p.w;
  let y0 = p.h;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < p.h; y += 2) for (let x = 0; x < p.w; x += 2) if (mask[y * p.w + x]) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  const cw = Math.min(size, Math.max(16, x1 - x0 + 1));
  const ch = Math.min(size, Math.max(16, y1 - y0 + 1));
  let best: Rect = [Math.max(0, Math.min(p.w - cw, x0)), Math.max(0, Math.min(p.h - ch, y0)), cw, ch];
  let bestScore = -1;
  for (let gy = 0; gy < 3; gy++) {
    for (let gx = 0; gx < 3; gx++) {
      const wx = Math.max(0, Math.min(p.w - cw, Math.round(x0 + ((x1 - x0 + 1 - cw) * gx) / 2)));
      const wy = Math.max(0, Math.min(p.h - ch, Math.round(y0 + ((y1 - y0 + 1 - ch) * gy) / 2)));
      let s = 0;
      for (let y = wy + 1; y < wy + ch - 1; y += 3) {
        for (let x = wx + 1; x < wx + cw - 1; x += 3) {
          const i = y * p.w + x;
          if (mask[i]) s += Math.abs(p.d[i + 1]! - p.d[i - 1]!) + Math.abs(p.d[i + p.w]! - p.d[i - p.w]!);
        }
      }
      if (s > bestScore) {
        bestScore = s;
        best = [wx, wy, cw, ch];
      }
    }
  }
  return best;
}

/** Mean capped |a(x) − b(x + d)| over a rectangle's sample grid (every `step` px), b bilinear; NaN when too few samples. */
function rectMismatch(a: Plane, b: Plane, mask: Uint8Array, x0: number, y0: number, x1: number, y1: number, dx: number, dy: number, step = 2, minN = 40): number {
  const w = a.w;
  const ix = Math.floor(dx);
  const iy = Math.floor(dy);
  const fx = dx - ix;
  const fy = dy - iy;
  let s = 0;
  let n = 0;
  for (let y = y0; y < y1; y += step) {
    for (let x = x0; x < x1; x += step) {
      const i = y * w + x;
      if (!mask[i]) continue;
      const j = (y + iy) * w + x + ix;
      const v = (1 - fy) * ((1 - fx) * b.d[j]! + fx * b.d[j + 1]!) + fy * ((1 - fx) * b.d[j + w]! + fx * b.d[j + w + 1]!);
      const e = Math.abs(a.d[i]! - v);
      s += e < 40 ? e : 40;
      n++;
    }
  }
  return n >= minN ? s / n : NaN;
}

/** Per-tile shifts (full-resolution pixels) on a coarse grid; tiles without texture hold the median shift. */
interface ShiftField {
  tile: number;
  tw: number;
  th: number;
  dx: Float32Array;
  dy: Float32Array;
}

/**
 * Estimates local misalignment between the warped original and the leaked copy: for each 64×64 tile (searched at
 * half resolution, ±3 px in half-pixel steps) the shift that best explains it, then a 3×3 median over tiles so a
 * tile whose content was edited cannot drag the field. Null when too few tiles have texture.
 */
function localShiftField(O: Plane, L: Plane, mask: Uint8Array): ShiftField | null {
  const Oh = halve(O);
  const Lh = halve(L);
  const mh = new Uint8Array(Oh.w * Oh.h);
  for (let y = 0; y < Oh.h; y++) for (let x = 0; x < Oh.w; x++) mh[y * Oh.w + x] = mask[2 * y * O.w + 2 * x]! & mask[(2 * y + 1) * O.w + 2 * x + 1]!;
  const T = 32;
  const tw = Math.ceil(Oh.w / T);
  const th = Math.ceil(Oh.h / T);
  const rawX = new Float32Array(tw * th).fill(NaN);
  const rawY = new Float32Array(tw * th).fill(NaN);
  let found = 0;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const x0 = Math.max(3, tx * T);
      const y0 = Math.max(3, ty * T);
      const x1 = Math.min(Oh.w - 4, (tx + 1) * T);
      const y1 = Math.min(Oh.h - 4, (ty + 1) * T);
      if (x1 - x0 < 12 || y1 - y0 < 12) continue;
      // Texture check: a flat tile says nothing about alignment.
      const { g, n } = tileGradient(Oh.d, Oh.w, mh, x0, y0, x1, y1);
      if (n < 40 || g / n < 6) continue;
      let best = { dx: 0, dy: 0, e: rectMismatch(Lh, Oh, mh, x0, y0, x1, y1, 0, 0) };
      if (!Number.isFinite(best.e)) continue;
      best = refineShift(best, 1.5, (dx, dy) => rectMismatch(Lh, Oh, mh, x0, y0, x1, y1, dx, dy));
      rawX[ty * tw + tx] = 2 * best.dx;
      rawY[ty * tw + tx] = 2 * best.dy;
      found++;
    }
  }
  if (found < 4) return null;
  const all = (a: Float32Array) => Array.from(a).filter((v) => !Number.isNaN(v));
  const mx = median(all(rawX));
  const my = median(all(rawY));
  const dx = new Float32Array(tw * th);
  const dy = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const nx: number[] = [];
      const ny: number[] = [];
      for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) {
        const xx = tx + i;
        const yy = ty + j;
        if (xx < 0 || yy < 0 || xx >= tw || yy >= th) continue;
        const v = rawX[yy * tw + xx]!;
        if (!Number.isNaN(v)) {
          nx.push(v);
          ny.push(rawY[yy * tw + xx]!);
        }
      }
      dx[ty * tw + tx] = nx.length >= 3 ? median(nx) : mx;
      dy[ty * tw + tx] = ny.length >= 3 ? median(ny) : my;
    }
  }
  return { tile: 2 * T, tw, th, dx, dy };
}

/** Solves A·x = b (n×n, row-major) by Gaussian elimination with partial pivoting; null when singular. */
function solveLinear(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const a = Float64Array.from(A);
  const r = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(a[i * n + c]!) > Math.abs(a[piv * n + c]!)) piv = i;
    if (Math.abs(a[piv * n + c]!) < 1e-12) return null;
    if (piv !== c) {
      for (let j = 0; j < n; j++) {
        const t = a[c * n + j]!;
        a[c * n + j] = a[piv * n + j]!;
        a[piv * n + j] = t;
      }
      const t = r[c]!;
      r[c] = r[piv]!;
      r[piv] = t;
    }
    for (let i = c + 1; i < n; i++) {
      const f = a[i * n + c]! / a[c * n + c]!;
      if (f === 0) continue;
      for (let j = c; j < n; j++) a[i * n + j] = a[i * n + j]! - f * a[c * n + j]!;
      r[i] = r[i]! - f * r[c]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let v = r[i]!;
    for (let j = i + 1; j < n; j++) v -= a[i * n + j]! * x[j]!;
    x[i] = v / a[i * n + i]!;
  }
  return x;
}

/**
 * Residual alignment over the whole frame. A feature homography is fitted where keypoints are dense (for a selfie,
 * the card in the hand), so elsewhere it can be off by 10–25 px — far beyond what the local shift field searches —
 * and the background then reads as edited. Per 48-px tile (textured ones only) the displacement of the warped
 * original that best explains the leaked copy is searched up to ±16 px at half resolution; a homography
 * `G` (frame → frame, leaked(x) ≈ warped(G·x)) is then fitted to those displacements by iteratively reweighted
 * least squares, so tiles whose content was edited (their best shift is arbitrary) carry no weight. Null when too
 * few tiles agree or the correction is negligible.
 */
function residualHomography(O: Plane, L: Plane, mask: Uint8Array): { G: M3; maxD: number } | null {
  const O2 = halve(O);
  const Oh = blur(O2, 1);
  const Lh = blur(halve(L), 1);
  const mh = new Uint8Array(Oh.w * Oh.h);
  for (let y = 0; y < Oh.h; y++) for (let x = 0; x < Oh.w; x++) mh[y * Oh.w + x] = mask[2 * y * O.w + 2 * x]! & mask[(2 * y + 1) * O.w + 2 * x + 1]!;
  const T = 24;
  const R = 8;
  const px: number[] = [];
  const py: number[] = [];
  const qx: number[] = [];
  const qy: number[] = [];
  for (let ty = 0; ty * T < Oh.h; ty++) {
    for (let tx = 0; tx * T < Oh.w; tx++) {
      const x0 = Math.max(R + 2, tx * T);
      const y0 = Math.max(R + 2, ty * T);
      const x1 = Math.min(Oh.w - R - 3, (tx + 1) * T);
      const y1 = Math.min(Oh.h - R - 3, (ty + 1) * T);
      if (x1 - x0 < 12 || y1 - y0 < 12) continue;
      const { g, n } = tileGradient(O2.d, Oh.w, mh, x0, y0, x1, y1);
      if (n < 60 || g / n < 6) continue;
      let best = { dx: 0, dy: 0, e: Infinity };
      for (let dy = -R; dy <= R; dy += 2) for (let dx = -R; dx <= R; dx += 2) {
        // The coarse grid on a sparser sample (the planes are smoothed, so every 4th pixel suffices).
        const e = rectMismatch(Lh, Oh, mh, x0, y0, x1, y1, dx, dy, 4, 20);
        if (e < best.e) best = { dx, dy, e };
      }
      if (!Number.isFinite(best.e)) continue;
      best.e = rectMismatch(Lh, Oh, mh, x0, y0, x1, y1, best.dx, best.dy);
      if (!Number.isFinite(best.e)) continue;
      best = refineShift(best, R, (dx, dy) => rectMismatch(Lh, Oh, mh, x0, y0, x1, y1, dx, dy));
      const cx = 2 * ((x0 + x1 - 1) / 2) + 0.5;
      const cy = 2 * ((y0 + y1 - 1) / 2) + 0.5;
      px.push(cx);
      py.push(cy);
      qx.push(cx + 2 * best.dx);
      qy.push(cy + 2 * best.dy);
    }
  }
  const m = px.length;
  if (m < 8) return null;
  // Normalised coordinates keep the normal equations well conditioned.
  const c0x = O.w / 2;
  const c0y = O.h / 2;
  const sc = Math.max(O.w, O.h) / 2;
  const wts = new Float64Array(m).fill(1);
  const res = new Float64Array(m);
  let g: Float64Array | null = null;
  const np = m >= 16 ? 8 : 6;
  for (let iter = 0; iter < 12; iter++) {
    const A = new Float64Array(np * np);
    const b = new Float64Array(np);
    const row = new Float64Array(np);
    for (let i = 0; i < m; i++) {
      const wt = wts[i]!;
      if (wt <= 0) continue;
      const x = (px[i]! - c0x) / sc;
      const y = (py[i]! - c0y) / sc;
      const u = (qx[i]! - c0x) / sc;
      const v = (qy[i]! - c0y) / sc;
      for (const [vals, rhs] of [[[x, y, 1, 0, 0, 0, -x * u, -y * u], u], [[0, 0, 0, x, y, 1, -x * v, -y * v], v]] as const) {
        for (let j = 0; j < np; j++) row[j] = vals[j]!;
        for (let j = 0; j < np; j++) {
          b[j] = b[j]! + wt * row[j]! * rhs;
          for (let k2 = 0; k2 < np; k2++) A[j * np + k2] = A[j * np + k2]! + wt * row[j]! * row[k2]!;
        }
      }
    }
    const sol = solveLinear(A, b, np);
    if (!sol) return null;
    g = sol;
    for (let i = 0; i < m; i++) {
      const x = (px[i]! - c0x) / sc;
      const y = (py[i]! - c0y) / sc;
      const q = np === 8 ? sol[6]! * x + sol[7]! * y + 1 : 1;
      const u = (sol[0]! * x + sol[1]! * y + sol[2]!) / q;
      const v = (sol[3]! * x + sol[4]! * y + sol[5]!) / q;
      res[i] = Math.hypot(u * sc + c0x - qx[i]!, v * sc + c0y - qy[i]!);
    }
    // Huber weights first (converge from a start that outliers pull), then Tukey (outliers drop out entirely).
    const cut = iter < 6 ? 1.5 : 3;
    for (let i = 0; i < m; i++) {
      const r = res[i]!;
      wts[i] = iter < 6 ? (r <= cut ? 1 : cut / r) : r >= cut ? 0 : (1 - (r / cut) ** 2) ** 2;
    }
  }
  if (!g) return null;
  let inliers = 0;
  for (let i = 0; i < m; i++) if (res[i]! < 2) inliers++;
  if (inliers < 8 || inliers < 0.4 * m) return null;
  const Gn: M3 = [g[0]!, g[1]!, g[2]!, g[3]!, g[4]!, g[5]!, np === 8 ? g[6]! : 0, np === 8 ? g[7]! : 0, 1];
  // Back to pixel coordinates: G = N⁻¹ · Gn · N with N(x) = (x − c) / sc.
  const N: M3 = [1 / sc, 0, -c0x / sc, 0, 1 / sc, -c0y / sc, 0, 0, 1];
  const Ni: M3 = [sc, 0, c0x, 0, sc, c0y, 0, 0, 1];
  const G = mul3(Ni, mul3(Gn, N));
  // Negligible or implausible (a correction beyond the search range at a frame corner is extrapolation).
  let maxD = 0;
  for (const [x, y] of [[0, 0], [O.w - 1, 0], [0, O.h - 1], [O.w - 1, O.h - 1], [O.w / 2, O.h / 2]] as const) {
    const q = G[6] * x + G[7] * y + G[8];
    const d = Math.hypot((G[0] * x + G[1] * y + G[2]) / q - x, (G[3] * x + G[4] * y + G[5]) / q - y);
    if (d > maxD) maxD = d;
  }
  if (maxD < 0.5 || maxD > 40) return null;
  return { G, maxD };
}

/** Resamples a plane by a shift field: out(x) = p(x + d(x)), d bilinear between tile centres. */
function applyShiftField(p: Plane, f: ShiftField): Plane {
  const { w, h } = p;
  const d = new Float32Array(w * h);
  // Tile columns and weights per pixel column, computed once (the same expressions as per pixel).
  const colT0 = new Int32Array(w);
  const colT1 = new Int32Array(w);
  const colA = new Float64Array(w);
  for (let x = 0; x < w; x++) {
    const gx = Math.min(f.tw - 1, Math.max(0, (x + 0.5) / f.tile - 0.5));
    const tx0 = Math.min(f.tw - 1, Math.floor(gx));
    colT0[x] = tx0;
    colT1[x] = Math.min(f.tw - 1, tx0 + 1);
    colA[x] = gx - tx0;
  }
  for (let y = 0; y < h; y++) {
    const gy = Math.min(f.th - 1, Math.max(0, (y + 0.5) / f.tile - 0.5));
    const ty0 = Math.min(f.th - 1, Math.floor(gy));
    const ty1 = Math.min(f.th - 1, ty0 + 1);
    const ay = gy - ty0;
    for (let x = 0; x < w; x++) {
      const tx0 = colT0[x]!;
      const tx1 = colT1[x]!;
      const ax = colA[x]!;
      const i00 = ty0 * f.tw + tx0;
      const i10 = ty0 * f.tw + tx1;
      const i01 = ty1 * f.tw + tx0;
      const i11 = ty1 * f.tw + tx1;
      const sx = x + (1 - ay) * ((1 - ax) * f.dx[i00]! + ax * f.dx[i10]!) + ay * ((1 - ax) * f.dx[i01]! + ax * f.dx[i11]!);
      const sy = y + (1 - ay) * ((1 - ax) * f.dy[i00]! + ax * f.dy[i10]!) + ay * ((1 - ax) * f.dy[i01]! + ax * f.dy[i11]!);
      const cx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
      const cy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
      const x0 = Math.min(w - 2, Math.floor(cx));
      const y0 = Math.min(h - 2, Math.floor(cy));
      const fx = cx - x0;
      const fy = cy - y0;
      const i = y0 * w + x0;
      d[y * w + x] = (1 - fy) * ((1 - fx) * p.d[i]! + fx * p.d[i + 1]!) + fy * ((1 - fx) * p.d[i + w]! + fx * p.d[i + w + 1]!);
    }
  }
  return { w, h, d };
}

/** 3×3 minimum and maximum of a plane (separable; the window is clamped at the frame edges). */
function minMax3(p: Plane): { lo: Float32Array; hi: Float32Array } {
  const { w, h } = p;
  const d = p.d;
  const tlo = new Float32Array(w * h);
  const thi = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    // Edge columns with the clamped window, the interior without index tests.
    for (const x of w > 1 ? [0, w - 1] : [0]) {
      const a = d[r + (x > 0 ? x - 1 : x)]!;
      const b = d[r + x]!;
      const c = d[r + (x < w - 1 ? x + 1 : x)]!;
      tlo[r + x] = a < b ? (a < c ? a : c) : b < c ? b : c;
      thi[r + x] = a > b ? (a > c ? a : c) : b > c ? b : c;
    }
    for (let x = 1; x < w - 1; x++) {
      const a = d[r + x - 1]!;
      const b = d[r + x]!;
      const c = d[r + x + 1]!;
      tlo[r + x] = a < b ? (a < c ? a : c) : b < c ? b : c;
      thi[r + x] = a > b ? (a > c ? a : c) : b > c ? b : c;
    }
  }
  const lo = new Float32Array(w * h);
  const hi = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const up = (y > 0 ? y - 1 : y) * w;
    const dn = (y < h - 1 ? y + 1 : y) * w;
    const r = y * w;
    for (let x = 0; x < w; x++) {
      const a = tlo[up + x]!;
      const b = tlo[r + x]!;
      const c = tlo[dn + x]!;
      lo[r + x] = a < b ? (a < c ? a : c) : b < c ? b : c;
      const e = thi[up + x]!;
      const f = thi[r + x]!;
      const g = thi[dn + x]!;
      hi[r + x] = e > f ? (e > g ? e : g) : f > g ? f : g;
    }
  }
  return { lo, hi };
}

/** Bilinear sub-pixel shift of a plane by (dx, dy): out(x) = p(x + dx). */
function shiftPlane(p: Plane, dx: number, dy: number): Plane {
  if (dx === 0 && dy === 0) return p;
  const { w, h } = p;
  const d = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y + dy));
    const y0 = Math.min(h - 2, Math.floor(sy));
    const fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x + dx));
      const x0 = Math.min(w - 2, Math.floor(sx));
      const fx = sx - x0;
      const i = y0 * w + x0;
      d[y * w + x] = (1 - fy) * ((1 - fx) * p.d[i]! + fx * p.d[i + 1]!) + fy * ((1 - fx) * p.d[i + w]! + fx * p.d[i + w + 1]!);
    }
  }
  return { w, h, d };
}

function median(xs: Float32Array | number[]): number {
  if (xs.length === 0) return 0;
  const a = Float32Array.from(xs).sort();
  return a[Math.floor(a.length / 2)]!;
}

// The pixel loops of detectAlteration live in small functions of their own: V8 optimises (and, when a rarely taken
// branch lacks type feedback, deoptimises) a function as a whole, and one large function spent most of its first
// calls re-entering its loops unoptimised. Each helper does exactly the arithmetic the inline loop did.

/** a &= b, element-wise. */
function andInto(a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < a.length; i++) a[i] = a[i]! & b[i]!;
}

/** Number of set entries of a 0/1 mask. */
function countOnes(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) n += m[i]!;
  return n;
}

/** Per pixel, how far each image lies outside the other's 3×3 envelope (the larger of the two), inside the mask. */
function envelopeExcess(L: Float32Array, P: Float32Array, envP: { lo: Float32Array; hi: Float32Array }, envL: { lo: Float32Array; hi: Float32Array }, mask: Uint8Array): Float32Array {
  const diff = new Float32Array(L.length);
  const pHi = envP.hi, pLo = envP.lo, lHi = envL.hi, lLo = envL.lo;
  for (let i = 0; i < diff.length; i++) {
    if (!mask[i]) continue;
    const l = L[i]!;
    const p = P[i]!;
    const e1 = l > pHi[i]! ? l - pHi[i]! : l < pLo[i]! ? pLo[i]! - l : 0;
    const e2 = p > lHi[i]! ? p - lHi[i]! : p < lLo[i]! ? lLo[i]! - p : 0;
    diff[i] = e1 > e2 ? e1 : e2;
  }
  return diff;
}

/** 3×3 mean (separable; zero on the frame border and outside the mask). */
function mean3(diff: Float32Array, mask: Uint8Array, w: number, h: number): Float32Array {
  const rowSum = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 1; x < w - 1; x++) rowSum[r + x] = diff[r + x - 1]! + diff[r + x]! + diff[r + x + 1]!;
  }
  const sm = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    const r = y * w;
    for (let x = 1; x < w - 1; x++) {
      const i = r + x;
      if (mask[i]) sm[i] = (rowSum[i - w]! + rowSum[i]! + rowSum[i + w]!) / 9;
    }
  }
  return sm;
}

/** sm = max(sm, 0.6 · the coarse chroma excess under each pixel), inside the mask. */
function maxCoarseInto(sm: Float32Array, mask: Uint8Array, w: number, h: number, chromaEx: Float32Array, cwq: number, chq: number, fx: number, fy: number, kl: number): void {
  const xcOf = new Int32Array(w);
  for (let x = 0; x < w; x++) xcOf[x] = Math.min(cwq - 1, Math.floor((x + 0.5) / fx / kl));
  for (let y = 0; y < h; y++) {
    const yc = Math.min(chq - 1, Math.floor((y + 0.5) / fy / kl));
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i]) continue;
      const v = 0.6 * chromaEx[yc * cwq + xcOf[x]!]!;
      if (v > sm[i]!) sm[i] = v;
    }
  }
}

/** Per pixel, the smaller of the two images' 3×3 ranges (local contrast both agree on), inside the mask. */
function agreedContrast(envP: { lo: Float32Array; hi: Float32Array }, envL: { lo: Float32Array; hi: Float32Array }, mask: Uint8Array): Float32Array {
  const contrast = new Float32Array(mask.length);
  for (let i = 0; i < contrast.length; i++) {
    if (!mask[i]) continue;
    const rp = envP.hi[i]! - envP.lo[i]!;
    const rl = envL.hi[i]! - envL.lo[i]!;
    contrast[i] = rp < rl ? rp : rl;
  }
  return contrast;
}

/** Mean difference and mean agreed contrast per block; flat blocks' means and textured blocks' D/C ratios. */
function blockStatistics(sm: Float32Array, contrast: Float32Array, mask: Uint8Array, w: number, h: number, blockSize: number, bw: number, bh: number): { bmean: Float32Array; bcon: Float32Array; bvalid: Uint8Array; flatVals: number[]; ratios: number[] } {
  const bmean = new Float32Array(bw * bh);
  const bcon = new Float32Array(bw * bh);
  const bvalid = new Uint8Array(bw * bh);
  const flatVals: number[] = [];
  const ratios: number[] = [];
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let s = 0;
      let c = 0;
      let n = 0;
      for (let y = by * blockSize; y < Math.min(h, (by + 1) * blockSize); y++) {
        for (let x = bx * blockSize; x < Math.min(w, (bx + 1) * blockSize); x++) {
          const i = y * w + x;
          if (!mask[i]) continue;
          s += sm[i]!;
          c += contrast[i]!;
          n++;
        }
      }
      if (n >= (blockSize * blockSize) / 3) {
        const j = by * bw + bx;
        bmean[j] = s / n;
        bcon[j] = c / n;
        bvalid[j] = 1;
        if (c / n < 12) flatVals.push(s / n);
        else ratios.push(s / c);
      }
    }
  }
  return { bmean, bcon, bvalid, flatVals, ratios };
}

/** Blocks above the benign model (`hot`), their excess, and the hot map closed with a 3×3 element (`grown`). */
function hotBlocks(bmean: Float32Array, bcon: Float32Array, bvalid: Uint8Array, base: number, beta: number, bw: number, bh: number): { excess: Float32Array; hot: Uint8Array; grown: Uint8Array } {
  const excess = new Float32Array(bw * bh);
  for (let i = 0; i < excess.length; i++) excess[i] = bvalid[i] ? bmean[i]! - (base + beta * bcon[i]!) : -1;
  const hot = new Uint8Array(bw * bh);
  for (let i = 0; i < hot.length; i++) hot[i] = excess[i]! > 0 ? 1 : 0;
  // Closing with a 3×3 element joins the blocks of one edit (letters of a word, parts of a face).
  const grown = new Uint8Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let any = 0;
      for (let dy = -1; dy <= 1 && !any; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = by + dy;
        const xx = bx + dx;
        if (yy >= 0 && yy < bh && xx >= 0 && xx < bw && hot[yy * bw + xx]) {
          any = 1;
          break;
        }
      }
      grown[by * bw + bx] = any;
    }
  }
  return { excess, hot, grown };
}

/** Inputs of {@link componentBoxes}. */
interface BoxInputs {
  grown: Uint8Array;
  hot: Uint8Array;
  excess: Float32Array;
  mask: Uint8Array;
  sm: Float32Array;
  contrast: Float32Array;
  w: number;
  h: number;
  bw: number;
  bh: number;
  blockSize: number;
  base: number;
  beta: number;
  minArea: number;
  minScore: number;
  scoreScale: number;
}

/** Connected components of the grown hot map, trimmed to their strong core and boxed (working-resolution pixels). */
function componentBoxes(a: BoxInputs): { box: [number, number, number, number]; score: number }[] {
  const { grown, hot, excess, mask, sm, contrast, w, h, bw, bh, blockSize, base, beta, minArea, minScore, scoreScale } = a;
  // Connected components (4-neighbour) over the grown map.
  const label = new Int32Array(bw * bh).fill(-1);
  const boxes: { box: [number, number, number, number]; score: number }[] = [];
  const stack: number[] = [];
  const members: number[] = [];
  const strong = new Uint8Array(bw * bh);
  let id = 0;
  for (let start = 0; start < grown.length; start++) {
    if (!grown[start] || label[start] !== -1) continue;
    stack.push(start);
    label[start] = id;
    members.length = 0;
    let hotSum = 0;
    let hotN = 0;
    let maxEx = 0;
    while (stack.length) {
      const c = stack.pop()!;
      members.push(c);
      const cx = c % bw;
      const cy = (c - cx) / bw;
      if (hot[c]) {
        hotSum += excess[c]!;
        hotN++;
        if (excess[c]! > maxEx) maxEx = excess[c]!;
      }
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
        const xx = cx + dx;
        const yy = cy + dy;
        if (xx < 0 || yy < 0 || xx >= bw || yy >= bh) continue;
        const j = yy * bw + xx;
        if (grown[j] && label[j] === -1) {
          label[j] = id;
          stack.push(j);
        }
      }
    }
    id++;
    if (hotN === 0) continue;
    // Trim the fringe: blocks well below the component's peak are benign noise the closing pulled in; the box is
    // drawn around strong blocks and the ring of blocks next to them, from the pixels above the pixel threshold.
    for (const c of members) if (hot[c] && excess[c]! >= 0.25 * maxEx) strong[c] = 1;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -1;
    let y1 = -1;
    let npx = 0;
    for (const c of members) {
      const bx = c % bw;
      const by = (c - bx) / bw;
      let keep = strong[c] === 1;
      for (let dy = -1; dy <= 1 && !keep; dy++) for (let dx = -1; dx <= 1 && !keep; dx++) {
        const xx = bx + dx;
        const yy = by + dy;
        if (xx >= 0 && yy >= 0 && xx < bw && yy < bh && strong[yy * bw + xx]) keep = true;
      }
      if (!keep) continue;
      for (let y = by * blockSize; y < Math.min(h, (by + 1) * blockSize); y++) {
        for (let x = bx * blockSize; x < Math.min(w, (bx + 1) * blockSize); x++) {
          if (mask[y * w + x] && sm[y * w + x]! > 0.8 * base + beta * contrast[y * w + x]!) {
            npx++;
            if (x < x0) x0 = x;
            if (y < y0) y0 = y;
            if (x > x1) x1 = x;
            if (y > y1) y1 = y;
          }
        }
      }
    }
    if (npx < minArea * 0.25 || (x1 - x0 + 1) * (y1 - y0 + 1) < minArea) continue;
    const score = 1 - Math.exp(-(hotSum / hotN) / scoreScale);
    if (score >= minScore) boxes.push({ box: [x0, y0, x1 + 1, y1 + 1], score });
  }
  return boxes;
}

/** Heat-map bytes: the smoothed difference above the benign model, 128 per threshold unit. */
function heatMap(sm: Float32Array, contrast: Float32Array, mask: Uint8Array, noiseFloor: number, beta: number, scale: number): Uint8Array {
  const heat = new Uint8Array(sm.length);
  for (let i = 0; i < heat.length; i++) {
    if (!mask[i]) continue;
    const v = (sm[i]! - noiseFloor - beta * contrast[i]!) * scale;
    heat[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return heat;
}

/**
 * Finds the alterations of `leaked` relative to `original`. `homography` maps original pixel centres to leaked
 * pixel centres (from the caller's geometric verification); `null` assumes the leaked copy shows the whole original
 * resized (no crop, rotation or perspective) and refines only a small shift.
 */
export function detectAlteration(original: RasterLike, leaked: RasterLike, homography: Homography | null, opts: AlterationOptions = {}): AlterationResult {
  for (const [name, r] of [['original', original], ['leaked', leaked]] as const) {
    if (!(r.width > 0 && r.height > 0) || r.data.length < r.width * r.height * r.channels) throw invalidArgument(name, 'a raster with width × height × channels bytes', `${r.width}×${r.height}×${r.channels}`);
  }
  const maxSide = opts.maxSide ?? 1024;
  const blockSize = opts.block ?? 8;
  const k = opts.k ?? 7;
  const minArea = opts.minArea ?? 200;
  const minScore = opts.minScore ?? 0.4;
  let H: Homography;
  if (homography) {
    if (homography.length !== 9 || homography.some((v) => !Number.isFinite(v))) throw invalidArgument('homography', '9 finite numbers', homography.length);
    H = homography;
  } else {
    const ra = original.width / original.height;
    const rb = leaked.width / leaked.height;
    if (Math.abs(ra / rb - 1) > 0.04) {
      throw new TracemarkError('ALIGNMENT_REQUIRED', 'The leaked copy is not a plain resize of the original; a homography from geometric verification is needed', {
        kind: 'internal',
        hint: 'Pass the homography found when matching the leaked copy to the vault original.',
      });
    }
    H = scaleMat(leaked.width / original.width, leaked.height / original.height);
  }
  // Working resolution: the leaked frame shrunk so its long side is ≤ maxSide.
  const f = Math.min(1, maxSide / Math.max(leaked.width, leaked.height));
  const w = Math.max(16, Math.round(leaked.width * f));
  const h = Math.max(16, Math.round(leaked.height * f));
  const fx = w / leaked.width;
  const fy = h / leaked.height;
  const Hw = mul3(scaleMat(fx, fy), H);
  // Tone curves per colour channel (a colour cast changes each channel's curve differently, so luma alone cannot
  // be mapped by one curve), fitted on a coarse frame a quarter of the working size; then the original's toned luma
  // is computed once at full resolution and warped as a single plane. The comparison runs on luma.
  const nc = original.channels >= 3 && leaked.channels >= 3 ? 3 : 1;
  const kl = Math.max(1, Math.floor(leaked.width / Math.max(16, Math.round(w / 4))));
  const Lq = reduceChannels(leaked, kl, nc);
  const cwq = Lq[0]!.w;
  const chq = Lq[0]!.h;
  const Hq = mul3(scaleMat(cwq / leaked.width, chq / leaked.height), H);
  const ko = Math.max(1, Math.floor(1 / Math.max(1e-6, localScale(Hq, original.width / 2, original.height / 2))));
  const Oq = reduceChannels(original, ko, nc);
  const Hqo = mul3(Hq, scaleMat(original.width / Oq[0]!.w, original.height / Oq[0]!.h));
  const luts: Float32Array[] = [];
  let maskQ: Uint8Array | undefined;
  let warpedQ = Oq.map((o) => {
    const r = warpInto(o, Hqo, cwq, chq);
    maskQ ??= erode(r.mask, cwq, chq, 1);
    return r.p;
  });
  for (let c = 0; c < nc; c++) {
    const lut = toneCurve(warpedQ[c]!, Lq[c]!, maskQ!, false);
    opts.debug?.(`lut${c}`, { width: 256, height: 1, data: lut });
    luts.push(lut);
  }
  const toned = tonedLuma(original, luts);
  let warped = warpInto(toned, Hw, w, h);
  const L0 = shrink(luma(leaked), w, h);
  // Residual alignment over the whole frame (see residualHomography): kept only when it explains the leaked copy
  // better than the given homography did; a second pass when the first moved things by pixels.
  let aligned = false;
  let HwNow = Hw;
  // The eroded mask of the current warp (each warp's mask is eroded once: the next pass and the comparison reuse it).
  let eroded = erode(warped.mask, w, h, 4);
  for (let pass = 0; pass < 2 && opts.residualAlignment !== false; pass++) {
    const fit = residualHomography(warped.p, L0, eroded);
    if (!fit) break;
    const Hw2 = mul3(inv3(fit.G), HwNow);
    const w2 = warpInto(toned, Hw2, w, h);
    const m2 = erode(w2.mask, w, h, 4);
    const both = eroded.slice();
    andInto(both, m2);
    if (!(mismatch(L0, w2.p, both) < mismatch(L0, warped.p, both))) break;
    warped = w2;
    eroded = m2;
    HwNow = Hw2;
    aligned = true;
    if (fit.maxD < 3) break;
  }
  if (aligned) {
    // The coarse colour frame follows the corrected alignment too.
    const Hq2 = mul3(mul3(scaleMat(cwq / leaked.width, chq / leaked.height), scaleMat(1 / fx, 1 / fy)), HwNow);
    const Hqo2 = mul3(Hq2, scaleMat(original.width / Oq[0]!.w, original.height / Oq[0]!.h));
    maskQ = undefined;
    warpedQ = Oq.map((o) => {
      const r = warpInto(o, Hqo2, cwq, chq);
      maskQ ??= erode(r.mask, cwq, chq, 1);
      return r.p;
    });
  }
  const mask = eroded;
  const validCount = countOnes(mask);
  const empty: AlterationResult = {
    altered: false,
    regions: [],
    heatmap: { width: w, height: h, data: new Uint8Array(w * h) },
    stats: { workingScale: f, validFraction: validCount / (w * h), noiseFloor: 0, threshold: 0, contrastSlope: 0, blurOriginal: 0, blurLeaked: 0, refinedShift: [0, 0], realigned: aligned },
  };
  if (validCount < 400) return empty;
  let O = warped.p;


  // Shift refinement and blur matching run on one analysis window (the most textured of a few candidates), which
  // is enough to estimate two global parameters and keeps the many trial blurs cheap.
  const win = analysisWindow(O, mask, 256);
  const Ow = cropPlane(O, win);
  const Lw = cropPlane(L0, win);
  const Mw = cropMask(mask, w, win);
  // Small residual misalignment: search a ±3 px shift down to quarter-pixel steps on smoothed copies.
  const Os = blur(Ow, 1.2);
  const Ls = blur(Lw, 1.2);
  let best = { dx: 0, dy: 0, e: mismatch(Ls, Os, Mw) };
  for (const step of [1, 0.5, 0.25]) {
    const c = best;
    for (let iy = -2; iy <= 2; iy++) {
      for (let ix = -2; ix <= 2; ix++) {
        const dx = c.dx + ix * step;
        const dy = c.dy + iy * step;
        if (Math.abs(dx) > 3 || Math.abs(dy) > 3 || (ix === 0 && iy === 0)) continue;
        const e = mismatch(Ls, Os, Mw, dx, dy);
        if (e < best.e) best = { dx, dy, e };
      }
    }
  }
  O = shiftPlane(O, best.dx, best.dy);
  // Then local misalignment (an estimated homography is rarely exact everywhere): a smooth field of per-tile shifts.
  const field = localShiftField(O, L0, mask);
  if (field) O = applyShiftField(O, field);
  const Ow2 = cropPlane(O, win);

  // Blur matching: blur the sharper of the two until their mismatch is smallest.
  let bo = 0;
  let bl = 0;
  let P = O;
  let L = L0;
  let e0 = mismatch(Lw, Ow2, Mw);
  for (const s of [0.5, 0.8, 1.1, 1.5, 2.0, 2.7]) {
    const e = mismatch(Lw, blur(Ow2, s), Mw);
    if (e < e0) {
      e0 = e;
      bo = s;
    }
  }
  if (bo === 0) {
    for (const s of [0.5, 0.8, 1.1, 1.5]) {
      const e = mismatch(blur(Lw, s), Ow2, Mw);
      if (e < e0) {
        e0 = e;
        bl = s;
      }
    }
  }
  if (bo > 0) P = blur(O, bo);
  if (bl > 0) L = blur(L0, bl);

  // Envelope difference: a leaked pixel is explained when it lies within the 3×3 min–max range of the prediction
  // (sub-pixel shifts, resampling and ringing stay inside it), and vice versa (catches thin strokes removed by a
  // clone); only the excess beyond both envelopes counts.
  const envP = minMax3(P);
  const envL = minMax3(L);
  const diff = envelopeExcess(L.d, P.d, envP, envL, mask);
  if (opts.debug) {
    opts.debug('original', { width: w, height: h, data: P.d });
    opts.debug('leaked', { width: w, height: h, data: L.d });
    opts.debug('diff', { width: w, height: h, data: diff });
  }
  // 3×3 mean of the difference (separable), so single noisy pixels do not make a block.
  const sm = mean3(diff, mask, w, h);
  // Colour: a pasted face or patch can keep the luma of what it covers but not its colour. Chroma (B−Y, R−Y) is
  // compared on the coarse frame — JPEG stores it at half resolution anyway — with the same envelope test, and
  // counts where it exceeds the luma difference.
  if (nc === 3) {
    const chromaEx = chromaExcess(warpedQ.map((p, c) => applyLut(p, luts[c]!)), Lq, maskQ!);
    maxCoarseInto(sm, mask, w, h, chromaEx, cwq, chq, fx, fy, kl);
  }

  // Local contrast both images agree on (per pixel: the smaller of the two 3×3 ranges). Benign damage — JPEG
  // ringing, resampling, blur mismatch — grows with it; an edit shows up where the two disagree, so min() keeps the
  // allowance small exactly where text or a face was added or removed.
  const contrast = agreedContrast(envP, envL, mask);
  // Block statistics: mean difference D and mean agreed contrast C per block.
  const bw = Math.ceil(w / blockSize);
  const bh = Math.ceil(h / blockSize);
  const { bmean, bcon, bvalid, flatVals, ratios } = blockStatistics(sm, contrast, mask, w, h, blockSize, bw, bh);
  // Benign model per image: D ≈ floor + β·C. The floor from flat blocks, β from textured ones, each as a robust
  // upper bound (median + k·MAD), so the few edited blocks do not move it.
  const med = median(flatVals.length >= 20 ? flatVals : Array.from(bmean));
  const mad = median((flatVals.length >= 20 ? flatVals : Array.from(bmean)).map((v) => Math.abs(v - med))) * 1.4826;
  const noiseFloor = med;
  const base = Math.max(med + k * Math.max(mad, 0.4), med + 4, 6);
  const rmed = median(ratios);
  const rmad = median(ratios.map((v) => Math.abs(v - rmed))) * 1.4826;
  const beta = Math.max(rmed + k * Math.max(rmad, 0.004), 0.04);
  const threshold = base;
  const { excess, hot, grown } = hotBlocks(bmean, bcon, bvalid, base, beta, bw, bh);
  const boxes = componentBoxes({ grown, hot, excess, mask, sm, contrast, w, h, bw, bh, blockSize, base, beta, minArea, minScore, scoreScale: Math.max(4, base - noiseFloor) });
  // Merge boxes of one edit: overlapping ones, and pieces of one text line (the changed characters of a rewritten
  // name or number are separated by unchanged ones).
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < boxes.length && !merged; i++) {
      for (let j = i + 1; j < boxes.length && !merged; j++) {
        const a = boxes[i]!.box;
        const b = boxes[j]!.box;
        const ha = a[3] - a[1];
        const hb = b[3] - b[1];
        const vOverlap = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
        const hGap = Math.max(a[0], b[0]) - Math.min(a[2], b[2]);
        const vGap = Math.max(a[1], b[1]) - Math.min(a[3], b[3]);
        // Near each other relative to their size: parts of one pasted face whose middle happens to match.
        const near = Math.max(hGap, vGap) <= 0.5 * Math.max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1]);
        const touching = (hGap <= 2 && vGap <= 2) || near;
        const sameLine = vOverlap >= 0.5 * Math.min(ha, hb) && Math.max(ha, hb) <= 2.5 * Math.min(ha, hb) && hGap <= 1.5 * Math.max(ha, hb);
        if (touching || sameLine) {
          boxes[i] = { box: [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])], score: Math.max(boxes[i]!.score, boxes[j]!.score) };
          boxes.splice(j, 1);
          merged = true;
        }
      }
    }
  }
  const kept: AlteredRegion[] = boxes
    .map((r) => ({
      bbox: [Math.max(0, Math.floor(r.box[0] / fx)), Math.max(0, Math.floor(r.box[1] / fy)), Math.min(leaked.width, Math.ceil(r.box[2] / fx)), Math.min(leaked.height, Math.ceil(r.box[3] / fy))] as [number, number, number, number],
      score: Math.round(r.score * 1000) / 1000,
    }))
    .sort((a, b) => b.score - a.score);

  // Heat-map: the smoothed difference in units of the threshold (1× threshold ≈ 128).
  const heat = heatMap(sm, contrast, mask, noiseFloor, beta, 128 / Math.max(1, base - noiseFloor));
  return {
    altered: kept.length > 0,
    regions: kept,
    heatmap: { width: w, height: h, data: heat },
    stats: { workingScale: f, validFraction: validCount / (w * h), noiseFloor, threshold, contrastSlope: beta, blurOriginal: bo, blurLeaked: bl, refinedShift: [best.dx, best.dy], realigned: aligned },
  };
}
