/**
 * File-level helpers for the CLI and the release service: decode untrusted bytes (limits, clear errors), embed or
 * detect, and re-encode with sharp. Encoded output never carries EXIF/GPS or other metadata (sharp drops it unless
 * asked to keep it), and pixels never touch the disk.
 */
import sharp from 'sharp';
import { decodeImage } from '../image/decode.js';
import { invalidArgument } from '../core/errors.js';
import type { WatermarkKey } from './keyfile.js';
import { embed, detect, MIN_EMBED_SIDE, MIN_DETECT_SIDE } from './api.js';
import type { DetectResult } from './detect.js';

/** Output encoding of a marked image. */
export interface EmbedOutput {
  format: 'jpeg' | 'png' | 'webp';
  /** 1–100 for JPEG/WebP (default 92). */
  quality?: number;
}

/** Decodes `bytes`, embeds `payload` and encodes to `out.format` with metadata stripped. */
export async function embedFile(bytes: Uint8Array, label: string, payload: Uint8Array, key: WatermarkKey, out: EmbedOutput, limits: { maxPixels: number }): Promise<Buffer> {
  const quality = out.quality ?? 92;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw invalidArgument('quality', 'an integer between 1 and 100', out.quality);
  const img = await decodeImage(bytes, label, { maxPixels: limits.maxPixels, minSide: MIN_EMBED_SIDE, keepAlpha: out.format !== 'jpeg' });
  const marked = embed(img, payload, key);
  const pipe = sharp(marked.data, { raw: { width: marked.width, height: marked.height, channels: marked.channels } });
  switch (out.format) {
    case 'jpeg':
      return pipe.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0', mozjpeg: false }).toBuffer();
    case 'png':
      return pipe.png({ compressionLevel: 6 }).toBuffer();
    case 'webp':
      return pipe.webp({ quality }).toBuffer();
    default:
      out.format satisfies never;
      throw invalidArgument('format', 'jpeg, png or webp', out.format);
  }
}

/** Decodes `bytes` and looks for a mark of `key`. */
export async function detectFile(bytes: Uint8Array, label: string, key: WatermarkKey, limits: { maxPixels: number }): Promise<DetectResult> {
  const img = await decodeImage(bytes, label, { maxPixels: limits.maxPixels, minSide: MIN_DETECT_SIDE });
  return detect(img, key);
}
