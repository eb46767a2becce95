/**
 * 1:1 face match with the calibrated thresholds: a distance, a yes/no at the match threshold, and a three-way
 * verdict (same / review / different) that keeps borderline scores for a human.
 */
import { descriptorDistance } from './engine.js';
import { FACE_MATCH_THRESHOLDS } from './thresholds.js';

/** Three-way outcome of a face comparison. */
export type MatchVerdict = 'same' | 'review' | 'different';

/** Result of comparing two descriptors. */
export interface FaceMatch {
  /** Euclidean distance (lower = more similar). */
  distance: number;
  match: boolean;
  verdict: MatchVerdict;
}

/** Compares two descriptors against the shipped thresholds (or the given ones, for tests and re-calibration). */
export function compareFaces(a: Float32Array, b: Float32Array, t: { accept: number; match: number; reviewUpper: number } = FACE_MATCH_THRESHOLDS): FaceMatch {
  const distance = descriptorDistance(a, b);
  const verdict: MatchVerdict = distance <= t.accept ? 'same' : distance <= t.reviewUpper ? 'review' : 'different';
  return { distance: Math.round(distance * 10000) / 10000, match: distance <= t.match, verdict };
}
