/**
 * Face engine on the real labelled face set (../shared/faces): same-person pairs match and different-person pairs do
 * not at the shipped thresholds (rates printed), and the quality checks fire on no-face, group, blurred, dark and
 * over-exposed images. Skips plainly when the face set is absent (fresh clone without ../shared).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, type Raster } from '../src/image/decode.js';
import { faceApiEngine } from '../src/face/faceapi-engine.js';
import { descriptorDistance } from '../src/face/engine.js';
import { checkQuality } from '../src/face/quality.js';
import { listFaceSet, pairDistances, ratesAt } from '../src/face/calibration.js';
import { FACE_MATCH_THRESHOLDS } from '../src/face/thresholds.js';

const FACES = join(process.cwd(), '..', 'shared', 'faces');
const present = existsSync(join(FACES, 'identities'));
const skip = !present && 'face set ../shared/faces is absent';
const limits = { maxPixels: 50e6 };

async function load(path: string): Promise<Raster> {
  return decodeImage(await readFile(path), path, limits);
}

test('face set: same-person pairs match, different-person pairs do not, at the shipped thresholds', { skip, timeout: 120_000 }, async () => {
  const engine = faceApiEngine();
  const items: Array<{ label: string; descriptor: Float32Array }> = [];
  for (const img of listFaceSet(FACES)) {
    const face = (await engine.detect(await load(img.path), { purpose: 'selfie' }))[0];
    if (face) items.push({ label: img.label, descriptor: face.descriptor });
  }
  const { genuine, impostor } = pairDistances(items, descriptorDistance);
  const T = FACE_MATCH_THRESHOLDS;
  const acc = ratesAt(genuine, impostor, T.accept);
  const mat = ratesAt(genuine, impostor, T.match);
  const rev = ratesAt(genuine, impostor, T.reviewUpper);
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  console.log(`# ${items.length} faces, ${genuine.length} same-person / ${impostor.length} different-person pairs`);
  console.log(`# accept ≤ ${T.accept}: FMR ${pct(acc.fmr)} FNMR ${pct(acc.fnmr)}; match ≤ ${T.match}: FMR ${pct(mat.fmr)} FNMR ${pct(mat.fnmr)}; review ≤ ${T.reviewUpper}: FMR ${pct(rev.fmr)} FNMR ${pct(rev.fnmr)}`);
  assert.ok(items.length >= 60, `faces found in ${items.length} images`);
  assert.equal(acc.fmr, 0, 'no different-person pair is auto-accepted');
  assert.ok(mat.fmr <= 0.01, `FMR at match threshold ${pct(mat.fmr)}`);
  assert.ok(mat.fnmr <= 0.15, `FNMR at match threshold ${pct(mat.fnmr)}`);
  assert.ok(rev.fnmr <= 0.03, `same-person pairs rejected outright ${pct(rev.fnmr)}`);
});

test('quality: no face, several faces, blurred, dark and over-exposed images get their reason codes', { skip, timeout: 60_000 }, async () => {
  const engine = faceApiEngine();
  const codes = async (r: Raster) => (await checkQuality(r, await engine.detect(r, { purpose: 'selfie' }), 'selfie')).issues.map((i) => i.code);
  assert.deepEqual(await codes(await load(join(FACES, 'singles', 'no-face-white.png'))), ['NO_FACE']);
  assert.ok((await codes(await load(join(FACES, 'groups', 'group-1.jpg')))).includes('MULTIPLE_FACES'));
  const src = join(FACES, 'identities', 'person_a', '3.jpg');
  assert.deepEqual(await codes(await load(src)), [], 'a good photo passes every check');
  const variant = async (f: (s: Sharp) => Sharp) => codes(await decodeImage(await f(sharp(src)).jpeg().toBuffer(), 'variant', limits));
  assert.ok((await variant((s) => s.blur(8))).includes('TOO_BLURRY'));
  assert.ok((await variant((s) => s.linear(0.2, 0))).includes('TOO_DARK'));
  assert.ok((await variant((s) => s.linear(2.5, 60))).includes('OVEREXPOSED'));
  const small = await variant((s) => s.resize(100));
  assert.ok(small.includes('FACE_TOO_SMALL') || small.includes('NO_FACE'), small.join(','));
});
