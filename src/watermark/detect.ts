/**
 * Blind keyed detection:
 *   1. luma at ≤ ~0.6 MP (exact box average) and a ~300×300 "stage 1" copy;
 *   2. whitened autocorrelation → candidate lattices B (scale, rotation mod 90°, aspect, shear) — key-independent;
 *   3. for each candidate: resample the image onto the canonical grid (tile = 64 px), whiten, fold modulo the tile
 *      (a second lattice refinement on the canonical image was tried: periodic text, e.g. an MRZ, pulled it off);
 *   4. correlate the folded tile with the keyed pilot for the 8 dihedral variants and all 4096 cyclic offsets (FFT);
 *   5. each examined hypothesis gives the pilot statistic t (a normalised chip-level correlation); when t ≥ 4 the data
 *      chips are despread, Viterbi-decoded and the CRC-24 checked. A payload is reported if the CRC passes and either
 *      t ≥ T (rule 1) or the correlation of all chips with the tile the decoded word would write t_d ≥ T_d (rule 2;
 *      when the Viterbi word fails, the list decoder's next most likely words are tried under rule 2 only).
 * The false-positive bound (README.md): P(FP) ≤ H · exp(−T²/2) · 2^−24 + H · 2^64 · exp(−T_d²/2) with
 * H = candidates × 8 × 4096.
 */
import { lumaBoxExact, type Pixels, type Plane } from '../image/planes.js';
import { bilinearInside, halve, resize } from '../image/resample.js';
import { fft2 } from './fft.js';
import { tileFft } from './simd/fft.js';
import { lumaBoxWasm } from './simd/luma.js';
import { CHIPS, TILE, tileLayout, type TileLayout } from './pattern.js';
import { CODED_BITS, CRC_BITS, INFO_BITS, convEncode, infoBitsToPayload, listViterbiDecode, viterbiDecode } from './payload.js';
import { autocorrelation, findLattices, searchSquareLattice, type Mat2 } from './sync.js';
import { releaseSampling, sampleWhitenFold, whiten, whitenFold } from './whiten.js';
import { ladderPeriods, workingSize } from './embed.js';

/** Lattice candidates examined per image (fixed, so the threshold is fixed). */
export const MAX_CANDIDATES = 48;
/** Candidates taken from the autocorrelation before the squared variants of the near-period ones are added. */
const BASE_CANDIDATES = 20;
/**
 * Scale steps tried around each near-period lattice's |v1|, |v2| and their mean: the fold tolerates ≈ ±0.5% of scale
 * error on a card (≈ 6 tiles across), the autocorrelation's estimate is good to ≈ 1.5%; steps of 0.8% cover that.
 */
const SCALE_STEPS = [1, 0.992, 1.008, 0.984, 1.016];
/** Hypotheses per image: candidates × dihedral variants × cyclic offsets. */
export const HYPOTHESES = MAX_CANDIDATES * 8 * TILE * TILE;
/**
 * Whitening power for the synchronisation autocorrelation (see whiten()). 2 — with the fold's 3×3 mean and 5×5 mean
 * square — beat 1 in an A/B over 108 draws of each geometric attack (resize, resize + JPEG, crop, rotation,
 * screenshot, combined, perspective): 634 → 643 summed percentage points, no class worse by more than one draw.
 */
const SYNC_WHITEN_POWER = 2;
/**
 * Whitening power before folding: 2 weights each pixel by 1/local variance, close to the optimal a(x)/σ²(x) for a mark
 * whose amplitude a grows like σ (measured: +15–60% on the pilot statistic of 512 px photos and ID cards).
 */
const FOLD_WHITEN_POWER = 2;
/** Decision threshold on the pilot statistic (rule 1). */
export const THRESHOLD = 6.1;
/**
 * Decision threshold on the data statistic (rule 2): the normalised correlation of all 1,024 chips with the tile the
 * decoded word would write. A mark too weak for the 128-chip pilot to pass 6.1 is still read when its chips agree
 * with a CRC-valid codeword this strongly (README.md: the union bound over every hypothesis and all 2^64 CRC-valid
 * codewords keeps rule 2's share of the false-positive budget ≤ 2.0·10⁻¹⁰).
 */
