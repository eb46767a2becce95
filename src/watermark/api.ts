/**
 * The pure watermark API over decoded pixels: validation at the boundary, then embedding/detection.
 */
import { TracemarkError, invalidArgument } from '../core/errors.js';
import type { Pixels } from '../image/planes.js';
import { addResidual, payloadChips, workingResidual } from './embed.js';
import { detectPixels, type DetectResult } from './detect.js';
import { assertKey, type WatermarkKey } from './keyfile.js';
import { PAYLOAD_BYTES } from './payload.js';

/** Smallest short side accepted for embedding (smaller images cannot hold enough tiles). */
export const MIN_EMBED_SIDE = 128;
/** Smallest short side accepted for detection. */
export const MIN_DETECT_SIDE = 64;

function assertPixels(img: Pixels, minSide: number, what: string): void {
  if (!img || !Number.isInteger(img.width) || !Number.isInteger(img.height) || (img.channels !== 3 && img.channels !== 4) || !(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height * img.channels) {
    throw new TracemarkError('WATERMARK_BAD_PIXELS', `Cannot ${what}: expected interleaved 8-bit RGB or RGBA pixels matching width × height × channels`, { kind: 'user' });
  }
  if (Math.min(img.width, img.height) < minSide) {
    throw new TracemarkError('IMAGE_TOO_SMALL', `Cannot ${what}: the image is ${img.width}×${img.height}, smaller than ${minSide} px on the short side`, { kind: 'user', hint: 'Use a larger image.', details: { width: img.width, height: img.height } });
  }
}

/** Parses a 16-hex-digit payload (as typed on the command line) into 8 bytes. */
export function parsePayloadHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{16}$/.test(hex)) throw invalidArgument('payload', '16 hexadecimal digits (64 bits)', hex);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Embeds an 8-byte payload under `key`; returns new pixels of the same size and layout. `strength` scales energy (default 1). */
export function embed(img: Pixels, payload: Uint8Array, key: WatermarkKey, opts: { strength?: number } = {}): Pixels {
  assertKey(key);
  if (!(payload instanceof Uint8Array) || payload.length !== PAYLOAD_BYTES) throw invalidArgument('payload', `${PAYLOAD_BYTES} bytes`, payload instanceof Uint8Array ? `${payload.length} bytes` : typeof payload);
  const strength = opts.strength ?? 1;
  if (!Number.isFinite(strength) || strength < 0.25 || strength > 4) throw invalidArgument('strength', 'a number between 0.25 and 4', opts.strength);
  assertPixels(img, MIN_EMBED_SIDE, 'embed a watermark');
  const { w, h, res } = workingResidual(img, payloadChips(key.secret, payload), strength);
  return { width: img.width, height: img.height, channels: img.channels, data: addResidual(img, w, h, res) };
}

/** Looks for a mark of `key`; reports a payload only above the 1e-9 false-positive bound (see README.md). */
export function detect(img: Pixels, key: WatermarkKey): DetectResult {
  assertKey(key);
  assertPixels(img, MIN_DETECT_SIDE, 'detect a watermark');
  return detectPixels(img, key.secret);
}
