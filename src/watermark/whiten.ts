/**
 * Whitening for detection: subtract a 5×5 local mean (removes the image's strong low frequencies, which are noise
 * for the detector) and divide by the local RMS (so edges and text do not dominate the correlations), clipped.
 */
import type { Plane } from '../image/planes.js';
import { boxMean } from '../image/resample.js';

/** Whitening constants: `eps` (grey levels) bounds the gain in flat areas; `clip` bounds any one pixel's vote. */
export const WHITEN = { eps: 1.5, clip: 3 };

/**
 * Whitened copy of `p`; pixels not `valid` (and within 3 px of them) are set to 0. `power` 2 (used for the
 * synchronisation autocorrelation) divides by the local variance instead, so strong edges and textures — which can be
 * periodic — hardly count and flat regions, where the mark is cleanest, dominate.
 */
export function whiten(p: Plane, valid?: Uint8Array, power = 1): Float32Array {
  const n = p.width * p.height;
  const m = boxMean(p, 2);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = p.data[i]! - m[i]!;
  const sq = new Float32Array(n);
  for (let i = 0; i < n; i++) sq[i] = d[i]! * d[i]!;
  const e = boxMean({ width: p.width, height: p.height, data: sq }, 4);
  let keep: Float32Array | undefined;
  let allValid = true;
  if (valid) for (let i = 0; i < n && allValid; i++) if (valid[i] === 0) allValid = false;
  if (valid && !allValid) {
    const vf = new Float32Array(n);
    for (let i = 0; i < n; i++) vf[i] = valid[i]!;
    keep = boxMean({ width: p.width, height: p.height, data: vf }, 3);
  }
  for (let i = 0; i < n; i++) {
    if (keep && keep[i]! < 0.999) {
      d[i] = 0;
      continue;
    }
    const den = Math.sqrt(Math.max(0, e[i]!)) + WHITEN.eps;
    let v = d[i]! / (power === 1 ? den : power === 2 ? den * den : den ** power);
    if (v > WHITEN.clip) v = WHITEN.clip;
    else if (v < -WHITEN.clip) v = -WHITEN.clip;
    d[i] = v;
  }
  return d;
}
