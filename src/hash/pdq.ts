/**
 * PDQ (Meta's 256-bit perceptual hash), bit-for-bit equal to the reference C++ (`facebook/ThreatExchange`,
 * `pdq/cpp`): CImg nearest-neighbour resize to 512×512 for images larger than 512 px, float32 luma, two passes of the
 * Jarosz box filter, decimation to 64×64, the 16×16 corner of the DCT, and a threshold at the median. Float32 rounding
 * (Math.fround) is applied exactly where the reference's `float` arithmetic rounds, in the same order of operations,
 * because a single differently-rounded coefficient can flip a bit near the median.
 */
import { invalidArgument } from '../core/errors.js';
import type { Raster } from '../image/decode.js';
import { HASH_BYTES, type Hasher, type HashResult } from './hasher.js';

const f = Math.fround;

/** Images larger than this on either side are first resized to exactly this square (as the reference does). */
export const PDQ_DOWNSAMPLE_DIMS = 512;
/** Below this many pixels on a side the reference returns an all-zero hash with quality 0. */
export const PDQ_MIN_HASHABLE_DIM = 5;

const LUMA_R = f(0.299);
const LUMA_G = f(0.587);
const LUMA_B = f(0.114);

/** DCT matrix, 16 rows × 64 columns, float32 as the reference stores it (scale in float, cosine in double). */
const DCT = (() => {
  const m = new Float32Array(16 * 64);
  const scale = f(Math.sqrt(2.0 / 64));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) m[i * 64 + j] = scale * Math.cos((Math.PI / 2.0 / 64) * (i + 1) * (2 * j + 1));
  }
  return m;
})();

/** The 8 dihedral variants in the reference's `--pdqdih-across` order. */
export const DIHEDRAL_NAMES = ['original', 'rotate90', 'rotate180', 'rotate270', 'flipX', 'flipY', 'flipPlus1', 'flipMinus1'] as const;
/** Name of one dihedral variant. */
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];

/** Reusable work buffers: a hasher allocates them once and reuses them for every image of the same size or smaller. */
class Workspace {
  buf1 = new Float32Array(0);
  buf2 = new Float32Array(0);
  readonly b64 = new Float32Array(64 * 64);
  readonly t16x64 = new Float32Array(16 * 64);
  readonly b16 = new Float32Array(256);
  readonly aux = new Float32Array(256);
  readonly sorted = new Float32Array(256);
  ensure(n: number): void {
    if (this.buf1.length < n) {
      this.buf1 = new Float32Array(n);
      this.buf2 = new Float32Array(n);
    }
  }
}

/** Fills `luma` (rows × cols) from the raster, applying the reference's CImg nearest-neighbour resize if needed. */
function fillLuma(r: Raster, luma: Float32Array, rows: number, cols: number): void {
  const { width, height, channels, data } = r;
  for (let y = 0; y < rows; y++) {
    // CImg resize (interpolation 1): source offset of output index x is floor(x * W / newW), computed in double.
    const sy = rows === height ? y : Math.floor((y * height) / rows);
    const rowBase = sy * width;
    const out = y * cols;
    for (let x = 0; x < cols; x++) {
      const sx = cols === width ? x : Math.floor((x * width) / cols);
      const p = (rowBase + sx) * channels;
      luma[out + x] = f(f(f(LUMA_R * data[p]!) + f(LUMA_G * data[p + 1]!)) + f(LUMA_B * data[p + 2]!));
    }
  }
}

