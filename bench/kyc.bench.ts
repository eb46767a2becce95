/**
 * KYC benchmark: time per verification (document + selfie, face model + MRZ OCR), face descriptors per second, 1:N
 * face search at 10k and 100k enrolled subjects, and memory. Run: `npm run bench:kyc`.
 * Uses ../shared/faces for real portraits when present (else synthetic drawn portraits, which the detector may miss).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { makePerson, renderIdCard, renderPortrait } from '../test/fixtures/synth/index.js';
import { decodeImage } from '../src/image/decode.js';
import { faceApiEngine } from '../src/face/faceapi-engine.js';
import { FaceIndex } from '../src/face/face-index.js';
import { closeMrzOcr, readMrz } from '../src/document/mrz-ocr.js';
import { verifyKyc, type KycDeps } from '../src/kyc/pipeline.js';
import { MemoryDuplicateLookup } from '../src/kyc/duplicates.js';

const FACES = join(process.cwd(), '..', 'shared', 'faces');
const haveFaces = existsSync(join(FACES, 'identities'));
const N = Number(process.env.KYC_BENCH_N ?? 6);
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, median: s[s.length >> 1] as number, max: s[s.length - 1] as number };
};

console.log(`# KYC benchmark (${haveFaces ? 'real portraits from ../shared/faces' : 'synthetic portraits'}), node ${process.version}, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);

// --- verification (document + selfie) ---
const people = [];
for (let s = 1; people.length < N; s++) people.push(makePerson(s));
const portraitsDir = join(FACES, 'identities', 'person_a');
const cases: Array<{ card: Buffer; selfie: Buffer }> = [];
for (const [i, p] of people.entries()) {
  const portrait = haveFaces ? await sharp(join(portraitsDir, `${(i % 4) + 1}.jpg`)).resize(240, 300).png().toBuffer() : await renderPortrait(p);
  const selfie = haveFaces ? readFileSync(join(portraitsDir, `${(i % 4) + 5}.jpg`)) : await renderPortrait(p, { width: 480, height: 640 });
  cases.push({ card: await renderIdCard(p, portrait), selfie });
}
const engine = faceApiEngine();
const deps = (ocr: boolean): KycDeps => ({ engine, readMrz: ocr ? (r) => readMrz(r) : null, duplicates: new MemoryDuplicateLookup(), limits: { maxPixels: 50e6 }, requireLiveness: false });
let t0 = performance.now();
await engine.warmUp();
console.log(`model load + warm-up (once per process): ${(performance.now() - t0).toFixed(0)} ms`);
t0 = performance.now();
await verifyKyc({ document: { bytes: (cases[0] as { card: Buffer }).card, label: 'card' }, selfie: { bytes: (cases[0] as { selfie: Buffer }).selfie, label: 'selfie' } }, deps(true));
console.log(`first verification (kernels compile, OCR worker starts): ${(performance.now() - t0).toFixed(0)} ms`);
for (const ocr of [true, false]) {
  const totals: number[] = [];
  const cpu: number[] = [];
  const stage: Record<string, number[]> = {};
  let valid = 0;
  for (const c of cases) {
    const c0 = process.cpuUsage();
    const r = await verifyKyc({ document: { bytes: c.card, label: 'card' }, selfie: { bytes: c.selfie, label: 'selfie' } }, deps(ocr));
    const dc = process.cpuUsage(c0);
    cpu.push((dc.user + dc.system) / 1000);
    totals.push(r.timings_ms.total as number);
    for (const [k, v] of Object.entries(r.timings_ms)) (stage[k] ??= []).push(v);
    if (r.document.mrz_valid) valid++;
  }
  const s = stats(totals);
  console.log(`verification ${ocr ? 'with MRZ OCR' : 'faces only  '}: mean ${s.mean.toFixed(0)} ms, median ${s.median.toFixed(0)} ms, max ${s.max.toFixed(0)} ms over ${cases.length}` + (ocr ? ` (MRZ valid ${valid}/${cases.length})` : ''));
  console.log(`  CPU time per verification (all threads, incl. the OCR worker): mean ${stats(cpu).mean.toFixed(0)} ms — the cost on one core when nothing else runs`);
  console.log(`  stages (mean ms): ${Object.entries(stage).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${stats(v).mean.toFixed(0)}`).join(', ')}`);
}
await closeMrzOcr();

// --- descriptors per second ---
const imgs: string[] = [];
if (haveFaces) {
  for (const d of readdirSync(join(FACES, 'identities')).sort()) for (const f of readdirSync(join(FACES, 'identities', d)).sort()) imgs.push(join(FACES, 'identities', d, f));
}
if (imgs.length) {
  const rasters = await Promise.all(imgs.slice(0, 24).map(async (p) => decodeImage(readFileSync(p), p, { maxPixels: 50e6 })));
  for (const purpose of ['selfie', 'document'] as const) {
    t0 = performance.now();
    let faces = 0;
    for (const r of rasters) faces += (await engine.detect(r, { purpose })).length > 0 ? 1 : 0;
    const s = (performance.now() - t0) / 1000;
    console.log(`descriptors (${purpose} detector + landmarks + descriptor): ${(faces / s).toFixed(1)}/s (${faces} faces in ${rasters.length} images, ${((s * 1000) / rasters.length).toFixed(0)} ms/image)`);
  }
}

// --- 1:N search ---
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
for (const n of [10_000, 100_000]) {
  const g = gaussian(n);
  const idx = new FaceIndex(128, n);
  const heap0 = process.memoryUsage().heapUsed;
  t0 = performance.now();
  // Descriptor-like vectors: face-api descriptors have norm ≈ 1 and components ≈ ±0.09.
  for (let i = 0; i < n; i++) idx.add(`sub_${i}`, Float32Array.from({ length: 128 }, () => g() * 0.09));
  const build = performance.now() - t0;
  const queries = 50;
  t0 = performance.now();
  for (let q = 0; q < queries; q++) idx.search(Float32Array.from({ length: 128 }, () => g() * 0.09), 5);
  const per = (performance.now() - t0) / queries;
  console.log(`1:N search at ${n.toLocaleString('en')} subjects: ${per.toFixed(2)} ms/query (k=5, exact), build ${build.toFixed(0)} ms, matrix ${mb(idx.byteLength)}, heap +${mb(Math.max(0, process.memoryUsage().heapUsed - heap0))}`);
}
const m = process.memoryUsage();
console.log(`memory: rss ${mb(m.rss)}, heap used ${mb(m.heapUsed)}, external ${mb(m.external)}, array buffers ${mb(m.arrayBuffers)}`);