export const DATA_THRESHOLD = 12.8;
/** Hypotheses with a pilot statistic below this are not decoded (they cannot be the mark's alignment). */
const DECODE_MIN_PILOT = 4;

/** Upper bound on P(false detection) for a pilot statistic t, over all hypotheses, including the CRC (rule 1). */
export function falsePositiveBound(t: number): number {
  return Math.min(1, HYPOTHESES * Math.exp((-t * t) / 2) * 2 ** -CRC_BITS);
}

/** Upper bound on P(false detection) for a data statistic td (rule 2): H · 2^64 · exp(−td²/2). */
export function dataFalsePositiveBound(td: number): number {
  return Math.min(1, HYPOTHESES * 2 ** (INFO_BITS - CRC_BITS) * Math.exp((-td * td) / 2));
}

/** Detection result with diagnostics. */
export interface DetectResult {
  detected: boolean;
  /** 8 payload bytes when detected, else null. */
  payload: Uint8Array | null;
  /** 1 − (bound on the false-positive probability) when detected; for no detection, the same for the pilot alone. */
  confidence: number;
  /** Pilot statistic t of the best hypothesis (≈ N(0,1)-bounded when no mark). */
  statistic: number;
  threshold: number;
  /** Bound on P(false positive) at this statistic (1 when not detected). */
  fpBound: number;
  /** Tile period as found in the examined image, in its pixels (diagnostic: reveals the scale of a copy). */
  tilePx: number | null;
  /** Estimated rotation in degrees (mod 90 from the lattice, resolved by the dihedral search). */
  rotation: number | null;
  /** Dihedral variant index (0 = none; 1–3 = 90° turns; 4–7 = mirrored). */
  dihedral: number | null;
  /** Tile offset (canonical px). */
  offset: [number, number] | null;
  /** Fraction of coded chips agreeing with the re-encoded decoded word (diagnostic). */
  chipAgreement: number | null;
  /** Data statistic of the decoded word (rule 2), when a payload was reported. */
  dataStatistic?: number;
  /** Lattice candidates listed when the search stopped (1 when the unscaled lattice read the mark; ≤ MAX_CANDIDATES). */
  candidates: number;
  /** Benchmarks only (`diagnostics: true`): the decoded payload bits of the best hypothesis even when not detected. */
  rawBits?: Uint8Array;
}

const pilotFftCache = new Map<TileLayout, { re: Float64Array; im: Float64Array }>();

function pilotFft(layout: TileLayout): { re: Float64Array; im: Float64Array } {
  let c = pilotFftCache.get(layout);
  if (!c) {
    const re = Float64Array.from(layout.pilotImage);
    const im = new Float64Array(TILE * TILE);
    fft2(re, im, TILE, TILE, false);
    c = { re, im };
    if (pilotFftCache.size > 16) pilotFftCache.clear();
    pilotFftCache.set(layout, c);
  }
  return c;
}

const M = TILE - 1;

/** Source index of each pixel for the 8 dihedral variants (identity, 3 turns, 4 mirrors), cyclic mod TILE. */
const DIHEDRAL_INDEX: Int32Array[] = (() => {
  const maps: Int32Array[] = [];
  for (let d = 0; d < 8; d++) {
    const m = new Int32Array(TILE * TILE);
    for (let y = 0; y < TILE; y++)
      for (let x = 0; x < TILE; x++) {
        let sx: number;
        let sy: number;
        switch (d) {
          case 0: sx = x; sy = y; break;
          case 1: sx = y; sy = -x; break;
          case 2: sx = -x; sy = -y; break;
          case 3: sx = -y; sy = x; break;
          case 4: sx = -x; sy = y; break;
          case 5: sx = y; sy = x; break;
          case 6: sx = x; sy = -y; break;
          default: sx = -y; sy = -x;
        }
        m[y * TILE + x] = (sy & M) * TILE + (sx & M);
      }
    maps.push(m);
  }
  return maps;
})();

/**
 * Sum of chip c of dihedral variant `map` of the fold read at cyclic offset (ox, oy): its four pixels added in the
 * order a row-major pass over the shifted variant adds them, ((v₀₀ + v₀₁) + v₁₀) + v₁₁, so every way of getting
 * chip sums here gives the same numbers.
 */
