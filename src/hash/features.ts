/**
 * Local features for what whole-image hashes miss (heavy crops, screenshots with borders, a card photographed inside a
 * selfie, small rotations): ORB keypoints with 256-bit binary descriptors from OpenCV (`@techstark/opencv-js`, OpenCV
 * compiled to WebAssembly, loaded lazily and offline), matched with a ratio test and verified geometrically by a
 * RANSAC homography. The homography maps candidate (original) pixel coordinates to query (leaked copy) pixel
 * coordinates, so an investigation can align the original onto the leak.
 *
 * Descriptors are 256-bit like PDQ, so the strongest ones of each image go into the same Hamming index for candidate
 * retrieval (see src/match/retrieval.ts); the full feature set is stored per image and serialised with
 * {@link serializeFeatures}.
 */
import { createRequire } from 'node:module';
import { TracemarkError, invalidArgument } from '../core/errors.js';
import type { Raster } from '../image/decode.js';
import { popcount32 } from './hasher.js';
import { nearestTwo } from './simd/hamming.js';

/**
 * Versioned id stored with serialised features; bump when extraction changes. v2: small images are upsampled to the
 * working size, contrast is stretched before detection, and keypoints are spread over a grid (see extractFeatures).
 */
export const FEATURES_ALGO = 'orb-v2';

/** Keypoints (in the source image's pixel coordinates) and their 32-byte ORB descriptors, strongest first. */
export interface Features {
  width: number;
  height: number;
  count: number;
  /** x0, y0, x1, y1, … */
  xy: Float32Array;
  /** count × 32 bytes. */
  desc: Uint8Array;
}

/** Extraction options. */
export interface ExtractOptions {
  /** Keypoints kept (default 600). */
  maxFeatures?: number;
  /** Images are analysed with their long side scaled down to at most this (default 800 px). */
  workSide?: number;
  /**
   * CLAHE clip limit applied before detection (default 0 = off). Phone photos of a screen are low-contrast, blurred
   * and covered in moiré; local contrast equalisation brings their corners back above ORB's FAST threshold.
   */
  clahe?: number;
  /**
   * Largest upsampling factor to reach `workSide` (default 2). Small images (a 400 px photo, a 50 % crop) otherwise
   * lose most of their keypoints to ORB's 31 px border and coarse pyramid levels.
   */
  maxUpscale?: number;
  /**
   * Spread keypoints over a grid of cells about this many working pixels wide (default 100; 0 = strongest anywhere).
   * ORB keeps the strongest corners, which crowd into the most textured part (an ID card's guilloche and MRZ, one
   * corner of a photo); a crop that cuts that part away then keeps few keypoints, and the record-specific regions of a
   * card (portrait, name) get none to tell two cards of one design apart.
   */
  gridCell?: number;
  /** Stretch the grey levels before detection (default true; see stretchContrast). */
  stretch?: boolean;
}

/** Result of matching a query's features against a candidate's. */
export interface FeatureMatch {
  /** Ratio-test matches before geometry. */
  matches: number;
  /** Matches consistent with the RANSAC homography. */
  inliers: number;
  /** Row-major 3×3 homography mapping candidate pixel coords → query pixel coords, or null when none was found. */
  homography: number[] | null;
  /** 0–1 confidence: inliers relative to a strong match (40 inliers ≈ 1). */
  score: number;
}

