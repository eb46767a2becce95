/**
 * Pure geometry on the 68 landmarks: eye aspect ratio (eyes open/closed), a yaw proxy (head turned left/right) and
 * face size. Used by the quality checks and by the liveness challenge; no model involved, so unit-testable.
 */
import type { Point } from './engine.js';

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function at(lm: readonly Point[], i: number): Point {
  const p = lm[i];
  if (!p) throw new RangeError(`landmark ${i} missing: expected 68 landmarks, got ${lm.length}`);
  return p;
}

/** Eye aspect ratio of one eye given its six landmarks p1..p6 (Soukupová & Čech 2016): ~0.3 open, < ~0.2 closed. */
export function eyeAspectRatio(lm: readonly Point[], first: number): number {
  const p1 = at(lm, first), p2 = at(lm, first + 1), p3 = at(lm, first + 2), p4 = at(lm, first + 3), p5 = at(lm, first + 4), p6 = at(lm, first + 5);
  const w = dist(p1, p4);
  return w === 0 ? 0 : (dist(p2, p6) + dist(p3, p5)) / (2 * w);
}

/** Mean eye aspect ratio of both eyes (landmarks 36–41 and 42–47). */
export function meanEyeAspectRatio(lm: readonly Point[]): number {
  return (eyeAspectRatio(lm, 36) + eyeAspectRatio(lm, 42)) / 2;
}

/**
 * Yaw proxy in [-1, 1]: where the nose bridge/tip sits between the two jaw ends (0 = frontal). Positive = the nose
 * moves toward the image's right edge, i.e. the person turned to THEIR left in an unmirrored camera image.
 */
export function yawProxy(lm: readonly Point[]): number {
  const left = at(lm, 0), right = at(lm, 16);
  const nose = at(lm, 30), bridge = at(lm, 27);
  const width = right.x - left.x;
  if (width <= 0) return 0;
  const noseX = (nose.x + bridge.x) / 2;
  const r = (noseX - left.x) / width; // 0.5 when frontal
  return Math.max(-1, Math.min(1, (r - 0.5) * 2));
}

/** Inter-ocular distance in pixels (outer eye corners 36 and 45): a scale measure robust to box jitter. */
export function interOcular(lm: readonly Point[]): number {
  return dist(at(lm, 36), at(lm, 45));
}