function chipSum(fold: Float64Array, map: Int32Array, c: number, ox: number, oy: number): number {
  const y0 = ((2 * (c >> 5) + oy) & M) * TILE;
  const y1 = ((2 * (c >> 5) + oy + 1) & M) * TILE;
  const x0 = (2 * (c & 31) + ox) & M;
  const x1 = (x0 + 1) & M;
  return fold[map[y0 + x0]!]! + fold[map[y0 + x1]!]! + fold[map[y1 + x0]!]! + fold[map[y1 + x1]!]!;
}

/** All 1024 chip sums of a variant at an offset (for decoding and for the hypotheses kept). */
function chipSums(fold: Float64Array, map: Int32Array, ox: number, oy: number): Float64Array {
  const a = new Float64Array(CHIPS);
  for (let c = 0; c < CHIPS; c++) a[c] = chipSum(fold, map, c, ox, oy);
  return a;
}

/**
 * Indices of the 3 largest values of v (TILE² of them), largest first; equal values keep index order (a stable
 * descending sort of the first three, then of each larger value replacing the third, would give the same).
 */
function top3(v: Float64Array, out: Int32Array): Int32Array {
  let i0 = 0, i1 = 1, i2 = 2;
  let v0 = v[0]!, v1 = v[1]!, v2 = v[2]!;
  // Sort the first three, stably, descending.
  if (v1 > v0) {
    [i0, i1] = [i1, i0];
    [v0, v1] = [v1, v0];
  }
  if (v2 > v1) {
    [i1, i2] = [i2, i1];
    [v1, v2] = [v2, v1];
    if (v1 > v0) {
      [i0, i1] = [i1, i0];
      [v0, v1] = [v1, v0];
    }
  }
  const n = TILE * TILE;
  for (let i = 3; i < n; i++) {
    const x = v[i]!;
    if (!(x > v2)) continue;
    // After every kept value ≥ x (ties stay in index order).
    if (x > v0) {
      i2 = i1; v2 = v1;
      i1 = i0; v1 = v0;
      i0 = i; v0 = x;
    } else if (x > v1) {
      i2 = i1; v2 = v1;
      i1 = i; v1 = x;
    } else {
      i2 = i; v2 = x;
    }
  }
  out[0] = i0;
  out[1] = i1;
  out[2] = i2;
  return out;
}

const pilotCache = new Map<TileLayout, Int32Array>();

/** The pilot chips of a layout, ascending (the order the pilot statistic sums them in). */
function pilotChips(layout: TileLayout): Int32Array {
  let p = pilotCache.get(layout);
  if (!p) {
    const idx: number[] = [];
    for (let c = 0; c < CHIPS; c++) if (layout.role[c] === -1) idx.push(c);
    p = Int32Array.from(idx);
    if (pilotCache.size > 16) pilotCache.clear();
    pilotCache.set(layout, p);
  }
  return p;
}

/**
 * The pilot statistic t = Σ pᵢaᵢ / ‖a‖ of a hypothesis over its 128 pilot chips, ascending (the data chips are summed
 * only for hypotheses that are decoded or kept).
 */
function pilotStatAt(layout: TileLayout, pilots: Int32Array, fold: Float64Array, map: Int32Array, ox: number, oy: number): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < pilots.length; k++) {
    const c = pilots[k]!;
    const v = chipSum(fold, map, c, ox, oy);
    num += layout.sign[c]! * v;
    den += v * v;
  }
  return den > 0 ? num / Math.sqrt(den) : 0;
}

/** Largest canonical image (pixels) examined per candidate. */
const CANONICAL_MAX = 150_000;

/** Reused per thread: the canonical image, its validity mask and the valid pixels' row spans (≤ CANONICAL_MAX px). */
let canScratch = { n: 0, data: new Float32Array(0), valid: new Uint8Array(0), first: new Int32Array(0), last: new Int32Array(0) };

/**
 * Bilinear samples of `p` on a w×h grid under (u, v) → (a·u + b·v + c, d·u + e·v + f) into the scratch plane — the
 * same arithmetic, in the same order, as `sampleAffine` in image/resample.ts (so the same values), without
 * allocating, and recording each row's valid span. Returns the spans only when every row's valid pixels are one
 * interval (always, as the coordinates along a row are monotone; checked all the same).
 */