// Minimal structural types for the part of OpenCV.js used here (the package's own typings pull in another package).
interface CvMat {
  rows: number;
  cols: number;
  data: Uint8Array;
  data32F: Float32Array;
  data64F: Float64Array;
  delete(): void;
}
interface CvKeyPoint {
  pt: { x: number; y: number };
  response: number;
  octave: number;
}
interface CvKeyPointVector {
  size(): number;
  get(i: number): CvKeyPoint;
  push_back(kp: CvKeyPoint): void;
  delete(): void;
}
interface CvOrb {
  detectAndCompute(img: CvMat, mask: CvMat, kps: CvKeyPointVector, desc: CvMat): void;
  detect(img: CvMat, kps: CvKeyPointVector, mask: CvMat): void;
  compute(img: CvMat, kps: CvKeyPointVector, desc: CvMat): void;
  delete(): void;
}
interface Cv {
  Mat: new (rows?: number, cols?: number, type?: number) => CvMat;
  KeyPointVector: new () => CvKeyPointVector;
  ORB: new (nfeatures: number) => CvOrb;
  Size: new (w: number, h: number) => unknown;
  CLAHE: new (clipLimit: number, tileGridSize: unknown) => { apply(src: CvMat, dst: CvMat): void; delete(): void };
  CV_8UC1: number;
  CV_32FC2: number;
  INTER_AREA: number;
  INTER_LINEAR: number;
  RANSAC: number;
  RHO: number;
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): CvMat;
  resize(src: CvMat, dst: CvMat, size: unknown, fx: number, fy: number, interpolation: number): void;
  findHomography(src: CvMat, dst: CvMat, method: number, threshold: number, mask: CvMat): CvMat;
}

let cvPromise: Promise<{ cv: Cv }> | null = null;

/**
 * Loads OpenCV.js once (≈0.4 s, WebAssembly embedded in the package: no network). The Emscripten module object is a
 * thenable that resolves to itself, so it is always passed around wrapped in `{ cv }` — resolving a promise with it
 * directly would loop forever. The runtime installs process-level `uncaughtException`/`unhandledRejection` handlers
 * when it loads; we remove the ones it added so that Tracemark's own error handling stays in charge.
 */
export function loadOpenCv(): Promise<{ cv: Cv }> {
  if (!cvPromise) {
    cvPromise = (async () => {
      const before = { ue: process.listeners('uncaughtException'), ur: process.listeners('unhandledRejection') };
      // createRequire: the package is CommonJS (an Emscripten bundle).
      const require = createRequire(import.meta.url);
      let mod: unknown;
      try {
        mod = require('@techstark/opencv-js');
      } catch (err) {
        throw new TracemarkError('OPENCV_UNAVAILABLE', 'the OpenCV.js package could not be loaded', { kind: 'dependency', hint: 'Run npm ci; the package ships OpenCV as WebAssembly.', cause: err });
      }
      const wrapped = await new Promise<{ cv: Cv }>((resolve) => {
        const m = mod as { Mat?: unknown; onRuntimeInitialized?: () => void };
        if (m.Mat) resolve({ cv: mod as Cv });
        else m.onRuntimeInitialized = () => resolve({ cv: mod as Cv });
      });
      for (const l of process.listeners('uncaughtException')) if (!before.ue.includes(l)) process.off('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection')) if (!before.ur.includes(l)) process.off('unhandledRejection', l);
      return wrapped;
    })();
  }
  return cvPromise;
}

