/**
 * Threshold calibration from labelled pairs: ROC over Euclidean distances, equal error rate, and the rates at a
 * given threshold. Pure functions, used by the calibration script (bench/kyc-calibrate.ts) and the face-set test.
 */
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';

/** False-match and false-non-match rates at one threshold (a pair matches when distance ≤ threshold). */
export interface RatePoint {
  threshold: number;
  /** Different-person pairs accepted / all different-person pairs. */
  fmr: number;
  /** Same-person pairs refused / all same-person pairs. */
  fnmr: number;
}

/** Rates at one threshold. */
export function ratesAt(genuine: readonly number[], impostor: readonly number[], threshold: number): RatePoint {
  let fn = 0;
  for (const d of genuine) if (d > threshold) fn++;
  let fm = 0;
  for (const d of impostor) if (d <= threshold) fm++;
  return { threshold, fmr: impostor.length ? fm / impostor.length : 0, fnmr: genuine.length ? fn / genuine.length : 0 };
}

/** ROC sampled at every `step` of distance from 0 to `max`. */
export function roc(genuine: readonly number[], impostor: readonly number[], step = 0.01, max = 1.2): RatePoint[] {
  const out: RatePoint[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) out.push(ratesAt(genuine, impostor, Math.round(t * 1000) / 1000));
  return out;
}

/** Equal error rate: the ROC point where FMR and FNMR are closest (their mean is reported). */
export function equalErrorRate(points: readonly RatePoint[]): { threshold: number; eer: number } {
  let best: RatePoint | undefined;
  for (const p of points) if (!best || Math.abs(p.fmr - p.fnmr) < Math.abs(best.fmr - best.fnmr)) best = p;
  if (!best) return { threshold: NaN, eer: NaN };
  return { threshold: best.threshold, eer: (best.fmr + best.fnmr) / 2 };
}

/** A labelled image of the face set. */
export interface LabelledImage {
  path: string;
  /** Identity label: the folder under identities/, or `single:<file>` for singles. */
  label: string;
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/**
 * Lists the labelled images of a face set laid out like /work/shared/faces (identities/<name>/*, singles/*).
 * `no-face-*` images are left out (they are for the NO_FACE check). Returns [] when the folder does not exist.
 */
export function listFaceSet(root: string): LabelledImage[] {
  const out: LabelledImage[] = [];
  const ids = join(root, 'identities');
  if (existsSync(ids)) {
    for (const name of readdirSync(ids).sort()) {
      const dir = join(ids, name);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir).sort()) if (IMAGE_EXT.has(extname(f).toLowerCase())) out.push({ path: join(dir, f), label: name });
    }
  }
  const singles = join(root, 'singles');
  if (existsSync(singles)) {
    for (const f of readdirSync(singles).sort()) {
      if (!IMAGE_EXT.has(extname(f).toLowerCase()) || f.startsWith('no-face')) continue;
      out.push({ path: join(singles, f), label: `single:${f}` });
    }
  }
  return out;
}

/** Splits all pairs of descriptors into same-person (genuine) and different-person (impostor) distances. */
export function pairDistances(items: ReadonlyArray<{ label: string; descriptor: Float32Array }>, distance: (a: Float32Array, b: Float32Array) => number): { genuine: number[]; impostor: number[] } {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i] as { label: string; descriptor: Float32Array };
      const b = items[j] as { label: string; descriptor: Float32Array };
      (a.label === b.label ? genuine : impostor).push(distance(a.descriptor, b.descriptor));
    }
  }
  return { genuine, impostor };
}
