/**
 * Embedding: the keyed tile is laid periodically over a working-resolution copy of the image (area between 40k and
 * 90k pixels, so the tile count stays 10–22 whatever the pixel count), scaled by a perceptual mask (local luma
 * activity with a floor: flat backgrounds get little energy), then the residual is upsampled bilinearly and added
 * to R, G and B of the full-resolution image (RGB += delta keeps colours). Cost: one sparse pass to measure the mask
 * and one pass to add the residual.
 */
import { lumaBlocks, type Pixels } from '../image/planes.js';
import { bilinearTaps, boxMean, resize } from '../image/resample.js';
import { convEncode, payloadToInfoBits } from './payload.js';
import { CHIP, CHIPS_PER_SIDE, TILE, tileChips, tileLayout } from './pattern.js';
import { addWideResidualSimd } from './simd/residual.js';

/** Working-resolution area bounds (pixels). */
export const WORK_AREA_MIN = 40_000;
/** Upper bound of the working area (pixels): bounds the cost and keeps chips ≥ 2 px after a 0.4× downscale. */
export const WORK_AREA_MAX = 250_000;
/** Working area = image area / AREA_DIV: a chip (2 working px) is ≈ 2·√AREA_DIV full-resolution px. */
export const SHAPE = { areaDiv: 6 };

/**
 * Mask parameters. SSIM's structure term loses about σm²/(2σx² + C2) in a window where the image has local standard
 * deviation σx and the mark variance visible inside the 11-px window is σm²; the mark is smooth at the scale of a chip
 * (c full-resolution px), so only a fraction g ≈ min(1, (3/c)²) of its variance shows inside a window. The amplitude
 * is chosen to spend the same SSIM loss `ssimLoss` everywhere, capped by `max` (visibility) and scaled down globally
 * so that the PSNR stays ≥ `psnr` dB (at strength 1).
 */
export const MASK = { ssimLoss: 0.011, max: 3.2, min: 0.6, psnr: 42.15, maxTexture: 5, psnrFloor: 36 };
const C2 = (0.03 * 255) ** 2;

/**
 * Texture-adaptive budget. A fixed PSNR cap and amplitude cap starve close-up textures (grass, gravel, histology):
 * their own fine texture swamps the mark in the folded chips, while the eye (contrast masking) and SSIM (large σx)
 * would allow far more there. The image's texture measure is the `quantile` (25 %) of the local activity σ over the
 * working pixels: text on flat backgrounds (ID cards, documents) and ordinary photos keep most pixels flat (≤ 3.2
 * grey levels on the bench set), close-up textures have almost none (grass 21, gravel 18, histology 9.6).
 * τ = clamp((q − lo) / (hi − lo), 0, 1) then lowers the PSNR cap linearly from `MASK.psnr` to `MASK.psnrFloor` and
 * raises the amplitude cap from `MASK.max` to `MASK.maxTexture` (the SSIM-budget amplitude still sets the local
 * level, so flat patches inside a textured image stay weak). τ = 0 leaves the embedding bit-identical to before.
 */
export const TEXTURE = { quantile: 0.25, lo: 4, hi: 16, bins: 512, binWidth: 0.125, refTiles: 10 };

/**
 * Texture weight τ ∈ [0, 1] of an image from the histogram of its `n` working pixels' local activity σ (see
 * {@link TEXTURE}). The detector folds every tile period onto one, so the host texture left in the fold falls as
 * 1/√tiles: the quantile is scaled by √(refTiles / tiles) for images with more than `refTiles` tiles (a 512 px image
 * has ≈ 10, a 2048 px one ≈ 60), so large textured images, which read well already, keep most of their PSNR.
 */
export function textureWeight(hist: Uint32Array, n: number): number {
  const target = TEXTURE.quantile * n;
  let acc = 0;
  let b = 0;
  for (; b < hist.length; b++) {
    acc += hist[b]!;
    if (acc > target) break;
  }
  const tiles = n / (TILE * TILE);
  const q = (b + 0.5) * TEXTURE.binWidth * Math.sqrt(TEXTURE.refTiles / Math.max(TEXTURE.refTiles, tiles));
  return Math.max(0, Math.min(1, (q - TEXTURE.lo) / (TEXTURE.hi - TEXTURE.lo)));
}