/** Extracts ORB features from decoded pixels (async only because OpenCV loads lazily). */
export async function extractFeatures(r: Raster, opts: ExtractOptions = {}): Promise<Features> {
  const { cv } = await loadOpenCv();
  const maxFeatures = opts.maxFeatures ?? 600;
  const workSide = opts.workSide ?? 800;
  const maxUp = opts.maxUpscale ?? 2;
  const cell = opts.gridCell ?? 100;
  if (r.width < 16 || r.height < 16) return { width: r.width, height: r.height, count: 0, xy: new Float32Array(0), desc: new Uint8Array(0) };
  const { width, height, channels, data } = r;
  const gray = new cv.Mat(height, width, cv.CV_8UC1);
  const g = gray.data;
  for (let i = 0, p = 0; i < width * height; i++, p += channels) g[i] = (77 * data[p]! + 150 * data[p + 1]! + 29 * data[p + 2]! + 128) >> 8;
  const scale = Math.min(maxUp, workSide / Math.max(width, height));
  let work = gray;
  const ww = Math.max(1, Math.round(width * scale));
  const wh = Math.max(1, Math.round(height * scale));
  if (ww !== width || wh !== height) {
    work = new cv.Mat();
    cv.resize(gray, work, new cv.Size(ww, wh), 0, 0, scale < 1 ? cv.INTER_AREA : cv.INTER_LINEAR);
    gray.delete();
  }
  if (opts.stretch ?? true) stretchContrast(work.data);
  if (opts.clahe && opts.clahe > 0) {
    const eq = new cv.Mat();
    const clahe = new cv.CLAHE(opts.clahe, new cv.Size(8, 8));
    try {
      clahe.apply(work, eq);
    } finally {
      clahe.delete();
      work.delete();
    }
    work = eq;
  }
  const gx = cell > 0 ? Math.max(1, Math.round(work.cols / cell)) : 1;
  const gy = cell > 0 ? Math.max(1, Math.round(work.rows / cell)) : 1;
  // Detect a surplus of corners (ORB keeps the strongest by Harris score over its pyramid), then keep the strongest
  // few of every grid cell first and fill up with the strongest of the rest.
  const orb = new cv.ORB(gx * gy > 1 ? maxFeatures * 2 : maxFeatures);
  const all = new cv.KeyPointVector();
  const chosen = new cv.KeyPointVector();
  const desc = new cv.Mat();
  const mask = new cv.Mat();
  try {
    orb.detect(work, all, mask);
    const n0 = all.size();
    const kp: CvKeyPoint[] = [];
    for (let i = 0; i < n0; i++) kp.push(all.get(i));
    const order = selectSpread(kp, work.cols, work.rows, gx, gy, maxFeatures);
    for (const i of order) chosen.push_back(kp[i]!);
    orb.compute(work, chosen, desc);
    const n = Math.min(chosen.size(), desc.rows);
    const xy = new Float32Array(n * 2);
    const d = new Uint8Array(n * 32);
    const sx = width / work.cols;
    const sy = height / work.rows;
    // compute() drops keypoints it cannot describe but keeps the others in order: the output stays strongest-first.
    for (let i = 0; i < n; i++) {
      const k = chosen.get(i);
      xy[2 * i] = (k.pt.x + 0.5) * sx - 0.5;
      xy[2 * i + 1] = (k.pt.y + 0.5) * sy - 0.5;
    }
    d.set(desc.data.subarray(0, n * 32));
    return { width, height, count: n, xy, desc: d };
  } finally {
    orb.delete();
    all.delete();
    chosen.delete();
    desc.delete();
    mask.delete();
    work.delete();
  }
}

/**
 * Linear stretch of the 0.5–99.5 % grey-level range to 0–255, in place, for images whose range is under 128 levels. ORB's FAST threshold is a fixed 20 grey
 * levels (OpenCV.js cannot change it), so a flat, low-contrast image (fog, a blurred object, a faded scan) yields few
 * corners; stretching also makes detection indifferent to brightness/contrast edits of a copy.
 */
const STRETCH_BELOW = 128;

function stretchContrast(px: Uint8Array): void {
  const hist = new Uint32Array(256);
  for (let i = 0; i < px.length; i++) hist[px[i]!]!++;
  const cut = Math.floor(px.length * 0.005);
  let lo = 0;
  for (let acc = 0; lo < 255 && acc + hist[lo]! <= cut; lo++) acc += hist[lo]!;
  let hi = 255;
  for (let acc = 0; hi > 0 && acc + hist[hi]! <= cut; hi--) acc += hist[hi]!;
  // Only genuinely flat images: stretching an ordinary photo's 10–245 range gains nothing, and lifting its smooth
  // areas over FAST's threshold adds weak, generic corners (descriptors that hit many images in the index).
  if (hi - lo < 8 || hi - lo >= STRETCH_BELOW) return;
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(((v - lo) * 255) / (hi - lo))));
  for (let i = 0; i < px.length; i++) px[i] = lut[px[i]!]!;
}

/**
 * Picks up to `max` keypoints. Per pyramid level, the same number ORB itself would keep (its geometric share, so the
 * mix of scales — what makes matching across resizes work — is unchanged), strongest first but at most `cap` × the
 * level's average share from any one grid cell; places left by crowded cells go to the next strongest corners
 * elsewhere. The result is in response order, so the strongest (most repeatable) descriptors are still the ones that
 * go into the retrieval index.
 */