function sampleCanonical(p: Plane, m: readonly [number, number, number, number, number, number], w: number, h: number): { plane: Plane; valid: Uint8Array; spans: { first: Int32Array; last: Int32Array } | null } {
  if (canScratch.n < w * h || canScratch.first.length < h) {
    const n = Math.max(w * h, canScratch.n);
    canScratch = { n, data: new Float32Array(n), valid: new Uint8Array(n), first: new Int32Array(n), last: new Int32Array(n) };
  }
  const { data: out, valid, first, last } = canScratch;
  const [a, b, c, d, e, f] = m;
  const W = p.width;
  const H = p.height;
  const s = p.data;
  let convex = true;
  for (let v = 0; v < h; v++) {
    let x = b * v + c;
    let y = e * v + f;
    let fv = w;
    let lv = -1;
    let count = 0;
    for (let u = 0; u < w; u++, x += a, y += d) {
      const o = v * w + u;
      if (x < 0 || y < 0 || x > W - 1.001 || y > H - 1.001) {
        out[o] = 0;
        valid[o] = 0;
        continue;
      }
      out[o] = bilinearInside(s, W, x, y);
      valid[o] = 1;
      if (fv === w) fv = u;
      lv = u;
      count++;
    }
    if (count > 0 && count !== lv - fv + 1) convex = false;
    first[v] = fv;
    last[v] = lv;
  }
  return { plane: { width: w, height: h, data: out.subarray(0, w * h) }, valid: valid.subarray(0, w * h), spans: convex ? { first, last } : null };
}

/**
 * Resamples the pyramid level onto the canonical grid for the map x = Mℓ·u + tℓ, whitens it and folds it modulo the
 * tile into `fold` (zeroed here); false when the candidate gives no usable canonical image.
 */
function foldCanonical(levels: Plane[], M0: Mat2, fold: Float64Array): boolean {
  const s = Math.sqrt(Math.abs(M0[0] * M0[3] - M0[1] * M0[2]));
  let lv = 0;
  while (lv + 1 < levels.length && s / 2 ** (lv + 1) >= 1) lv++;
  const f = 2 ** lv;
  const P = levels[lv]!;
  const Ml: Mat2 = [M0[0] / f, M0[1] / f, M0[2] / f, M0[3] / f];
  const det = Ml[0] * Ml[3] - Ml[1] * Ml[2];
  if (Math.abs(det) < 1e-6) return false;
  const inv = [Ml[3] / det, -Ml[1] / det, -Ml[2] / det, Ml[0] / det];
  let umin = Infinity, umax = -Infinity, vmin = Infinity, vmax = -Infinity;
  for (const [x, y] of [[0, 0], [P.width - 1, 0], [0, P.height - 1], [P.width - 1, P.height - 1]] as const) {
    const u = inv[0]! * x + inv[1]! * y;
    const v = inv[2]! * x + inv[3]! * y;
    umin = Math.min(umin, u);
    umax = Math.max(umax, u);
    vmin = Math.min(vmin, v);
    vmax = Math.max(vmax, v);
  }
  let w = Math.ceil(umax - umin) + 1;
  let h = Math.ceil(vmax - vmin) + 1;
  if (w < 24 || h < 24) return false;
  if (w * h > CANONICAL_MAX) {
    // Enough tiles (≈ 36) for the fold: keep a central window so a tiny candidate period cannot blow up the cost.
    const f = Math.sqrt(CANONICAL_MAX / (w * h));
    const nw = Math.max(64, Math.floor(w * f));
    const nh = Math.max(64, Math.floor(h * f));
    umin += (w - nw) / 2;
    vmin += (h - nh) / 2;
    w = nw;
    h = nh;
  }
  const tx = Ml[0] * umin + Ml[1] * vmin;
  const ty = Ml[2] * umin + Ml[3] * vmin;
  const m: [number, number, number, number, number, number] = [Ml[0], Ml[1], tx, Ml[2], Ml[3], ty];
  if (FOLD_WHITEN_POWER === 2 && sampleWhitenFold(P, m, w, h, fold)) return true; // WebAssembly, same numbers
  const { plane, valid, spans } = sampleCanonical(P, m, w, h);
  fold.fill(0);
  whitenFold(plane, valid, spans, FOLD_WHITEN_POWER, fold);
  return true;
}