/** PSNR cap (dB) for texture weight τ: `MASK.psnr` for flat images and documents, down to `MASK.psnrFloor`. */
export function psnrCap(tau: number): number {
  return MASK.psnr - tau * (MASK.psnr - MASK.psnrFloor);
}

/**
 * Tile periods in full-resolution pixels are quantised to a ladder `base · ratio^k`. Without it the period of a
 * large image (whose working area is clamped at WORK_AREA_MAX) would depend on its exact pixel count, and an unscaled
 * crop of it — the most common leak — would carry a period the detector can only find from the autocorrelation,
 * which periodic content (dot grids, text lines) can hide. With it, the detector tries the few ladder periods
 * between the crop's own and 2.2× that directly. `base` is the period of images whose area is not clamped.
 */
export const PERIOD_LADDER = { base: TILE * Math.sqrt(SHAPE.areaDiv), ratio: 1.25 };

/** The ladder periods (full-resolution px) in [lo, hi]. */
export function ladderPeriods(lo: number, hi: number): number[] {
  const { base, ratio } = PERIOD_LADDER;
  const out: number[] = [];
  for (let k = Math.ceil(Math.log(lo / base) / Math.log(ratio) - 1e-9); base * ratio ** k <= hi; k++) out.push(base * ratio ** k);
  return out;
}

/**
 * Working size for an image: area about clamp(W·H/AREA_DIV, 40k, 250k), never upsampled, with the tile period
 * (TILE · W / w full-resolution px) on the {@link PERIOD_LADDER} — rounded up for large images (area ≤ 250k) and
 * down for small ones (area ≥ 40k).
 */
export function workingSize(width: number, height: number): { w: number; h: number } {
  const area = width * height;
  const target = Math.min(WORK_AREA_MAX, Math.max(WORK_AREA_MIN, area / SHAPE.areaDiv));
  let f = Math.min(1, Math.sqrt(target / area));
  if (f < 1) {
    const { base, ratio } = PERIOD_LADDER;
    const period = TILE / f;
    const k = Math.log(period / base) / Math.log(ratio);
    const kq = period >= base ? Math.ceil(k - 1e-9) : Math.floor(k + 1e-9);
    f = Math.min(1, TILE / (base * ratio ** kq));
  }
  return { w: Math.max(1, Math.round(width * f)), h: Math.max(1, Math.round(height * f)) };
}

