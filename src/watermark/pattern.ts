/**
 * The keyed tile: TILE×TILE canonical pixels made of CHIP×CHIP-pixel chips (32×32 = 1024 chips). A keyed permutation
 * makes PILOT_CHIPS of them a known ±1 pilot (used for synchronisation and for the detection statistic); the other
 * chips carry the coded payload bits, each multiplied by a keyed ±1 sign.
 */
import { keyedPrng } from './keyed.js';
import { CODED_BITS } from './payload.js';

/** Tile period in canonical (working-resolution) pixels. */
export const TILE = 64;
/** Chip size in canonical pixels. */
export const CHIP = 2;
/** Chips per tile side. */
export const CHIPS_PER_SIDE = TILE / CHIP;
/** Chips per tile. */
export const CHIPS = CHIPS_PER_SIDE * CHIPS_PER_SIDE;
/** Chips reserved for the pilot. */
export const PILOT_CHIPS = 128;

/** The keyed layout of one tile. */
export interface TileLayout {
  /** ±1 sign of each chip (pilot value or data spreading sign). */
  sign: Float32Array;
  /** −1 for a pilot chip, else the index of the coded bit the chip carries. */
  role: Int16Array;
  /** TILE×TILE pixel image of the pilot chips (data chips 0), for FFT correlation. */
  pilotImage: Float64Array;
}

const cache = new Map<string, TileLayout>();

/** Keyed tile layout (cached per secret). */
export function tileLayout(secret: Uint8Array): TileLayout {
  const id = Buffer.from(secret).toString('hex');
  const hit = cache.get(id);
  if (hit) return hit;
  const perm = new Int32Array(CHIPS);
  for (let i = 0; i < CHIPS; i++) perm[i] = i;
  const rp = keyedPrng(secret, 'permutation');
  for (let i = CHIPS - 1; i > 0; i--) {
    const j = rp.below(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const rs = keyedPrng(secret, 'signs');
  const sign = new Float32Array(CHIPS);
  const role = new Int16Array(CHIPS);
  for (let k = 0; k < CHIPS; k++) {
    const chip = perm[k]!;
    sign[chip] = rs.sign();
    role[chip] = k < PILOT_CHIPS ? -1 : (k - PILOT_CHIPS) % CODED_BITS;
  }
  const pilotImage = new Float64Array(TILE * TILE);
  for (let y = 0; y < TILE; y++)
    for (let x = 0; x < TILE; x++) {
      const c = (y >> 1) * CHIPS_PER_SIDE + (x >> 1);
      if (role[c] === -1) pilotImage[y * TILE + x] = sign[c]!;
    }
  const layout = { sign, role, pilotImage };
  if (cache.size > 16) cache.clear();
  cache.set(id, layout);
  return layout;
}

/** Chip values (±1) of the tile for a coded word. */
export function tileChips(layout: TileLayout, coded: Uint8Array): Float32Array {
  const out = new Float32Array(CHIPS);
  for (let c = 0; c < CHIPS; c++) {
    const r = layout.role[c]!;
    out[c] = r < 0 ? layout.sign[c]! : layout.sign[c]! * (1 - 2 * coded[r]!);
  }
  return out;
}