function selectSpread(kp: CvKeyPoint[], w: number, h: number, gx: number, gy: number, max: number, cap = 2): number[] {
  const byResponse = (a: number, b: number): number => kp[b]!.response - kp[a]!.response || a - b;
  const order = kp.map((_, i) => i).sort(byResponse);
  if (gx * gy <= 1) return order.slice(0, max);
  const LEVELS = 8;
  const f = 1 / 1.2;
  const levels: number[][] = Array.from({ length: LEVELS }, () => []);
  for (const i of order) levels[Math.min(LEVELS - 1, Math.max(0, kp[i]!.octave))]!.push(i);
  const out: number[] = [];
  let carry = 0;
  for (let l = 0; l < LEVELS; l++) {
    const quota = Math.round((max * (1 - f) * f ** l) / (1 - f ** LEVELS)) + carry;
    const list = levels[l]!;
    const perCell = Math.max(2, Math.ceil((cap * quota) / (gx * gy)));
    const used = new Uint16Array(gx * gy);
    const skipped: number[] = [];
    let taken = 0;
    for (const i of list) {
      if (taken >= quota) break;
      const k = kp[i]!;
      const c = Math.min(gy - 1, Math.max(0, Math.floor((k.pt.y / h) * gy))) * gx + Math.min(gx - 1, Math.max(0, Math.floor((k.pt.x / w) * gx)));
      if (used[c]! < perCell) {
        used[c]!++;
        out.push(i);
        taken++;
      } else skipped.push(i);
    }
    for (const i of skipped) {
      if (taken >= quota) break;
      out.push(i);
      taken++;
    }
    carry = quota - taken; // a level short of corners hands its share to the next one
  }
  return out.sort(byResponse).slice(0, max);
}

/**
 * Joins feature sets of one image extracted at different scales or contrasts (all in the image's own pixel
 * coordinates): a query analysed several ways matches originals whose keypoints fell at other pyramid levels.
 */
export function concatFeatures(sets: Features[]): Features {
  const first = sets[0];
  if (!first) throw invalidArgument('sets', 'at least one feature set', 0);
  const count = sets.reduce((n, f) => n + f.count, 0);
  const xy = new Float32Array(count * 2);
  const desc = new Uint8Array(count * 32);
  let k = 0;
  for (const f of sets) {
    xy.set(f.xy.subarray(0, f.count * 2), k * 2);
    desc.set(f.desc.subarray(0, f.count * 32), k * 32);
    k += f.count;
  }
  return { width: first.width, height: first.height, count, xy, desc };
}

const MAGIC = 0x31464d54; // 'TMF1'

/** Serialises features for storage: magic, width, height, count (u32 LE), then xy (f32 LE) and descriptors. */
export function serializeFeatures(f: Features): Uint8Array {
  const out = new Uint8Array(16 + f.count * 8 + f.count * 32);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, f.width, true);
  dv.setUint32(8, f.height, true);
  dv.setUint32(12, f.count, true);
  for (let i = 0; i < f.count * 2; i++) dv.setFloat32(16 + i * 4, f.xy[i]!, true);
  out.set(f.desc.subarray(0, f.count * 32), 16 + f.count * 8);
  return out;
}

/** Inverse of {@link serializeFeatures}; rejects bytes that are not a features blob. */
export function deserializeFeatures(bytes: Uint8Array): Features {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16 || dv.getUint32(0, true) !== MAGIC) throw invalidArgument('features', `a ${FEATURES_ALGO} features blob`, `${bytes.length} bytes`);
  const count = dv.getUint32(12, true);
  if (bytes.length !== 16 + count * 40) throw invalidArgument('features', `${16 + count * 40} bytes for ${count} keypoints`, `${bytes.length} bytes`);
  const xy = new Float32Array(count * 2);
  for (let i = 0; i < count * 2; i++) xy[i] = dv.getFloat32(16 + i * 4, true);
  return { width: dv.getUint32(4, true), height: dv.getUint32(8, true), count, xy, desc: bytes.slice(16 + count * 8) };
}

