/**
 * Luminance planes as Float32Array: the watermark works on luma only (RGB += delta keeps colour), at a reduced
 * working resolution so that the cost does not grow with the pixel count beyond one pass over the image.
 */

/** A single-channel float image, row-major. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/** Interleaved 8-bit RGB(A) pixels (the shape decodeImage returns). */
export interface Pixels {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/**
 * Luma (BT.601 weights, 0–255) averaged over k×k blocks (k = 1: full resolution). Blocks with k > 4 are estimated
 * from a 4×4 grid of samples, which keeps a 12 MP image to one sparse pass; `fine` (if given) receives the standard
 * deviation of those samples — the texture inside each block, used for perceptual masking.
 */
export function lumaBlocks(img: Pixels, k: number, fine?: Float32Array): Plane {
  const w = Math.floor(img.width / k);
  const h = Math.floor(img.height / k);
  const out = new Float32Array(w * h);
  const c = img.channels;
  const src = img.data;
  const rowStride = img.width * c;
  if (k === 1) {
    for (let i = 0, p = 0; i < w * h; i++, p += c) out[i] = 0.299 * src[p]! + 0.587 * src[p + 1]! + 0.114 * src[p + 2]!;
    return { width: w, height: h, data: out };
  }
  const n = Math.min(k, 4);
  const offs = new Int32Array(n);
  for (let i = 0; i < n; i++) offs[i] = Math.floor(((i + 0.5) * k) / n);
  const inv = 1 / (n * n);
  for (let by = 0; by < h; by++) {
    for (let bx = 0; bx < w; bx++) {
      let s = 0;
      let s2 = 0;
      for (let j = 0; j < n; j++) {
        const row = (by * k + offs[j]!) * rowStride;
        for (let i = 0; i < n; i++) {
          const p = row + (bx * k + offs[i]!) * c;
          const y = 0.299 * src[p]! + 0.587 * src[p + 1]! + 0.114 * src[p + 2]!;
          s += y;
          s2 += y * y;
        }
      }
      const m = s * inv;
      out[by * w + bx] = m;
      if (fine) fine[by * w + bx] = Math.sqrt(Math.max(0, s2 * inv - m * m));
    }
  }
  return { width: w, height: h, data: out };
}

/** Exact k×k box-average luma over every pixel (used by the detector, where accuracy matters more than speed). */
export function lumaBoxExact(img: Pixels, k: number): Plane {
  const w = Math.floor(img.width / k);
  const h = Math.floor(img.height / k);
  const out = new Float32Array(w * h);
  const acc = new Uint32Array(w);
  const c = img.channels;
  const src = img.data;
  // Integer BT.601 weights (77, 150, 29)/256 accumulated per output row, then scaled once.
  const inv = 1 / (256 * k * k);
  for (let by = 0; by < h; by++) {
    acc.fill(0);
    for (let j = 0; j < k; j++) {
      let p = (by * k + j) * img.width * c;
      for (let bx = 0; bx < w; bx++) {
        let s = 0;
        for (let i = 0; i < k; i++, p += c) s += 77 * src[p]! + 150 * src[p + 1]! + 29 * src[p + 2]!;
        acc[bx]! += s;
      }
    }
    const o = by * w;
    for (let bx = 0; bx < w; bx++) out[o + bx] = acc[bx]! * inv;
  }
  return { width: w, height: h, data: out };
}