/** The best hypothesis so far. */
interface Best {
  t: number;
  d: number;
  ox: number;
  oy: number;
  a: Float64Array;
  B: Mat2;
}

/**
 * The rule-2 statistic: the normalised correlation of all 1,024 chips with the tile a payload would write (the keyed
 * pilot signs, and the data chips' signs for the coded word `coded`). Under an image without this key's mark every
 * sign is an independent uniform ±1 for a fixed word (README.md), so the pilot chips add evidence at no cost to the bound.
 */
function fullStat(layout: TileLayout, a: Float64Array, coded: Uint8Array): number {
  let num = 0;
  let den = 0;
  for (let c = 0; c < CHIPS; c++) {
    const r = layout.role[c]!;
    num += layout.sign[c]! * (r < 0 ? 1 : 1 - 2 * coded[r]!) * a[c]!;
    den += a[c]! * a[c]!;
  }
  return den > 0 ? num / Math.sqrt(den) : 0;
}

/** A decoded hypothesis that passed a decision rule. */
interface Accepted {
  payload: Uint8Array;
  info: Uint8Array;
  t: number;
  td: number;
  d: number;
  ox: number;
  oy: number;
  a: Float64Array;
  B: Mat2;
}

/**
 * List decoding for rule 2: when the Viterbi word of a hypothesis with pilot statistic ≥ `minPilot` fails its CRC or
 * both rules, the `size` most likely words are examined and a CRC-valid one is accepted on its own rule-2 statistic.
 * Rule 2's bound is a union over every CRC-valid word, whichever way the decoder picks it, so the list costs nothing
 * there; rule 1 (pilot + CRC) is applied to the Viterbi word only. Measured on the code alone at Es/N0 ≈ −2.9 dB per
 * coded bit: the embedded word is the Viterbi word in 27 % of trials and in the 32-word list in 62 %.
 */
export const LIST = { size: 32, minPilot: 4.2 };

/**
 * Decodes one hypothesis and applies the two decision rules: rule 1, pilot t ≥ THRESHOLD and CRC; rule 2, CRC and
 * full-tile statistic ≥ DATA_THRESHOLD (for the Viterbi word, else for the best of the list). Returns the payload
 * bits and statistics when one passes.
 */
function tryDecode(layout: TileLayout, a: Float64Array, t: number): { payload: Uint8Array; info: Uint8Array; td: number } | null {
  if (t < DECODE_MIN_PILOT) return null;
  const soft = softBits(layout, a);
  const info = viterbiDecode(soft, INFO_BITS);
  const payload = infoBitsToPayload(info);
  if (payload) {
    const td = fullStat(layout, a, convEncode(info));
    if (t >= THRESHOLD || td >= DATA_THRESHOLD) return { payload, info, td };
  }
  if (t < LIST.minPilot || LIST.size <= 1) return null;
  let best: { payload: Uint8Array; info: Uint8Array; td: number } | null = null;
  // The list's first word is the Viterbi word, examined above.
  for (const word of listViterbiDecode(soft, INFO_BITS, LIST.size).slice(1)) {
    const p = infoBitsToPayload(word);
    if (!p) continue;
    const td = fullStat(layout, a, convEncode(word));
    if (td >= DATA_THRESHOLD && (!best || td > best.td)) best = { payload: p, info: word, td };
  }
  return best;
}

/** Despreads the data chips into soft coded bits (positive: the coded bit is more likely 0). */
function softBits(layout: TileLayout, a: Float64Array): Float64Array {
  const soft = new Float64Array(CODED_BITS);
  for (let c = 0; c < CHIPS; c++) {
    const r = layout.role[c]!;
    if (r >= 0) soft[r]! += layout.sign[c]! * a[c]!;
  }
  return soft;
}

/** Despreads the data chips and Viterbi-decodes them into info bits (payload ‖ CRC). */
function decodeSoft(layout: TileLayout, a: Float64Array): Uint8Array {
  return viterbiDecode(softBits(layout, a), INFO_BITS);
}