/** Descriptors as little-endian 32-bit words, for popcount matching. */
function descWords(f: Features): Uint32Array {
  const w = new Uint32Array(f.count * 8);
  for (let i = 0; i < f.count * 8; i++) {
    const o = i * 4;
    w[i] = (f.desc[o]! | (f.desc[o + 1]! << 8) | (f.desc[o + 2]! << 16) | (f.desc[o + 3]! << 24)) >>> 0;
  }
  return w;
}

/** Matching options. */
export interface MatchOptions {
  /** Lowe ratio test: best distance < ratio × second best (default 0.8). */
  ratio?: number;
  /** Largest accepted descriptor distance (default 64 of 256 bits). */
  maxDistance?: number;
  /** Query descriptors to ignore (e.g. template features common to many vault images). */
  ignoreQuery?: Uint8Array;
  /**
   * No RANSAC below this many ratio-test matches (default 8, the least a homography is fitted on). A caller that
   * needs N inliers passes N: RANSAC on a wrong candidate runs its full 2,000 iterations, most of retrieval's time.
   */
  minMatches?: number;
}

/**
 * Matches query features against a candidate's: nearest-neighbour with ratio test, then a RANSAC homography
 * (candidate → query). Returns the inlier count and the homography; no homography below 8 matches.
 */
export async function matchFeatures(query: Features, cand: Features, opts: MatchOptions = {}): Promise<FeatureMatch> {
  return fitHomography(putativeMatches(query, cand, opts), query, cand, opts);
}

/** Ratio-test correspondences between two feature sets (candidate points → query points), before RANSAC. */
export interface PutativeMatches {
  /** Candidate x, y pairs. */
  src: number[];
  /** Query x, y pairs. */
  dst: number[];
  /** Number of correspondences: an upper bound on the inliers RANSAC can find. */
  count: number;
}

/**
 * The cheap half of {@link matchFeatures}: nearest neighbours with the ratio test, one query point per candidate
 * point. Its count bounds the inliers, which lets a caller skip RANSAC on candidates that cannot matter.
 */
export function putativeMatches(query: Features, cand: Features, opts: MatchOptions = {}): PutativeMatches {
  if (query.count < 8 || cand.count < 8) return { src: [], dst: [], count: 0 };
  const ratio = opts.ratio ?? 0.8;
  const maxD = opts.maxDistance ?? 64;
  const src: number[] = [];
  const dst: number[] = [];
  const usedCand = new Int32Array(cand.count).fill(-1);
  const pairs: [number, number, number][] = [];
  const near = nearestTwo(query.desc, query.count, cand.desc, cand.count) ?? nearestTwoJs(query, cand);
  for (let i = 0; i < query.count; i++) {
    if (opts.ignoreQuery?.[i]) continue;
    const best = near[3 * i]!;
    const second = near[3 * i + 1]!;
    const bj = near[3 * i + 2]!;
    if (bj >= 0 && best <= maxD && best < ratio * second) pairs.push([i, bj, best]);
  }
  // One query point per candidate point (keep the closest), so a repeated texture cannot stack votes.
  pairs.sort((a, b) => a[2] - b[2]);
  for (const [i, j] of pairs) {
    if (usedCand[j] !== -1) continue;
    usedCand[j] = i;
    src.push(cand.xy[2 * j]!, cand.xy[2 * j + 1]!);
    dst.push(query.xy[2 * i]!, query.xy[2 * i + 1]!);
  }
  return { src, dst, count: src.length / 2 };
}

/**
 * For each query descriptor: the best and second-best Hamming distance over the candidate's descriptors and the best's
 * index, as triples (the JS twin of the WebAssembly kernel in hash/simd/hamming.ts, used where WebAssembly SIMD is not).
 */
