/**
 * A fake face engine for fast KYC tests: test images are textured noise whose first pixel's red value names a
 * "scene" (a list of faces with chosen descriptors and landmarks), so the pipeline and API logic run without a model.
 */
import sharp from 'sharp';
import type { DetectedFace } from '../../src/face/engine.js';
import { syntheticLandmarks } from '../../src/face/synthetic-landmarks.js';

/** A face of person `id`; `d` moves its descriptor away from that person's document portrait by that distance. */
export function fakeFace(id: number, opts: { noseX?: number; open?: number; scale?: number; d?: number } = {}): DetectedFace {
  const descriptor = new Float32Array(128);
  descriptor[id] = 1;
  descriptor[127] = opts.d ?? 0;
  const scale = opts.scale ?? 1;
  return { box: { x: 20, y: 20, width: 100 * scale, height: 100 * scale }, score: 0.99, landmarks: syntheticLandmarks({ ...opts, scale }), descriptor, detector: 'fake' };
}

/** A 200×200 textured PNG (quality checks pass) whose first pixel's red value is `code`. */
export async function codedImage(code: number): Promise<Buffer> {
  const w = 200, h = 200;
  const data = Buffer.alloc(w * h * 3);
  let s = code * 7919 + 1;
  for (let i = 0; i < data.length; i++) data[i] = 70 + (((s = (s * 1103515245 + 12345) >>> 0) >>> 16) % 110);
  data[0] = code;
  return sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}
