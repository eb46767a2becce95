/**
 * Capture-quality checks on a face image, each with a stable reason code so the client can tell the user what to
 * fix (retake in better light, hold still, face the camera…). Metrics are measured on the face region resampled to
 * a fixed size, so thresholds do not depend on the camera's resolution.
 */
import sharp from 'sharp';
import type { Raster } from '../image/decode.js';
import type { DetectedFace, FacePurpose } from './engine.js';
import { interOcular, meanEyeAspectRatio, yawProxy } from './geometry.js';

/** Machine-readable quality problems. */
export type QualityCode =
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'FACE_TOO_SMALL'
  | 'TOO_BLURRY'
  | 'TOO_DARK'
  | 'OVEREXPOSED'
  | 'EYES_CLOSED'
  | 'FACE_TURNED';

/** One failed check: stable code plus a sentence for people. */
export interface QualityIssue {
  code: QualityCode;
  message: string;
}

/** What was measured (for review screens and threshold tuning). */
export interface QualityMetrics {
  faces: number;
  faceWidthPx: number | null;
  /** Variance of the Laplacian of the face region at 128×128 grey; low = blurred. */
  sharpness: number | null;
  /** Mean luma 0–255 of the face region. */
  brightness: number | null;
  /** Fraction of face pixels at ≥ 250 (blown highlights). */
  clipped: number | null;
  eyeAspectRatio: number | null;
  /** Yaw proxy in [-1, 1]; 0 = frontal. */
  yaw: number | null;
}

/** Outcome of {@link checkQuality}: the main face (largest) if any, the problems and the metrics. */
export interface QualityReport {
  ok: boolean;
  face: DetectedFace | null;
  issues: QualityIssue[];
  metrics: QualityMetrics;
}

/**
 * Thresholds. Measured on /work/shared/faces (150 px crops and 0.3–2 MP photos) and on the same images blurred,
 * darkened and over-exposed with sharp (see src/face/quality.test.ts):
 * sharp originals had sharpness ≥ 60, a Gaussian blur of σ = 2.5 px at 128 px face size gave < 25.
 */
export const QUALITY_THRESHOLDS = {
  /** Faces narrower than this (px in the submitted image) give unreliable descriptors. */
  minFaceWidthPx: 60,
  /** A second face counts only when its detector score and size are at least these (ignores the small ghost
   *  portrait printed on many ID cards and detector noise). */
  otherFaceMinScore: 0.5,
  otherFaceMinRelativeWidth: 0.5,
  minSharpness: 30,
  minBrightness: 50,
  maxBrightness: 215,
  maxClipped: 0.25,
  /** Eye aspect ratio below this = eyes closed (open eyes measure ~0.25–0.35 with these landmarks). */
  minEyeAspectRatio: 0.17,
  /** |yaw| above this = face turned away (frontal faces measure |yaw| < 0.2). */
  maxAbsYaw: 0.4,
} as const;

const SIDE = 128;

/** Luma statistics and Laplacian variance of the face region, resampled to SIDE×SIDE grey. */
export async function faceRegionStats(raster: Raster, face: DetectedFace): Promise<{ sharpness: number; brightness: number; clipped: number }> {
  const left = Math.max(0, Math.floor(face.box.x));
  const top = Math.max(0, Math.floor(face.box.y));
  const width = Math.max(1, Math.min(raster.width - left, Math.ceil(face.box.width)));
  const height = Math.max(1, Math.min(raster.height - top, Math.ceil(face.box.height)));
  const grey = await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } })
    .extract({ left, top, width, height })
    .greyscale()
    .resize(SIDE, SIDE, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  const n = SIDE * SIDE;
  let sum = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const v = grey[i] as number;
    sum += v;
    if (v >= 250) clipped++;
  }
  // Variance of the 4-neighbour Laplacian over the interior.
  let ls = 0;
  let ls2 = 0;
  let m = 0;
  for (let y = 1; y < SIDE - 1; y++) {
    const row = y * SIDE;
    for (let x = 1; x < SIDE - 1; x++) {
      const i = row + x;
      const l = (grey[i - 1] as number) + (grey[i + 1] as number) + (grey[i - SIDE] as number) + (grey[i + SIDE] as number) - 4 * (grey[i] as number);
      ls += l;
      ls2 += l * l;
      m++;
    }
  }
  const mean = ls / m;
  return { sharpness: ls2 / m - mean * mean, brightness: sum / n, clipped: clipped / n };
}

