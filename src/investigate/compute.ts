/**
 * The pixel work of one leaked file that needs no storage: verification of candidates and the comparison (alignment
 * refinement + alteration detection) against the chosen original. Pure functions, run either on this thread or on
 * the investigation's compute worker (see compute-pool.ts), so the main thread can retrieve the next file meanwhile.
 */
import { apply3, type Mat3 } from '../image/homography.js';
import type { Pixels } from '../image/planes.js';
import { detectAlteration, type AlterationResult, type Homography } from './alteration.js';
import { verifyCandidates, type VerifyCandidate, type VerifyScore } from './verify.js';

/** A candidate as sent to the compute thread (pixels + alignment; no records). */
export type ComputeCandidate = Pick<VerifyCandidate, 'imageId' | 'kind' | 'group' | 'original' | 'homography' | 'reference' | 'originalKey'>;

/**
 * The homography to compare pixels under. Feature homographies are fitted where keypoints are dense (for a selfie,
 * mostly on the card), so far from there they can drift by pixels — enough to flag the background as edited. Most
 * leaks of a whole image are a scale and an offset (screenshots, resizes, crops): the axis-aligned fit to where the
 * feature homography puts the original's corners is tried too, and whichever agrees with more blocks is used.
 */
export function refineForComparison(leaked: Pixels, v: ComputeCandidate, leakedKey?: string): Mat3 {
  const H = v.homography;
  const [x0, y0] = apply3(H, 0, 0);
  const [x1, y1] = apply3(H, v.original.width, v.original.height);
  const [x2, y2] = apply3(H, v.original.width, 0);
  const [x3, y3] = apply3(H, 0, v.original.height);
  const left = (x0 + x3) / 2, right = (x1 + x2) / 2, top = (y0 + y2) / 2, bottom = (y1 + y3) / 2;
  if (!(right > left && bottom > top)) return H;
  const sx = (right - left) / v.original.width, sy = (bottom - top) / v.original.height;
  if (Math.abs(sx / sy - 1) > 0.05) return H; // not a uniform scale: keep the projective fit
  const rect: Mat3 = [sx, 0, left, 0, sy, top, 0, 0, 1];
  // Already axis-aligned (a hash hit's rescale): the two fits are the same matrix and would score the same.
  if (rect.every((x, i) => x === H[i])) return H;
  const [a, b] = verifyCandidates(leaked, [{ ...v, homography: H, reference: false }, { ...v, imageId: `${v.imageId}#rect`, homography: rect, reference: false }], leakedKey === undefined ? {} : { leakedKey });
  return b && a && b.agreement > a.agreement ? rect : H;
}

/** Refines the alignment of the chosen original and detects alterations under it. */
export function compareWithOriginal(leaked: Pixels, v: ComputeCandidate, leakedKey?: string): AlterationResult {
  const H = refineForComparison(leaked, v, leakedKey);
  return detectAlteration(v.original, leaked, H as unknown as Homography);
}

/**
 * Jobs the compute thread runs. `leakedKey` (and each candidate's `originalKey`) are content keys of the pixels
 * (image/pixel-key.ts): the thread reuses warps and block correlations of earlier jobs about the same pixels.
 */
export type ComputeJob =
  | { op: 'verify'; leaked: Pixels; leakedKey?: string; cands: ComputeCandidate[]; minAgreement?: number }
  | { op: 'compare'; leaked: Pixels; leakedKey?: string; cand: ComputeCandidate };

/** Runs one job on the current thread. */
export function runComputeJob(job: ComputeJob): VerifyScore[] | AlterationResult {
  if (job.op === 'compare') return compareWithOriginal(job.leaked, job.cand, job.leakedKey);
  return verifyCandidates(job.leaked, job.cands, { ...(job.minAgreement === undefined ? {} : { minAgreement: job.minAgreement }), ...(job.leakedKey === undefined ? {} : { leakedKey: job.leakedKey }) });
}