/** Computes the working-resolution residual (luma delta) for an image. */
export function workingResidual(img: Pixels, chips: Float32Array, strength: number): { w: number; h: number; res: Float32Array } {
  const { w, h } = workingSize(img.width, img.height);
  // Luma at working size, via integer blocks (sparse) then a bilinear resize; `fine` = texture inside each block.
  const k = Math.max(1, Math.floor(Math.min(img.width / w, img.height / h)));
  const fineK = new Float32Array(Math.floor(img.width / k) * Math.floor(img.height / k));
  const lk = lumaBlocks(img, k, fineK);
  const lw = resize(lk, w, h);
  const fw = resize({ width: lk.width, height: lk.height, data: fineK }, w, h).data;
  // Coarse activity: local standard deviation over 5×5 working pixels.
  // Coarse activity: variance of the detail (luma minus its 3×3 mean) over 5×5 working pixels. Removing the local
  // mean first keeps smooth gradients (skies), which SSIM's small window does not see as texture, from counting.
  const m0 = boxMean(lw, 1);
  const sq = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) sq[i] = (lw.data[i]! - m0[i]!) ** 2;
  const m2 = boxMean({ width: w, height: h, data: sq }, 2);
  const m1 = new Float32Array(w * h);
  const amp = new Float32Array(w * h);
  const chipFull = (CHIP * img.width) / w;
  const g = Math.min(1, 9 / (chipFull * chipFull));
  const wc = Math.min(1, 16 / (k * k)); // coarse (5 working px) variance counts only where that is near SSIM's window
  // Pass 1: local activity (standard deviation, grey levels) per working pixel and its histogram, for the image's
  // texture measure (see TEXTURE).
  const varLoc = new Float64Array(w * h);
  const hist = new Uint32Array(TEXTURE.bins);
  for (let i = 0; i < w * h; i++) {
    const coarse = Math.max(0, m2[i]! - m1[i]!) * 2; // ×2: the 3×3-mean residual holds about half the local variance
    const fine = fw[i]!;
    const v = fine * fine + wc * coarse;
    varLoc[i] = v;
    hist[Math.min(TEXTURE.bins - 1, (Math.sqrt(v) / TEXTURE.binWidth) | 0)]!++;
  }
  const tau = textureWeight(hist, w * h);
  const ampMax = MASK.max + tau * (MASK.maxTexture - MASK.max);
  for (let i = 0; i < w * h; i++) {
    // 0.64: mean square of the bilinearly upsampled ±1 chip pattern.
    const a = Math.sqrt((MASK.ssimLoss * (2 * varLoc[i]! + C2)) / (0.64 * g));
    // Near black, SSIM's luminance term is sensitive and clipping at 0 would rectify the mark: fade it out there.
    const dark = Math.min(1, (lw.data[i]! + 2) / 24);
    amp[i] = Math.max(MASK.min, Math.min(ampMax, a)) * dark;
  }
  const ampS = boxMean({ width: w, height: h, data: amp }, 1);
  const res = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const cy = ((y % TILE) / CHIP) | 0;
    for (let x = 0; x < w; x++) {
      const cx = ((x % TILE) / CHIP) | 0;
      res[y * w + x] = strength * ampS[y * w + x]! * chips[cy * CHIPS_PER_SIDE + cx]!;
    }
  }
  capPsnr(img, w, h, res, psnrCap(tau) - 20 * Math.log10(strength), tau > 0);
  return { w, h, res };
}

/**
 * Scales the residual so the full-resolution result keeps PSNR ≥ `psnr` dB. The actual change is measured (on a
 * sparse grid of full-resolution pixels, with the same upsampling, 8-bit rounding and clipping as {@link addResidual}) because rounding makes it
 * non-linear in the amplitude: deltas below ½ grey level vanish, those just above count as a full level.
 */
function capPsnr(img: Pixels, w: number, h: number, res: Float32Array, psnr: number, fill = false): void {
  const budget = (255 * 10 ** (-psnr / 20)) ** 2;
  let scaled = 1;
  for (let iter = 0; iter < 3; iter++) {
    const ms = sampledChangePower(img, w, h, res);
    if (ms <= budget) break;
    const f = Math.sqrt(budget / ms) * 0.99;
    for (let i = 0; i < res.length; i++) res[i]! *= f;
    scaled *= f;
  }
  if (!fill || scaled === 1) return;
  // Textured images (τ > 0): rounding makes the proportional step overshoot (measured: 43.2 dB for a 42.15 dB cap on
  // grass), so bisect the scale between the last one that fits and the unscaled residual, keeping the one that fits.
  const base = Float32Array.from(res);
  let lo = 1;
  let hi = 1 / scaled;
  for (let iter = 0; iter < FILL_STEPS; iter++) {
    const mid = Math.sqrt(lo * hi);
    for (let i = 0; i < res.length; i++) res[i] = base[i]! * mid;
    if (sampledChangePower(img, w, h, res) <= budget * 0.99) lo = mid;
    else hi = mid;
  }
  for (let i = 0; i < res.length; i++) res[i] = base[i]! * lo;
}

/** Bisection steps of the textured-image PSNR fill (scale known to ≈ 2^-8 of its bracket). */
const FILL_STEPS = 8;

/** PSNR sampling: about this many full-resolution pixels are measured (on an odd-strided grid, so that the sample
 * grid cannot alias with the even-sized chips). 120k samples put the standard error of the measured power well
 * under 1 %, against the 1 % safety factor of {@link capPsnr}. */
const PSNR_SAMPLES = 120_000;