/** Faces that count as "another person" next to the main (first, largest) face. */
export function significantOtherFaces(faces: readonly DetectedFace[]): number {
  const main = faces[0];
  if (!main) return 0;
  let n = 0;
  for (let i = 1; i < faces.length; i++) {
    const f = faces[i] as DetectedFace;
    if (f.score >= QUALITY_THRESHOLDS.otherFaceMinScore && f.box.width >= QUALITY_THRESHOLDS.otherFaceMinRelativeWidth * main.box.width) n++;
  }
  return n;
}

/**
 * Runs every quality check on an image and its detected faces. For documents the eye/turn checks are skipped:
 * printed portraits are frontal by regulation and the small print makes the eye ratio noisy.
 */
export async function checkQuality(raster: Raster, faces: readonly DetectedFace[], purpose: FacePurpose): Promise<QualityReport> {
  const T = QUALITY_THRESHOLDS;
  const metrics: QualityMetrics = { faces: faces.length, faceWidthPx: null, sharpness: null, brightness: null, clipped: null, eyeAspectRatio: null, yaw: null };
  const issues: QualityIssue[] = [];
  const face = faces[0] ?? null;
  const what = purpose === 'document' ? 'document portrait' : 'selfie';
  if (!face) {
    issues.push({ code: 'NO_FACE', message: `No face was found in the ${what}.` });
    return { ok: false, face: null, issues, metrics };
  }
  if (significantOtherFaces(faces) > 0) {
    issues.push({ code: 'MULTIPLE_FACES', message: `The ${what} shows more than one face; only the person being verified may be visible.` });
  }
  metrics.faceWidthPx = Math.round(face.box.width);
  if (face.box.width < T.minFaceWidthPx) {
    issues.push({ code: 'FACE_TOO_SMALL', message: `The face in the ${what} is ${Math.round(face.box.width)} px wide; at least ${T.minFaceWidthPx} px is needed. Move closer or use a higher resolution.` });
  }
  const stats = await faceRegionStats(raster, face);
  metrics.sharpness = round(stats.sharpness);
  metrics.brightness = round(stats.brightness);
  metrics.clipped = round(stats.clipped);
  if (stats.sharpness < T.minSharpness) issues.push({ code: 'TOO_BLURRY', message: `The ${what} is too blurred (sharpness ${round(stats.sharpness)} < ${T.minSharpness}). Hold the camera still and focus.` });
  if (stats.brightness < T.minBrightness) issues.push({ code: 'TOO_DARK', message: `The face in the ${what} is too dark. Use more light.` });
  else if (stats.brightness > T.maxBrightness || stats.clipped > T.maxClipped) issues.push({ code: 'OVEREXPOSED', message: `The face in the ${what} is over-exposed. Avoid direct light or flash glare.` });
  if (face.landmarks.length >= 68 && interOcular(face.landmarks) > 0) {
    metrics.eyeAspectRatio = round(meanEyeAspectRatio(face.landmarks));
    metrics.yaw = round(yawProxy(face.landmarks));
    if (purpose === 'selfie') {
      if (metrics.eyeAspectRatio < T.minEyeAspectRatio) issues.push({ code: 'EYES_CLOSED', message: 'The eyes look closed in the selfie. Keep your eyes open.' });
      if (Math.abs(metrics.yaw) > T.maxAbsYaw) issues.push({ code: 'FACE_TURNED', message: 'The face is turned away in the selfie. Look straight into the camera.' });
    }
  }
  return { ok: issues.length === 0, face, issues, metrics };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
