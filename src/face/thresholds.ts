/**
 * Shipped face-match thresholds: Euclidean distance between face-api descriptors (lower = more similar).
 *
 * Calibrated with `npm run calibrate:faces` on ../shared/faces (69 images with a face found: 131 same-person and
 * 2080 different-person pairs; face-api 1.7.15, tfjs 4.22.0 WASM, selfie detector), 2026-11-25:
 *   EER 0.89 % at distance 0.61.
 *   distance ≤ 0.50 (auto-accept):  FMR 0.00 %  FNMR 33.6 %  (those same-person pairs go to review, not reject)
 *   distance ≤ 0.57 (match):        FMR 0.38 %  FNMR  8.4 %
 *   distance ≤ 0.62 (review upper): FMR 1.73 %  FNMR  0.8 %  (beyond this: no match, rejected)
 *   (same-person max 0.626, median 0.465; different-person min 0.502, median 0.825)
 * The set is small (10 multi-photo identities): these rates rank options; they are not a general accuracy claim.
 * Borderline scores (between accept and reviewUpper) go to a human, by design, rather than being guessed.
 */
export const FACE_MATCH_THRESHOLDS = {
  /** At or below: the same person, approved without review (0 false matches in calibration). */
  accept: 0.5,
  /** The single yes/no threshold reported as `face.match` (distance ≤ this). */
  match: 0.57,
  /** Above: a different person (rejected). Between accept and this: human review. */
  reviewUpper: 0.62,
} as const;

/** Version string stored with every decision so old decisions can be explained after a re-calibration. */
export const FACE_THRESHOLDS_VERSION = 'faceapi-resnet34-v1/cal-2026-11-25';
