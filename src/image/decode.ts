import sharp, { type Metadata } from 'sharp';
import { TracemarkError } from '../core/errors.js';

/** Interleaved 8-bit pixels as decoded by sharp. `channels` is 3 (RGB) or 4 (RGBA). */
export interface Raster {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** Limits applied to untrusted image input before anything is decoded. */
export interface ImageLimits {
  /** Maximum width × height (default 50 MP). Checked from the header, so a decompression bomb is never decoded. */
  maxPixels: number;
  /** Smallest accepted short side in pixels. */
  minSide?: number;
}

/** Formats accepted at ingestion (those sharp's bundled libvips reads). */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp', 'heif', 'avif', 'tiff', 'gif'] as const;

/** Header facts of a validated image. */
export interface ImageInfo {
  format: string;
  width: number;
  height: number;
  /** EXIF orientation (1–8) if present. */
  orientation: number | undefined;
}

/**
 * Validates untrusted bytes as an image without decoding the pixels: zero bytes, not an image, unsupported format,
 * too many pixels (decompression bombs) and too small all give a clear error whose message names `label` (a file
 * name the user gave) but never the content. Truncation is caught by {@link assertDecodes}.
 */
export async function inspectImage(bytes: Uint8Array, label: string, limits: ImageLimits): Promise<ImageInfo> {
  if (bytes.length === 0) {
    throw new TracemarkError('IMAGE_EMPTY', `${label}: the file is empty (0 bytes)`, { hint: 'Re-export or re-download the image; nothing was stored.', details: { file: label } });
  }
  let meta: Metadata;
  try {
    // limitInputPixels: false here because we only read the header; the pixel limit is checked below with our message.
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'none' }).metadata();
  } catch {
    throw new TracemarkError('IMAGE_UNREADABLE', `${label}: not an image, or a format Tracemark cannot read`, {
      hint: `Accepted formats: ${ACCEPTED_FORMATS.join(', ')}.`,
      details: { file: label },
    });
  }
  const format = meta.format ?? 'unknown';
  if (!(ACCEPTED_FORMATS as readonly string[]).includes(format)) {
    throw new TracemarkError('IMAGE_UNSUPPORTED', `${label}: ${format} images are not supported`, {
      hint: `Convert it to one of: ${ACCEPTED_FORMATS.join(', ')}.`,
      details: { file: label, format },
    });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) {
    throw new TracemarkError('IMAGE_UNREADABLE', `${label}: the image header has no valid size`, { details: { file: label } });
  }
  if (width * height > limits.maxPixels) {
    throw new TracemarkError('IMAGE_TOO_LARGE', `${label}: ${width}×${height} = ${((width * height) / 1e6).toFixed(1)} MP exceeds the limit of ${(limits.maxPixels / 1e6).toFixed(1)} MP`, {
      hint: 'Downscale the image, or raise TRACEMARK_MAX_PIXELS if such images are legitimate. It was not decoded.',
      details: { file: label, width, height },
    });
  }
  const minSide = limits.minSide ?? 1;
  if (Math.min(width, height) < minSide) {
    throw new TracemarkError('IMAGE_TOO_SMALL', `${label}: ${width}×${height} is smaller than the minimum of ${minSide} px on the short side`, { details: { file: label, width, height } });
  }
  return { format, width, height, orientation: meta.orientation };
}

/** Options for {@link decodeImage}. */
export interface DecodeOptions extends ImageLimits {
  /** Apply EXIF orientation so pixels are upright (default true). */
  autoOrient?: boolean;
  /** Keep an alpha channel if present (default false: flattened onto white). */
  keepAlpha?: boolean;
}

/**
 * Validates and fully decodes untrusted image bytes into RGB pixels. A truncated or corrupt file fails here with
 * IMAGE_CORRUPT rather than yielding half an image.
 */
export async function decodeImage(bytes: Uint8Array, label: string, opts: DecodeOptions): Promise<Raster & { info: ImageInfo }> {
  const info = await inspectImage(bytes, label, opts);
  try {
    let pipe = sharp(bytes, { limitInputPixels: opts.maxPixels, failOn: 'truncated' });
    if (opts.autoOrient !== false) pipe = pipe.rotate();
    if (!opts.keepAlpha) pipe = pipe.flatten({ background: '#ffffff' }).removeAlpha();
    const { data, info: out } = await pipe.raw().toBuffer({ resolveWithObject: true });
    const channels = out.channels === 4 ? 4 : 3;
    if (out.channels !== 3 && out.channels !== 4) {
      // Grey images come out with 1 or 2 channels; expand to RGB so every consumer sees one layout.
      const rgb = await sharp(data, { raw: { width: out.width, height: out.height, channels: out.channels } }).toColourspace('srgb').removeAlpha().raw().toBuffer();
      return { width: out.width, height: out.height, channels: 3, data: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length), info };
    }
    return { width: out.width, height: out.height, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length), info };
  } catch (err) {
    throw new TracemarkError('IMAGE_CORRUPT', `${label}: the image is truncated or corrupt and cannot be decoded`, {
      hint: 'Obtain a complete copy of the file; nothing was stored.',
      details: { file: label },
      cause: err instanceof Error ? new Error(err.message.split('\n')[0]) : undefined,
    });
  }
}

/** Fully decodes to check integrity, discarding pixels (used at ingestion, where the original bytes are kept). */
export async function assertDecodes(bytes: Uint8Array, label: string, limits: ImageLimits): Promise<ImageInfo> {
  const { info } = await decodeImage(bytes, label, { ...limits, autoOrient: false, keepAlpha: true });
  return info;
}
