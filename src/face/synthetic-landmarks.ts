/**
 * A synthetic 68-point landmark set with controllable head turn, eye openness, scale and position. Code for tests
 * and demos of the geometry and liveness logic, which must be checkable without a face model.
 */
import type { Point } from './engine.js';

/** Builds a synthetic face: jaw from x=0 to 100, nose at `noseX`, eyes `open` (0 closed … 1 open). */
export function syntheticLandmarks(opts: { noseX?: number; open?: number; scale?: number; dx?: number } = {}): Point[] {
  const s = opts.scale ?? 1;
  const dx = opts.dx ?? 0;
  const open = opts.open ?? 1;
  const lm: Point[] = Array.from({ length: 68 }, () => ({ x: 50, y: 60 }));
  for (let i = 0; i <= 16; i++) lm[i] = { x: (i / 16) * 100, y: 50 + 40 * Math.sin((i / 16) * Math.PI) };
  for (let i = 27; i <= 35; i++) lm[i] = { x: opts.noseX ?? 50, y: 30 + (i - 27) * 3 };
  const eye = (first: number, cx: number) => {
    const h = 6 * open;
    const pts: Point[] = [
      { x: cx - 10, y: 30 },
      { x: cx - 4, y: 30 - h / 2 },
      { x: cx + 4, y: 30 - h / 2 },
      { x: cx + 10, y: 30 },
      { x: cx + 4, y: 30 + h / 2 },
      { x: cx - 4, y: 30 + h / 2 },
    ];
    pts.forEach((p, k) => (lm[first + k] = p));
  };
  eye(36, 30);
  eye(42, 70);
  return lm.map((p) => ({ x: p.x * s + dx, y: p.y * s }));
}