/**
 * The candidate lattices (stage-1 px per tile) after the unscaled one, all derived from the image alone (so the
 * hypothesis count, and the bound, do not depend on the key): the 5 best by autocorrelation score, the ladder periods,
 * the best near the expected period, a square-lattice search, then square lattices around the near ones.
 */
function latticeCandidates(S1: Plane, imgWidth: number, aw: { w: number; h: number }, expected: number): { lattices: { B: Mat2; score: number }[]; more: () => void } {
  const lattices: { B: Mat2; score: number }[] = [{ B: [expected, 0, 0, expected], score: 0 }];
  const d1 = whiten(S1, undefined, SYNC_WHITEN_POWER);
  const maxLag = Math.min(Math.max(S1.width, S1.height) - 8, 512 - Math.max(S1.width, S1.height));
  const acf = autocorrelation(d1, S1.width, S1.height, maxLag);
  // Candidates: the best-scoring lattices, plus the best ones whose period is near what an unscaled copy of a marked
  // image of this size would show (strongly periodic textures can outscore the mark's lattice in the autocorrelation).
  const all = findLattices(acf, 17, maxLag, 60, [[expected, 0, 0, expected]]);
  const isExpected = (c: { B: Mat2 }): boolean => c.B[0] === expected && c.B[3] === expected && c.B[1] === 0 && c.B[2] === 0;
  const near = all.filter((c) => {
    const p = Math.sqrt(Math.abs(c.B[0] * c.B[3] - c.B[1] * c.B[2]));
    return !isExpected(c) && p > 0.7 * expected && p < 1.45 * expected;
  });
  const addIfNew = (c: { B: Mat2; score: number }, upTo: number): void => {
    if (lattices.length < upTo && !lattices.some((o) => Math.hypot(o.B[0] - c.B[0], o.B[1] - c.B[1], o.B[2] - c.B[2], o.B[3] - c.B[3]) < 0.02 * expected)) lattices.push(c);
  };
  // After the unscaled lattice (tried first by the caller): the 5 best by score, the ladder periods, the best near the
  // expected period, then the square-lattice search. The order changes the speed only: the bound counts all 48.
  for (const c of all.filter((x) => !isExpected(x))) addIfNew(c, 6);
  // An unscaled crop of a larger image carries a ladder period between this image's own and ≈ 2.2× it (a crop keeping
  // 20 % of the area); they are tried as given, axis-aligned (see PERIOD_LADDER).
  const toS1 = S1.width / imgWidth;
  const ownPeriod = (TILE * imgWidth) / aw.w;
  for (const p of ladderPeriods(ownPeriod * 1.01, ownPeriod * 2.2)) addIfNew({ B: [p * toS1, 0, 0, p * toS1], score: 0 }, 11);
  for (const c of near) addIfNew(c, 15);
  // The rest of the list is made only when the first ≤ 15 lattices found no mark (most attacked marked copies are
  // read on the first three): `more()` appends it, the same list in the same order as if made at once.
  const more = (): void => {
    const square = searchSquareLattice(acf, Math.max(17, 0.45 * expected), Math.min(maxLag * 0.9, 2.3 * expected), 10.5, 4);
    for (const B of square) addIfNew({ B, score: 0 }, BASE_CANDIDATES);
    for (const c of all) addIfNew(c, BASE_CANDIDATES);
    // Text lines and character pitch pull one vector of a lattice found near the expected period (the other one is
    // the mark's), and the refinement on a few periods is only good to ≈ 1–1.5% (the fold needs ≈ 0.5%): each near
    // candidate also proposes square lattices, at its first vector's angle, with period |v1|, |v2| or their mean, each
    // at the SCALE_STEPS. All of this depends on the image only (key-independent), so the bound counts it in H.
    for (const c of near) {
      if (lattices.length >= MAX_CANDIDATES) break;
      const l1 = Math.hypot(c.B[0], c.B[2]);
      const l2 = Math.hypot(c.B[1], c.B[3]);
      // A square lattice is the same under 90° turns: its angle mod 90° (in ±45°) makes duplicates visible.
      const q = Math.PI / 2;
      const a = Math.atan2(c.B[2], c.B[0]);
      const th = a - q * Math.round(a / q);
      const m = (l1 + l2) / 2;
      const periods: number[] = [];
      for (const f of SCALE_STEPS) for (const p0 of [m, l1, l2]) periods.push(p0 * f);
      for (const p of periods) {
        const co = p * Math.cos(th);
        const si = p * Math.sin(th);
        const B: Mat2 = [co, -si, si, co];
        if (lattices.length < MAX_CANDIDATES && !lattices.some((o) => Math.hypot(o.B[0] - B[0], o.B[1] - B[1], o.B[2] - B[2], o.B[3] - B[3]) < 0.004 * p)) lattices.push({ B, score: 0 });
      }
    }
  };
  return { lattices, more };
}