export function nearestTwoJs(query: Features, cand: Features): Int32Array {
  const qw = descWords(query);
  const cw = descWords(cand);
  const out = new Int32Array(query.count * 3);
  for (let i = 0; i < query.count; i++) {
    let best = 257;
    let second = 257;
    let bj = -1;
    const qo = i * 8;
    for (let j = 0; j < cand.count; j++) {
      const co = j * 8;
      const d =
        popcount32(qw[qo]! ^ cw[co]!) + popcount32(qw[qo + 1]! ^ cw[co + 1]!) + popcount32(qw[qo + 2]! ^ cw[co + 2]!) + popcount32(qw[qo + 3]! ^ cw[co + 3]!) +
        popcount32(qw[qo + 4]! ^ cw[co + 4]!) + popcount32(qw[qo + 5]! ^ cw[co + 5]!) + popcount32(qw[qo + 6]! ^ cw[co + 6]!) + popcount32(qw[qo + 7]! ^ cw[co + 7]!);
      if (d < best) {
        second = best;
        best = d;
        bj = j;
      } else if (d < second) second = d;
    }
    out[3 * i] = best;
    out[3 * i + 1] = second;
    out[3 * i + 2] = bj;
  }
  return out;
}

/** The expensive half of {@link matchFeatures}: a RANSAC homography over putative matches (none below 8). */
export async function fitHomography(p: PutativeMatches, query: Features, cand: Features, opts: MatchOptions = {}): Promise<FeatureMatch> {
  const none: FeatureMatch = { matches: 0, inliers: 0, homography: null, score: 0 };
  const { src, dst } = p;
  const m = p.count;
  if (m < Math.max(8, opts.minMatches ?? 8)) return { ...none, matches: m };
  const { cv } = await loadOpenCv();
  const s = cv.matFromArray(m, 1, cv.CV_32FC2, src);
  const d = cv.matFromArray(m, 1, cv.CV_32FC2, dst);
  const mask = new cv.Mat();
  let H: CvMat | null = null;
  try {
    const thresh = Math.max(3, 0.006 * Math.max(query.width, query.height));
    // RHO (PROSAC-style sampling, OpenCV's fast robust estimator): on bench:recall --quick it verified 3.4× faster
    // than plain RANSAC (78 vs 268 ms per query) with the same recall and false matches; on a wrong candidate RANSAC
    // ran all its 2,000 iterations, most of retrieval's time.
    H = cv.findHomography(s, d, cv.RHO, thresh, mask);
    if (H.rows !== 3 || H.cols !== 3) return { ...none, matches: m };
    const h = Array.from(H.data64F);
    let inliers = 0;
    for (let i = 0; i < mask.rows; i++) if (mask.data[i]) inliers++;
    if (!plausible(h, cand)) return { ...none, matches: m };
    return { matches: m, inliers, homography: h, score: Math.min(1, inliers / 40) };
  } finally {
    s.delete();
    d.delete();
    mask.delete();
    H?.delete();
  }
}

/**
 * A similarity transform (scale, rotation, shift: 4 degrees of freedom) over putative matches, for candidates with
 * too few correspondences for a homography (8 degrees of freedom fit 8 matches of anything). Copies made by resizing,
 * cropping, rotating and framing are similarities, so a handful of consistent matches is already evidence. Every pair
 * of matches proposes a model (all pairs up to 64 matches, deterministic); the best is refitted by least squares on its
 * inliers. Returned as a homography (candidate → query) with the inlier count.
 */
