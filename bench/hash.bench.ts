/**
 * Hashing speed: PDQ (and the 8 dihedral variants, and ORB local features) in images/s and megapixels/s, with the
 * decode excluded (pre-decoded pixels) and included (file bytes → sharp decode → hash), on one core.
 *
 *   npm run bench:hash            # uses .bench-data/photos (bash scripts/fetch-photos.sh) and generated images
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, type Raster } from '../src/image/decode.js';
import { pdqDihedral, pdqHash } from '../src/hash/pdq.js';
import { extractFeatures, loadOpenCv } from '../src/hash/features.js';

sharp.concurrency(1);

async function generated(n: number, w: number, h: number): Promise<{ name: string; bytes: Buffer }[]> {
  const out: { name: string; bytes: Buffer }[] = [];
  for (let i = 0; i < n; i++) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="hsl(${i * 37},40%,50%)"/><circle cx="${(i * 97) % w}" cy="${h / 2}" r="${h / 3}" fill="#fff8"/><text x="40" y="${h - 60}" font-size="64" font-family="DejaVu Sans">scene ${i}</text></svg>`;
    out.push({ name: `gen-${i}`, bytes: await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer() });
  }
  return out;
}

function rate(label: string, count: number, pixels: number, ms: number): void {
  console.log(`${label.padEnd(44)} ${(count / (ms / 1000)).toFixed(1).padStart(8)} images/s  ${(pixels / 1e6 / (ms / 1000)).toFixed(1).padStart(8)} MP/s  (${(ms / count).toFixed(1)} ms/image)`);
}

async function run(setName: string, files: { name: string; bytes: Buffer }[]): Promise<void> {
  const rasters: Raster[] = [];
  let t = performance.now();
  for (const f of files) rasters.push(await decodeImage(f.bytes, f.name, { maxPixels: 100e6 }));
  const decodeMs = performance.now() - t;
  const px = rasters.reduce((s, r) => s + r.width * r.height, 0);
  console.log(`\n${setName}: ${files.length} images, ${(px / files.length / 1e6).toFixed(2)} MP average`);
  rate('decode only (sharp)', files.length, px, decodeMs);
  for (const r of rasters.slice(0, 3)) pdqHash(r); // warm-up
  const reps = Math.max(1, Math.ceil(200 / files.length));
  t = performance.now();
  for (let k = 0; k < reps; k++) for (const r of rasters) pdqHash(r);
  rate('PDQ, decode excluded', files.length * reps, px * reps, performance.now() - t);
  t = performance.now();
  for (let k = 0; k < reps; k++) for (const r of rasters) pdqDihedral(r);
  rate('PDQ + 8 dihedral, decode excluded', files.length * reps, px * reps, performance.now() - t);
  t = performance.now();
  for (const f of files) pdqHash(await decodeImage(f.bytes, f.name, { maxPixels: 100e6 }));
  rate('PDQ, decode included', files.length, px, performance.now() - t);
  const sub = rasters.slice(0, Math.min(rasters.length, 30));
  const subPx = sub.reduce((s, r) => s + r.width * r.height, 0);
  t = performance.now();
  for (const r of sub) await extractFeatures(r);
  rate('ORB features (600 keypoints), decode excluded', sub.length, subPx, performance.now() - t);
}

const t0 = performance.now();
await loadOpenCv();
console.log(`bench:hash — one core; OpenCV.js load ${(performance.now() - t0).toFixed(0)} ms`);
const dir = '.bench-data/photos';
if (existsSync(dir)) {
  const names = readdirSync(dir).filter((n) => /\.(jpe?g|png|webp)$/i.test(n)).sort();
  await run('real photos (.bench-data/photos)', names.map((n) => ({ name: n, bytes: readFileSync(join(dir, n)) })));
} else console.log('(no .bench-data/photos: run `bash scripts/fetch-photos.sh` for the real-photo set)');
await run('generated 1024×768 JPEG', await generated(40, 1024, 768));
await run('generated 512×512 JPEG (no resize step)', await generated(40, 512, 512));
