/**
 * Plane projective geometry shared by matching, alignment and alteration detection: 3×3 homographies (row-major,
 * mapping source pixel centres to destination pixel centres) and warping a float plane into another frame.
 */
import type { Plane } from './planes.js';
import { resize, sampleBilinear } from './resample.js';

/** Row-major 3×3 matrix. */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

/** a·b (apply b first, then a). */
export function mul3(a: Mat3, b: Mat3): Mat3 {
  const r: number[] = new Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  return r as unknown as Mat3;
}

/** Inverse of a 3×3 matrix (throws on a singular one). */
export function inv3(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('singular homography');
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

/** Scaling matrix. */
export function scale3(sx: number, sy: number): Mat3 {
  return [sx, 0, 0, 0, sy, 0, 0, 0, 1];
}

/** Maps a point. */
export function apply3(m: Mat3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

/** Axis-aligned box of a source rectangle mapped through `m`, clipped to the destination size. */
export function mapRect(m: Mat3, w: number, h: number, dw: number, dh: number): [number, number, number, number] {
  const pts = [apply3(m, 0, 0), apply3(m, w, 0), apply3(m, 0, h), apply3(m, w, h)];
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  return [Math.max(0, Math.floor(Math.min(...xs))), Math.max(0, Math.floor(Math.min(...ys))), Math.min(dw, Math.ceil(Math.max(...xs))), Math.min(dh, Math.ceil(Math.max(...ys)))];
}

/**
 * Warps `src` into a `w`×`h` frame under `m` (source → destination). The source is first shrunk (halving pyramid)
 * to about the destination's sampling density so that a large original warped onto a small copy does not alias.
 * `valid` marks destination pixels that fall inside the source.
 */
export function warpPlane(src: Plane, m: Mat3, w: number, h: number): { plane: Plane; valid: Uint8Array } {
  // Area scale of the mapping at the centre of the destination, to pick the pre-shrink factor.
  const inv = inv3(m);
  const [cx, cy] = apply3(inv, w / 2, h / 2);
  const [ax, ay] = apply3(m, cx, cy);
  const [bx, by] = apply3(m, cx + 1, cy);
  const [dx, dy] = apply3(m, cx, cy + 1);
  const det = Math.abs((bx - ax) * (dy - ay) - (by - ay) * (dx - ax));
  const shrink = det > 0 ? Math.max(1, 1 / Math.sqrt(det)) : 1;
  let s = src;
  let pre: Mat3 = inv;
  if (shrink >= 1.5) {
    const nw = Math.max(2, Math.round(src.width / shrink));
    const nh = Math.max(2, Math.round(src.height / shrink));
    s = resize(src, nw, nh);
    pre = mul3(scale3(nw / src.width, nh / src.height), inv);
  }
  const out = new Float32Array(w * h);
  const valid = new Uint8Array(w * h);
  const [p0, p1, p2, p3, p4, p5, p6, p7, p8] = pre;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const q = p6 * x + p7 * y + p8;
      const sx = (p0 * x + p1 * y + p2) / q;
      const sy = (p3 * x + p4 * y + p5) / q;
      if (sx < -0.5 || sy < -0.5 || sx > s.width - 0.5 || sy > s.height - 0.5) continue;
      const i = y * w + x;
      out[i] = sampleBilinear(s, sx, sy);
      valid[i] = 1;
    }
  }
  return { plane: { width: w, height: h, data: out }, valid };
}