/** Detects the mark of `secret` in decoded pixels. */
export function detectPixels(img: Pixels, secret: Uint8Array, opts: { diagnostics?: boolean; trace?: { B: Mat2; t: number }[] } = {}): DetectResult {
  const none: DetectResult = { detected: false, payload: null, confidence: 0, statistic: 0, threshold: THRESHOLD, fpBound: 1, tilePx: null, rotation: null, dihedral: null, offset: null, chipAgreement: null, candidates: 0 };
  const layout = tileLayout(secret);
  const k0 = Math.max(1, Math.floor(Math.sqrt((img.width * img.height) / 600_000)));
  const I0 = lumaBoxWasm(img, k0) ?? lumaBoxExact(img, k0); // WebAssembly when available, the same plane
  if (Math.min(I0.width, I0.height) < 32) return none;
  const levels: Plane[] = [I0];
  while (levels.length < 8) {
    const last = levels[levels.length - 1]!;
    if (Math.min(last.width, last.height) < 64) break;
    levels.push(halve(last));
  }
  const a0 = I0.width * I0.height;
  const A1 = 256 * 256;
  const s1 = a0 > A1 ? Math.sqrt(A1 / a0) : 1;
  const S1 = s1 < 1 ? resize(I0, Math.max(8, Math.round(I0.width * s1)), Math.max(8, Math.round(I0.height * s1))) : I0;
  const aw = workingSize(img.width, img.height);
  const expected = TILE * Math.sqrt((S1.width * S1.height) / (aw.w * aw.h));
  const rx = I0.width / S1.width;
  const ry = I0.height / S1.height;
  const pf = pilotFft(layout);
  let best = null as Best | null;
  let accepted = null as Accepted | null;
  // The tile transforms' work arrays (WebAssembly memory when available; the same numbers as fft2 either way).
  const tf = tileFft();
  const { re: fRe, im: fIm, zRe: re, zIm: im } = tf;
  const pilots = pilotChips(layout);
  const order = new Int32Array(3);
  const f = new Float64Array(TILE * TILE);
  /** Folds the image on lattice B (stage-1 px per tile) and examines its hypotheses; updates `best` / `accepted`. */
  const tryLattice = (LB: Mat2): void => {
    // canonical u → I0 coordinates (pixel-centre offsets do not matter: translation is searched).
    const M0: Mat2 = [(rx * LB[0]) / TILE, (rx * LB[1]) / TILE, (ry * LB[2]) / TILE, (ry * LB[3]) / TILE];
    if (!foldCanonical(levels, M0, f)) return;
    let candBest = -Infinity;
    // One forward FFT of the fold serves all 8 dihedral variants: a variant reads the fold through a signed
    // permutation S of Z²₆₄ (orthogonal, so S⁻ᵀ = S) and its spectrum is the fold's read through the same S.
    // The correlation with the pilot is real, so two variants share one inverse FFT (one in re, one in im).
    fRe.set(f);
    fIm.fill(0);
    tf.forward();
    for (let d = 0; d < 8; d += 2) {
      const m1 = DIHEDRAL_INDEX[d]!;
      const m2 = DIHEDRAL_INDEX[d + 1]!;
      for (let i = 0; i < TILE * TILE; i++) {
        // X = F∘S · conj(P) for each variant; Z = X₁ + i·X₂.
        const br = pf.re[i]!, bi = pf.im[i]!;
        const j1 = m1[i]!, j2 = m2[i]!;
        const ar = fRe[j1]!, ai = fIm[j1]!, cr = fRe[j2]!, ci = fIm[j2]!;
        re[i] = ar * br + ai * bi - (ci * br - cr * bi);
        im[i] = ai * br - ar * bi + (cr * br + ci * bi);
      }
      tf.inverse();
      for (let h = 0; h < 2; h++) {
        const corr = h === 0 ? re : im;
        const dv = d + h;
        const map = DIHEDRAL_INDEX[dv]!;
        // The few largest raw correlations are examined with the normalised chip statistic.
        for (const i of top3(corr, order)) {
          const ox = i % TILE;
          const oy = (i / TILE) | 0;
          const t = pilotStatAt(layout, pilots, f, map, ox, oy);
          if (t > candBest) candBest = t;
          const keep = !best || t > best.t;
          if (!keep && t < DECODE_MIN_PILOT) continue; // neither kept nor decoded: the data chips are not needed
          const a = chipSums(f, map, ox, oy);
          if (keep) best = { t, d: dv, ox, oy, a, B: LB };
          const hit = tryDecode(layout, a, t);
          if (hit && (!accepted || t > accepted.t)) accepted = { ...hit, t, d: dv, ox, oy, a, B: LB };
        }
      }
    }
    // Benchmarks only: every lattice tried (in stage-1 px per tile) with its best pilot statistic.
    opts.trace?.push({ B: LB, t: candBest });
  };
  // The unscaled lattice first, before any synchronisation work: unscaled copies (re-encodings, crops, colour changes)
  // are most leaks. The candidate list below starts with the same lattice, so the hypotheses are unchanged.
  const expectedB: Mat2 = [expected, 0, 0, expected];
  tryLattice(expectedB);
  let lattices: { B: Mat2; score: number }[] = [{ B: expectedB, score: 0 }];
  if (!accepted) {
    const lc = latticeCandidates(S1, img.width, aw, expected);
    lattices = lc.lattices;
    // Stop at the first lattice with a hypothesis that passes a rule (the bound already counts every hypothesis).
    let i = 1;
    for (; i < lattices.length && !accepted; i++) tryLattice(lattices[i]!.B);
    if (!accepted) {
      lc.more();
      for (; i < lattices.length && !accepted; i++) tryLattice(lattices[i]!.B);
    }
  }
  releaseSampling();
  if (accepted) best = accepted;
  if (!best) return { ...none, candidates: lattices.length };
  // Geometry diagnostics: B in stage-1 px per tile; original tile in the same units was 64·(S1 px per working px).
  const l1 = Math.hypot(best.B[0], best.B[2]);
  const l2 = Math.hypot(best.B[1], best.B[3]);
  const rotation = (Math.atan2(best.B[2], best.B[0]) * 180) / Math.PI;
  const base: DetectResult = {
    ...none,
    statistic: best.t,
    candidates: lattices.length,
    confidence: 1 - Math.min(1, HYPOTHESES * Math.exp((-best.t * best.t) / 2)),
    tilePx: ((l1 + l2) / 2) * (img.width / S1.width),
    rotation,
    dihedral: best.d,
    offset: [best.ox, best.oy],
  };
  if (!accepted) {
    if (opts.diagnostics) base.rawBits = decodeSoft(layout, best.a).slice(0, 64);
    return base;
  }
  const { info, payload, td } = accepted;
  if (opts.diagnostics) base.rawBits = info.slice(0, 64);
  // Diagnostic: agreement of data chips with the re-encoded word.
  let agree = 0;
  let n = 0;
  const coded = convEncode(info);
  for (let c = 0; c < CHIPS; c++) {
    const r = layout.role[c]!;
    if (r < 0) continue;
    n++;
    if (layout.sign[c]! * (1 - 2 * coded[r]!) * best.a[c]! > 0) agree++;
  }
  // The evidence is the stronger of the two rules that can apply to this hypothesis.
  const fp = Math.min(best.t >= THRESHOLD ? falsePositiveBound(best.t) : 1, td >= DATA_THRESHOLD ? dataFalsePositiveBound(td) : 1);
  return { ...base, detected: true, payload, fpBound: fp, confidence: 1 - fp, chipAgreement: agree / n, dataStatistic: td };
}