function sampledChangePower(img: Pixels, w: number, h: number, res: Float32Array): number {
  const W = img.width;
  const H = img.height;
  const c = img.channels;
  const tx = bilinearTaps(W, w);
  const ty = bilinearTaps(H, h);
  let step = Math.max(1, Math.round(Math.sqrt((W * H) / PSNR_SAMPLES)));
  if (step > 1 && step % 2 === 0) step++;
  let se = 0;
  let n = 0;
  for (let Y = step >> 1; Y < H; Y += step) {
    const r0 = ty.i0[Y]! * w;
    const r1 = ty.i1[Y]! * w;
    const fy = ty.f[Y]!;
    for (let X = step >> 1; X < W; X += step) {
      const x0 = tx.i0[X]!;
      const x1 = tx.i1[X]!;
      const fx = tx.f[X]!;
      const a = res[r0 + x0]! + (res[r0 + x1]! - res[r0 + x0]!) * fx;
      const b = res[r1 + x0]! + (res[r1 + x1]! - res[r1 + x0]!) * fx;
      const d = ((a + (b - a) * fy + 256.5) | 0) - 256;
      const p = (Y * W + X) * c;
      for (let k = 0; k < 3; k++) {
        const v = img.data[p + k]!;
        const e = Math.max(0, Math.min(255, v + d)) - v;
        se += e * e;
      }
      n += 3;
    }
  }
  return n ? se / n : 0;
}

/**
 * The working residual upsampled horizontally to full width (bilinear, pixel-centre aligned): `h` rows of `W`
 * values. Computed once, so each full-resolution row costs one vertical blend per pixel.
 */
function widenRows(res: Float32Array, w: number, h: number, W: number, out: Float32Array<ArrayBufferLike> = new Float32Array(h * W), stride = W): Float32Array<ArrayBufferLike> {
  const { i0, i1, f } = bilinearTaps(W, w);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    const o = y * stride;
    for (let X = 0; X < W; X++) {
      const a = res[r + i0[X]!]!;
      out[o + X] = a + (res[r + i1[X]!]! - a) * f[X]!;
    }
  }
  return out;
}

/** Adds the upsampled working residual to every colour channel (alpha untouched), into a new buffer. */
export function addResidual(img: Pixels, w: number, h: number, res: Float32Array): Uint8Array {
  const W = img.width;
  const H = img.height;
  const c = img.channels;
  const out = new Uint8Array(img.data.length);
  const src = img.data;
  const simd = addWideResidualSimd(src, W, H, c as 3 | 4, h, (out, stride) => widenRows(res, w, h, W, out, stride));
  if (simd) return simd;
  const wide = widenRows(res, w, h, W);
  const drow = new Int32Array(W);
  // lut[v + 256] = clamp(v, 0, 255): one table lookup per channel instead of float clamping and rounding.
  const lut = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) lut[i] = Math.max(0, Math.min(255, i - 256));
  const ty = bilinearTaps(H, h);
  for (let Y = 0; Y < H; Y++) {
    const fy = ty.f[Y]!;
    const r0 = ty.i0[Y]! * W;
    const r1 = ty.i1[Y]! * W;
    // Round to nearest and offset by 256 for the lookup table (the residual is far below ±256).
    for (let X = 0; X < W; X++) {
      const a = wide[r0 + X]!;
      drow[X] = (a + (wide[r1 + X]! - a) * fy + 256.5) | 0;
    }
    let p = Y * W * c;
    if (c === 3) {
      for (let X = 0; X < W; X++, p += 3) {
        const d = drow[X]!;
        out[p] = lut[src[p]! + d]!;
        out[p + 1] = lut[src[p + 1]! + d]!;
        out[p + 2] = lut[src[p + 2]! + d]!;
      }
    } else {
      for (let X = 0; X < W; X++, p += 4) {
        const d = drow[X]!;
        out[p] = lut[src[p]! + d]!;
        out[p + 1] = lut[src[p + 1]! + d]!;
        out[p + 2] = lut[src[p + 2]! + d]!;
        out[p + 3] = src[p + 3]!;
      }
    }
  }
  return out;
}

/** Chip values for a payload under a key. */
export function payloadChips(secret: Uint8Array, payload: Uint8Array): Float32Array {
  const layout = tileLayout(secret);
  return tileChips(layout, convEncode(payloadToInfoBits(payload)));
}
