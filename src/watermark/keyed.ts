/**
 * Key derivation and a deterministic PRNG: every keyed choice of the mark (chip signs, which chips are pilot or data,
 * which coded bit a chip carries) comes from HMAC-SHA256(secret, label), so a different key gives an independent
 * pattern and a wrong key can neither read nor forge a payload.
 */
import { createHmac } from 'node:crypto';

/** xoshiro128** seeded from 16 bytes: small, fast, good enough statistically for chip patterns. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: Uint8Array) {
    const v = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
    this.a = v.getUint32(0, true) | 0;
    this.b = v.getUint32(4, true) | 0;
    this.c = v.getUint32(8, true) | 0;
    this.d = v.getUint32(12, true) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** ±1 with equal probability. */
  sign(): 1 | -1 {
    return (this.nextU32() & 1) === 1 ? 1 : -1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A PRNG for one purpose (`label`) derived from the watermark secret. */
export function keyedPrng(secret: Uint8Array, label: string): Prng {
  const mac = createHmac('sha256', secret).update(`tracemark/wm-v1/${label}`).digest();
  return new Prng(new Uint8Array(mac.buffer, mac.byteOffset, 16));
}