/** One 1-D box filter pass, exactly as the reference's `box1DFloat` (four phases, float running sum). */
function box1D(inv: Float32Array, outv: Float32Array, base: number, length: number, stride: number, window: number): void {
  const half = ((window + 2) / 2) | 0;
  const p1 = half - 1;
  const p2 = window - half + 1;
  const p3 = length - window;
  const p4 = half - 1;
  let li = base;
  let ri = base;
  let oi = base;
  let sum = 0;
  let cur = 0;
  for (let i = 0; i < p1; i++) {
    sum = f(sum + inv[ri]!);
    cur++;
    ri += stride;
  }
  for (let i = 0; i < p2; i++) {
    sum = f(sum + inv[ri]!);
    cur++;
    outv[oi] = sum / cur;
    ri += stride;
    oi += stride;
  }
  for (let i = 0; i < p3; i++) {
    sum = f(sum + inv[ri]!);
    sum = f(sum - inv[li]!);
    outv[oi] = sum / cur;
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (let i = 0; i < p4; i++) {
    sum = f(sum - inv[li]!);
    cur--;
    outv[oi] = sum / cur;
    li += stride;
    oi += stride;
  }
}

function jaroszWindow(oldDim: number, newDim: number): number {
  return ((oldDim + 2 * newDim - 1) / (2 * newDim)) | 0;
}

/** Blur (2 × rows+cols box passes) then decimate to 64×64 into `ws.b64`. */
function downsample64(ws: Workspace, rows: number, cols: number): void {
  const b1 = ws.buf1;
  const b2 = ws.buf2;
  if (rows === 64 && cols === 64) {
    ws.b64.set(b1.subarray(0, 4096));
    return;
  }
  const wRows = jaroszWindow(cols, 64);
  const wCols = jaroszWindow(rows, 64);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < rows; i++) box1D(b1, b2, i * cols, cols, 1, wRows);
    for (let j = 0; j < cols; j++) box1D(b2, b1, j, rows, cols, wCols);
  }
  for (let oi = 0; oi < 64; oi++) {
    const ini = Math.trunc(((oi + 0.5) * rows) / 64);
    for (let oj = 0; oj < 64; oj++) {
      const inj = Math.trunc(((oj + 0.5) * cols) / 64);
      ws.b64[oi * 64 + oj] = b1[ini * cols + inj]!;
    }
  }
}

/** The reference's image-domain quality metric over the 64×64 downsample (gradient count, capped at 100). */
function quality64(b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      const d = Math.trunc(f(f(f(b[i * 64 + j]! - b[(i + 1) * 64 + j]!) * 100) / 255));
      sum += Math.abs(d);
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      const d = Math.trunc(f(f(f(b[i * 64 + j]! - b[i * 64 + j + 1]!) * 100) / 255));
      sum += Math.abs(d);
    }
  }
  return Math.min(100, Math.trunc(sum / 90));
}

/** B = D A Dᵀ restricted to the 16×16 low frequencies, float32 accumulation in the reference's order. */
function dct64To16(a: Float32Array, t: Float32Array, b: Float32Array): void {
  for (let i = 0; i < 16; i++) {
    const di = i * 64;
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(DCT[di + k]! * a[k * 64 + j]!));
      t[i * 64 + j] = s;
    }
  }
  for (let i = 0; i < 16; i++) {
    const ti = i * 64;
    for (let j = 0; j < 16; j++) {
      const dj = j * 64;
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(t[ti + k]! * DCT[dj + k]!));
      b[i * 16 + j] = s;
    }
  }
}

/**
 * Median threshold into the reference bit layout. The reference's Torben median over 256 values returns the lower
 * median (the 128th smallest); bit k = i*16+j is set when B[i][j] exceeds it. Bit k lives in 16-bit word k>>4, and the
 * hex form prints words 15…0, so in our big-endian byte order it is byte (15-(k>>4))*2 + (bit<8 ? 1 : 0).
 */
function toBits(b: Float32Array, sorted: Float32Array, out: Uint8Array): void {
  sorted.set(b);
  sorted.sort();
  const median = sorted[127]!;
  out.fill(0);
  for (let k = 0; k < 256; k++) {
    if (b[k]! > median) {
      const w = k >> 4;
      const bit = k & 15;
      const byte = (15 - w) * 2 + (bit < 8 ? 1 : 0);
      out[byte]! |= 1 << (bit & 7);
    }
  }
}

