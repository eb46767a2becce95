/**
 * The Hasher interface shared by every perceptual hash, plus the helpers all 256-bit hashes need: hex encoding and a
 * fast Hamming distance. Hashes are stored with the hasher's versioned `id` so a change of algorithm never mixes
 * incomparable hashes.
 */
import { invalidArgument } from '../core/errors.js';
import type { Raster } from '../image/decode.js';

/** One perceptual hash of an image: 32 bytes plus the hasher's own quality score (0–100; PDQ: < 50 is unreliable). */
export interface HashResult {
  hash: Uint8Array;
  quality: number;
}

/** A perceptual hasher behind a stable, versioned id (`pdq-v1`); bump the id whenever its output changes. */
export interface Hasher {
  readonly id: string;
  /** Hashes decoded pixels. Deterministic: the same pixels always give the same hash. */
  hash(raster: Raster): HashResult;
}

/** Number of bytes in every hash Tracemark indexes (256 bits). */
export const HASH_BYTES = 32;

const HEX = '0123456789abcdef';

/** Encodes a hash as lowercase hex (the PDQ reference's textual form). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    s += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return s;
}

/** Decodes a 64-hex-digit hash; a user-supplied malformed value gets an INVALID_ARGUMENT error. */
export function fromHex(hex: string, name = 'hash'): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw invalidArgument(name, '64 hexadecimal digits', hex);
  const out = new Uint8Array(HASH_BYTES);
  for (let i = 0; i < HASH_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Population count of a 32-bit word (SWAR; V8 has no popcount intrinsic). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Packs a 32-byte hash into 8 big-endian 32-bit words (the in-memory layout of the index). */
export function toWords(hash: Uint8Array, out: Uint32Array = new Uint32Array(8), offset = 0): Uint32Array {
  for (let w = 0; w < 8; w++) {
    const i = w * 4;
    out[offset + w] = ((hash[i]! << 24) | (hash[i + 1]! << 16) | (hash[i + 2]! << 8) | hash[i + 3]!) >>> 0;
  }
  return out;
}

/** Hamming distance between two 256-bit hashes given as bytes (8 popcounts over 32-bit words). */
export function hamming256(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== HASH_BYTES || b.length !== HASH_BYTES) throw invalidArgument('hash', `${HASH_BYTES} bytes`, `${a.length} and ${b.length} bytes`);
  let d = 0;
  for (let i = 0; i < HASH_BYTES; i += 4) {
    const x = ((a[i]! ^ b[i]!) << 24) | ((a[i + 1]! ^ b[i + 1]!) << 16) | ((a[i + 2]! ^ b[i + 2]!) << 8) | (a[i + 3]! ^ b[i + 3]!);
    d += popcount32(x);
  }
  return d;
}

/** Hamming distance between hash `i` of `words` and a query packed with {@link toWords} (the index's hot path). */
export function hammingWords(words: Uint32Array, i: number, q: Uint32Array): number {
  const o = i * 8;
  return (
    popcount32(words[o]! ^ q[0]!) +
    popcount32(words[o + 1]! ^ q[1]!) +
    popcount32(words[o + 2]! ^ q[2]!) +
    popcount32(words[o + 3]! ^ q[3]!) +
    popcount32(words[o + 4]! ^ q[4]!) +
    popcount32(words[o + 5]! ^ q[5]!) +
    popcount32(words[o + 6]! ^ q[6]!) +
    popcount32(words[o + 7]! ^ q[7]!)
  );
}
