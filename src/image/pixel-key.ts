/**
 * Content keys for rasters: equal keys mean equal pixels, so work derived from an image (warps, planes, block
 * statistics) can be reused across calls and across threads, where object identity is lost (worker jobs receive
 * structured clones). SHA-256 over the size and the bytes: about 0.6 ms per MB, once per raster object.
 */
import { createHash } from 'node:crypto';

/** Anything with interleaved 8-bit pixels. */
interface RasterBytes {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** Keys already computed, by pixel buffer (rasters handed to the investigation are never modified in place). */
const memo = new WeakMap<Uint8Array, string>();

/** SHA-256 (hex) of a raster's size and bytes. */
export function pixelKey(r: RasterBytes): string {
  const h = createHash('sha256');
  h.update(`${r.width}x${r.height}x${r.channels}:`);
  h.update(r.data);
  return h.digest('hex');
}

/**
 * {@link pixelKey}, remembered per pixel buffer: for rasters that are never written after decoding (decrypted
 * originals in the investigation's cache, a leaked file's decoded copy), so each is hashed once per run.
 */
export function pixelKeyOnce(r: RasterBytes): string {
  const k = memo.get(r.data);
  if (k !== undefined && k.startsWith(`${r.width}x${r.height}x${r.channels}:`)) return k.slice(k.indexOf(':') + 1);
  const key = pixelKey(r);
  memo.set(r.data, `${r.width}x${r.height}x${r.channels}:${key}`);
  return key;
}