/** Transforms the 16×16 DCT of an image into that of one of its dihedral variants (sign flips and transposes). */
function dihedralDct(a: Float32Array, out: Float32Array, which: DihedralName): void {
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      const v = a[i * 16 + j]!;
      switch (which) {
        case 'original':
          out[i * 16 + j] = v;
          break;
        case 'rotate90':
          out[j * 16 + i] = j & 1 ? v : -v;
          break;
        case 'rotate180':
          out[i * 16 + j] = (i + j) & 1 ? -v : v;
          break;
        case 'rotate270':
          out[j * 16 + i] = i & 1 ? v : -v;
          break;
        case 'flipX':
          out[i * 16 + j] = i & 1 ? v : -v;
          break;
        case 'flipY':
          out[i * 16 + j] = j & 1 ? v : -v;
          break;
        case 'flipPlus1':
          out[j * 16 + i] = v;
          break;
        case 'flipMinus1':
          out[j * 16 + i] = (i + j) & 1 ? -v : v;
          break;
        default:
          which satisfies never;
      }
    }
  }
}

function checkRaster(r: Raster): void {
  if (!(r.channels === 3 || r.channels === 4) || r.data.length < r.width * r.height * r.channels) {
    throw invalidArgument('raster', 'RGB or RGBA pixels of width × height × channels bytes', `${r.width}×${r.height}×${r.channels} with ${r.data.length} bytes`);
  }
}

/** Runs the pipeline up to the 16×16 DCT; returns false (and the caller emits zero hashes) for tiny images. */
function dctOf(ws: Workspace, r: Raster): { ok: boolean; quality: number } {
  checkRaster(r);
  let rows = r.height;
  let cols = r.width;
  if (rows > PDQ_DOWNSAMPLE_DIMS || cols > PDQ_DOWNSAMPLE_DIMS) {
    rows = PDQ_DOWNSAMPLE_DIMS;
    cols = PDQ_DOWNSAMPLE_DIMS;
  }
  if (rows < PDQ_MIN_HASHABLE_DIM || cols < PDQ_MIN_HASHABLE_DIM) return { ok: false, quality: 0 };
  ws.ensure(rows * cols);
  fillLuma(r, ws.buf1, rows, cols);
  downsample64(ws, rows, cols);
  const quality = quality64(ws.b64);
  dct64To16(ws.b64, ws.t16x64, ws.b16);
  return { ok: true, quality };
}

/** PDQ hash and quality of decoded pixels. Images under 5 px on a side give an all-zero hash with quality 0. */
export function pdqHash(r: Raster, ws: Workspace = shared): HashResult {
  const hash = new Uint8Array(HASH_BYTES);
  const { ok, quality } = dctOf(ws, r);
  if (ok) toBits(ws.b16, ws.sorted, hash);
  return { hash, quality };
}

/** The 8 dihedral PDQ hashes (in {@link DIHEDRAL_NAMES} order): the hashes of the image rotated/mirrored, computed
 * from one DCT, so a mirrored or rotated leak is found by querying all 8. */
export function pdqDihedral(r: Raster, ws: Workspace = shared): { hashes: Uint8Array[]; quality: number } {
  const { ok, quality } = dctOf(ws, r);
  const hashes = DIHEDRAL_NAMES.map((name) => {
    const h = new Uint8Array(HASH_BYTES);
    if (ok) {
      dihedralDct(ws.b16, ws.aux, name);
      toBits(ws.aux, ws.sorted, h);
    }
    return h;
  });
  return { hashes, quality };
}

const shared = new Workspace();

/** Creates a PDQ hasher with its own work buffers (one per worker/thread of use). */
export function createPdqHasher(): Hasher & { dihedral(r: Raster): { hashes: Uint8Array[]; quality: number } } {
  const ws = new Workspace();
  return {
    id: 'pdq-v1',
    hash: (r) => pdqHash(r, ws),
    dihedral: (r) => pdqDihedral(r, ws),
  };
}

/** The default PDQ hasher (`pdq-v1`). */
export const pdqHasher = createPdqHasher();