export function fitSimilarity(p: PutativeMatches, query: Features): FeatureMatch {
  const none: FeatureMatch = { matches: p.count, inliers: 0, homography: null, score: 0 };
  const n = Math.min(p.count, 64);
  if (n < 3) return none;
  const { src, dst } = p;
  const tol = Math.max(3, 0.006 * Math.max(query.width, query.height));
  const inliersOf = (a: number, b: number, tx: number, ty: number, mark?: Uint8Array): number => {
    let c = 0;
    for (let i = 0; i < p.count; i++) {
      const ex = a * src[2 * i]! - b * src[2 * i + 1]! + tx - dst[2 * i]!;
      const ey = b * src[2 * i]! + a * src[2 * i + 1]! + ty - dst[2 * i + 1]!;
      const ok = ex * ex + ey * ey <= tol * tol;
      if (ok) c++;
      if (mark) mark[i] = ok ? 1 : 0;
    }
    return c;
  };
  let best = { n: 0, a: 0, b: 0, tx: 0, ty: 0 };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const sx = src[2 * j]! - src[2 * i]!;
      const sy = src[2 * j + 1]! - src[2 * i + 1]!;
      const len2 = sx * sx + sy * sy;
      if (len2 < 100) continue; // points too close to fix a scale and an angle
      const dx = dst[2 * j]! - dst[2 * i]!;
      const dy = dst[2 * j + 1]! - dst[2 * i + 1]!;
      const a = (sx * dx + sy * dy) / len2;
      const b = (sx * dy - sy * dx) / len2;
      const scale = Math.hypot(a, b);
      if (scale < 0.05 || scale > 20) continue;
      const tx = dst[2 * i]! - (a * src[2 * i]! - b * src[2 * i + 1]!);
      const ty = dst[2 * i + 1]! - (b * src[2 * i]! + a * src[2 * i + 1]!);
      const c = inliersOf(a, b, tx, ty);
      if (c > best.n) best = { n: c, a, b, tx, ty };
    }
  }
  if (best.n < 3) return none;
  // Least squares over the inliers (closed form for a similarity), then recount.
  const mark = new Uint8Array(p.count);
  inliersOf(best.a, best.b, best.tx, best.ty, mark);
  let k = 0;
  let mx = 0;
  let my = 0;
  let ux = 0;
  let uy = 0;
  for (let i = 0; i < p.count; i++) {
    if (!mark[i]) continue;
    k++;
    mx += src[2 * i]!;
    my += src[2 * i + 1]!;
    ux += dst[2 * i]!;
    uy += dst[2 * i + 1]!;
  }
  mx /= k;
  my /= k;
  ux /= k;
  uy /= k;
  let sxx = 0;
  let sab = 0;
  let sba = 0;
  for (let i = 0; i < p.count; i++) {
    if (!mark[i]) continue;
    const x = src[2 * i]! - mx;
    const y = src[2 * i + 1]! - my;
    const u = dst[2 * i]! - ux;
    const v = dst[2 * i + 1]! - uy;
    sxx += x * x + y * y;
    sab += x * u + y * v;
    sba += x * v - y * u;
  }
  let { a, b, tx, ty } = best;
  if (sxx > 0) {
    a = sab / sxx;
    b = sba / sxx;
    tx = ux - (a * mx - b * my);
    ty = uy - (b * mx + a * my);
  }
  const refit = inliersOf(a, b, tx, ty);
  if (refit < best.n) ({ a, b, tx, ty } = best);
  const inliers = Math.max(refit, best.n);
  return { matches: p.count, inliers, homography: [a, -b, tx, b, a, ty, 0, 0, 1], score: Math.min(1, inliers / 40) };
}

/** Rejects degenerate homographies: the candidate's corners must map to a convex, non-mirrored, sane-sized quad. */
function plausible(h: number[], cand: Features): boolean {
  const pts: [number, number][] = [
    [0, 0],
    [cand.width, 0],
    [cand.width, cand.height],
    [0, cand.height],
  ];
  const q = pts.map(([x, y]) => {
    const w = h[6]! * x + h[7]! * y + h[8]!;
    return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w, w] as const;
  });
  if (q.some((p) => !(p[2] > 0) || !Number.isFinite(p[0]) || !Number.isFinite(p[1]))) return false;
  let sign = 0;
  let area = 0;
  for (let i = 0; i < 4; i++) {
    const a = q[i]!;
    const b = q[(i + 1) % 4]!;
    const c = q[(i + 2) % 4]!;
    const cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
    if (cross === 0 || (sign !== 0 && Math.sign(cross) !== sign)) return false;
    sign = Math.sign(cross);
    area += a[0] * b[1] - b[0] * a[1];
  }
  if (sign < 0) return false; // mirrored: mirrors are found by the PDQ dihedral hashes or by matching a flipped query
  const ratio = Math.abs(area / 2) / (cand.width * cand.height);
  return ratio > 1 / 400 && ratio < 400;
}
