/**
 * The face engine interface: everything the KYC pipeline needs from a face model (detection, 68 landmarks and a
 * 128-number descriptor per face), independent of the library behind it. Implementations: `faceapi-engine.ts`.
 */
import type { Raster } from '../image/decode.js';

/** A point in raster pixel coordinates. */
export interface Point {
  x: number;
  y: number;
}

/** Axis-aligned face box in raster pixel coordinates. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One detected face. */
export interface DetectedFace {
  box: FaceBox;
  /** Detector confidence 0–1. */
  score: number;
  /** The 68 iBUG-300W landmarks (jaw 0–16, brows 17–26, nose 27–35, eyes 36–47, mouth 48–67). */
  landmarks: Point[];
  /** 128-number embedding; Euclidean distance between two descriptors measures dissimilarity. */
  descriptor: Float32Array;
  /** Which detector found it (the engine may fall back from one detector to another). */
  detector: string;
}

/**
 * What the image is: a document portrait (small face on a card, slower accurate detector) or a selfie / liveness
 * frame (large face, faster detector).
 */
export type FacePurpose = 'document' | 'selfie';

/** Detection options. */
export interface DetectOptions {
  purpose: FacePurpose;
}

/** A face model behind one narrow interface, so the pipeline and its tests do not depend on TensorFlow. */
export interface FaceEngine {
  /** Stable, versioned plug-in id stored with every result (bump when descriptors change meaning). */
  readonly id: string;
  /** Versions of the model files and runtime, stored with every decision. */
  readonly modelVersion: string;
  /** Finds all faces in an RGB(A) raster, largest/most confident first. */
  detect(raster: Raster, opts: DetectOptions): Promise<DetectedFace[]>;
}

/** Euclidean distance between two descriptors (the metric the thresholds in `thresholds.ts` are calibrated for). */
export function descriptorDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`descriptor lengths differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return Math.sqrt(s);
}
