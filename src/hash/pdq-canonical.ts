/**
 * PDQ of a canonical small rendition: the image area-averaged to 128 px on its long side, then hashed by the reference
 * pipeline. PDQ itself samples a large image down by nearest neighbour to 512 px and then box-filters, so for small
 * images of fine detail (a 384 px screenshot of text, a fine texture) the hash of a half-size copy samples other
 * pixels and moves 50–64 of 256 bits (bench:recall). Averaging both the original and the copy down to the same 128 px
 * first removes the detail they do not share; the result is a second, coarser hash that is searched only at a near-
 * exact distance, beside the reference hash, never instead of it.
 */
import type { Raster } from '../image/decode.js';
import { pdqHash } from './pdq.js';

/** Algorithm id of the canonical-rendition PDQ. */
export const PDQ_CANONICAL_ALGO = 'pdq-c128-v1';

/** Long side of the canonical rendition. */
export const CANONICAL_SIDE = 128;

/** Area-averages an image so that its long side is at most `side` (images already that small are returned as is). */
export function areaDownsample(r: Raster, side = CANONICAL_SIDE): Raster {
  const { width, height, channels, data } = r;
  const long = Math.max(width, height);
  if (long <= side) return r;
  const ow = Math.max(1, Math.round((width * side) / long));
  const oh = Math.max(1, Math.round((height * side) / long));
  const out = new Uint8Array(ow * oh * channels);
  const acc = new Float64Array(ow * channels);
  const fx = width / ow;
  const fy = height / oh;
  for (let oy = 0; oy < oh; oy++) {
    acc.fill(0);
    const y0 = oy * fy;
    const y1 = y0 + fy;
    let wsum = 0;
    for (let y = Math.floor(y0); y < Math.min(height, Math.ceil(y1)); y++) {
      const wy = Math.min(y + 1, y1) - Math.max(y, y0);
      if (wy <= 0) continue;
      wsum += wy;
      const row = y * width * channels;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * fx;
        const x1 = x0 + fx;
        for (let x = Math.floor(x0); x < Math.min(width, Math.ceil(x1)); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          if (w <= 0) continue;
          const p = row + x * channels;
          for (let c = 0; c < channels; c++) acc[ox * channels + c]! += w * data[p + c]!;
        }
      }
    }
    const norm = 1 / (wsum * fx);
    for (let i = 0; i < ow * channels; i++) out[oy * ow * channels + i] = Math.min(255, Math.round(acc[i]! * norm));
  }
  return { width: ow, height: oh, channels, data: out };
}

/** The canonical-rendition PDQ hash and quality of decoded pixels. */
export function pdqCanonical(r: Raster): { hash: Uint8Array; quality: number } {
  return pdqHash(areaDownsample(r));
}
