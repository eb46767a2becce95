/**
 * Face-match calibration on the labelled face set (default ../shared/faces, or the folder given as argument):
 * computes a descriptor per image, all same-person and different-person pairs, the ROC and EER, and the FMR/FNMR
 * at the shipped thresholds. Run: `npm run calibrate:faces [-- DIR]`.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeImage } from '../src/image/decode.js';
import { faceApiEngine } from '../src/face/faceapi-engine.js';
import { descriptorDistance, type FacePurpose } from '../src/face/engine.js';
import { checkQuality } from '../src/face/quality.js';
import { equalErrorRate, listFaceSet, pairDistances, ratesAt, roc } from '../src/face/calibration.js';
import { FACE_MATCH_THRESHOLDS } from '../src/face/thresholds.js';

const root = resolve(process.argv[2] ?? '../shared/faces');
if (!existsSync(root)) {
  console.error(`face set not found at ${root}; pass its folder as argument`);
  process.exit(2);
}
const engine = faceApiEngine();
const images = listFaceSet(root);
const purposes: FacePurpose[] = (process.env.PURPOSES ?? 'selfie').split(',') as FacePurpose[];
for (const purpose of purposes) {
  const items: Array<{ label: string; descriptor: Float32Array }> = [];
  let missed = 0;
  const t0 = performance.now();
  const metrics: string[] = [];
  for (const img of images) {
    const raster = await decodeImage(await readFile(img.path), img.path, { maxPixels: 50e6 });
    const faces = await engine.detect(raster, { purpose });
    const face = faces[0];
    if (!face) {
      missed++;
      continue;
    }
    if (process.env.QUALITY) {
      const q = await checkQuality(raster, faces, 'selfie');
      metrics.push(`${img.path.slice(root.length + 1)} ${JSON.stringify(q.metrics)} ${q.issues.map((i) => i.code).join(',')}`);
    }
    items.push({ label: img.label, descriptor: face.descriptor });
  }
  const ms = (performance.now() - t0) / images.length;
  if (metrics.length) console.log(metrics.join('\n'));
  const { genuine, impostor } = pairDistances(items, descriptorDistance);
  const points = roc(genuine, impostor);
  const eer = equalErrorRate(points);
  console.log(`\n== purpose=${purpose} (${engine.modelVersion}) ==`);
  console.log(`images ${images.length}, no face found ${missed}, ${ms.toFixed(0)} ms/image; pairs: ${genuine.length} same-person, ${impostor.length} different-person`);
  console.log(`EER ${(eer.eer * 100).toFixed(2)} % at distance ${eer.threshold}`);
  console.log('threshold   FMR      FNMR');
  for (const p of points) if (p.threshold >= 0.35 && p.threshold <= 0.75 && Math.round(p.threshold * 100) % 5 === 0) console.log(`${p.threshold.toFixed(2)}      ${(p.fmr * 100).toFixed(2)}%   ${(p.fnmr * 100).toFixed(2)}%`);
  const T = FACE_MATCH_THRESHOLDS;
  for (const [name, t] of [['accept', T.accept], ['match', T.match], ['review upper', T.reviewUpper]] as const) {
    const r = ratesAt(genuine, impostor, t);
    console.log(`shipped ${name} ≤ ${t}: FMR ${(r.fmr * 100).toFixed(2)} %  FNMR ${(r.fnmr * 100).toFixed(2)} %`);
  }
  const g = [...genuine].sort((a, b) => a - b);
  const im = [...impostor].sort((a, b) => a - b);
  console.log(`same-person max ${g.at(-1)?.toFixed(3)}, median ${g[g.length >> 1]?.toFixed(3)}; different-person min ${im[0]?.toFixed(3)}, median ${im[im.length >> 1]?.toFixed(3)}`);
}
