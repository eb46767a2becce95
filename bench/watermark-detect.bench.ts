/**
 * Watermark DETECT speed on leak-like images: `npm run bench:watermark-detect [-- --n 8 --reps 1 --dump out.json]`.
 * The investigation runs detect on every leaked file, most of them unmarked or attacked, where the whole
 * synchronisation search runs. Sources: photos from `.bench-data/photos` (if fetched), rendered ID cards and a few
 * generated textures (so it runs on a fresh clone), each resized to 0.5–3 MP. Every other source is marked; each
 * source is leaked as-is (PNG) and through five attacks (resize 0.6, crop 50 %, rotate 5°, screenshot, JPEG q70).
 * Detect CPU time (process.cpuUsage, user + system: the machine is shared, wall time is not comparable) is reported
 * per class — unmarked / attacked-marked / unattacked-marked — with p50 and mean, and as a ratio to a same-run
 * baseline (one 512×512 2-D FFT with the watermark's own FFT), so runs under different load compare.
 * `--dump FILE` writes every case's outcome (detected, payload, statistic) to compare two versions for invariance.
 * `--ref DIR` also times another build's detector on every file, interleaved with this one (DIR: a copy of `dist/`
 * made before a change), reports the speed-up per class and every file whose outcome differs.
 */
import sharp, { type Sharp } from 'sharp';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeImage } from '../src/image/decode.js';
import { embed } from '../src/watermark/index.js';
import { detectPixels, type DetectResult } from '../src/watermark/detect.js';
import { AttackRng, type Rgb } from './attacks.js';

const args = process.argv.slice(2);
const num = (flag: string, dflt: number): number => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
};
const str = (flag: string): string | null => {
  const i = args.indexOf(flag);
  return i >= 0 ? (args[i + 1] ?? null) : null;
};
const nSources = num('--n', 8);
const reps = num('--reps', 1);
const dumpPath = str('--dump');
const only = str('--only') ? new RegExp(str('--only')!) : null;
const noPhotos = args.includes('--no-photos');
const refDir = str('--ref');
const LIMITS = { maxPixels: 60_000_000 };
const MEGAPIXELS = [0.5, 1, 2, 3];

const rng = new AttackRng(20261126);
const key = { id: 'wmk_detectbench', secret: new Uint8Array(32).map((_, i) => (i * 37 + 11) & 255) };

function sh(img: Rgb): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

async function toRgb(p: Sharp): Promise<Rgb> {
  const { data, info } = await p.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A photo-like generated texture (smooth shading, edges, fine noise): deterministic, no files needed. */
function generated(seed: number, w: number, h: number): Rgb {
  const r = new AttackRng(seed);
  const data = new Uint8Array(w * h * 3);
  const blobs = Array.from({ length: 12 }, () => ({ x: r.range(0, w), y: r.range(0, h), s: r.range(0.05, 0.3) * w, c: [r.range(-90, 90), r.range(-90, 90), r.range(-90, 90)] }));
  const fx = r.range(0.01, 0.08);
  const fy = r.range(0.01, 0.08);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v0 = 110 + 25 * Math.sin(x * fx) * Math.cos(y * fy);
      let v1 = v0;
      let v2 = v0;
      for (const b of blobs) {
        const d2 = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.s * b.s);
        if (d2 > 9) continue;
        const g = d2 < 1 ? 1 : Math.exp(-(d2 - 1) * 2);
        v0 += b.c[0]! * g;
        v1 += b.c[1]! * g;
        v2 += b.c[2]! * g;
      }
      const n = 6 * (r.next() - 0.5);
      const o = (y * w + x) * 3;
      data[o] = Math.max(0, Math.min(255, v0 + n));
      data[o + 1] = Math.max(0, Math.min(255, v1 + n));
      data[o + 2] = Math.max(0, Math.min(255, v2 + n));
    }
  return { width: w, height: h, channels: 3, data };
}

async function loadSources(): Promise<{ name: string; img: Rgb }[]> {
  const out: { name: string; img: Rgb }[] = [];
  const photos: string[] = [];
  const dir = '.bench-data/photos';
  if (!noPhotos && existsSync(dir)) photos.push(...readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort());
  let cardNo = 0;
  let genNo = 0;
  let photoNo = 0;
  // Mix: about 5 photos : 2 cards : 1 generated when photos exist, otherwise cards and generated textures alternate.
  for (let i = 0; out.length < nSources && i < 10 * nSources; i++) {
    // Sizes cycle per pair of sources, so marked (even) and unmarked (odd) sources both span 0.5–3 MP.
    const mp = MEGAPIXELS[Math.floor(out.length / 2) % MEGAPIXELS.length]!;
    const slot = photos.length ? i % 8 : 5 + (i % 2) * 2;
    let name: string;
    let src: Rgb;
    if (slot < 5 && photoNo < photos.length) {
      const f = photos[photoNo++]!;
      name = f;
      if (only && !only.test(name)) continue;
      src = await toRgb(sharp(readFileSync(join(dir, f))).rotate());
    } else if (slot < 7) {
      name = `card-${cardNo}`;
      const synth = await import('../test/fixtures/synth/index.js');
      const person = synth.makePerson(2000 + cardNo++);
      if (only && !only.test(name)) continue;
      src = await toRgb(sharp(await synth.renderIdCard(person, await synth.renderPortrait(person))));
    } else {
      name = `generated-${genNo}`;
      if (only && !only.test(name)) continue;
      src = generated(500 + genNo++, 1200, 900);
    }
    const f = Math.sqrt((mp * 1e6) / (src.width * src.height));
    const img = await toRgb(sh(src).resize(Math.round(src.width * f), Math.round(src.height * f)));
    out.push({ name: `${name}@${mp}MP`, img });
  }
  return out;
}

const png = (p: Sharp): Promise<Buffer> => p.png({ compressionLevel: 1 }).toBuffer();

/** The five leak attacks of the brief (fixed parameters so before/after runs see the same files). */
const ATTACKS: { name: string; run: (img: Rgb) => Promise<Buffer> }[] = [
  { name: 'resize0.6', run: (img) => png(sh(img).resize(Math.round(img.width * 0.6), Math.round(img.height * 0.6))) },
  { name: 'crop50', run: (img) => { const w = Math.round(img.width * 0.7071); const h = Math.round(img.height * 0.7071); return png(sh(img).extract({ left: Math.floor((img.width - w) / 3), top: Math.floor((img.height - h) / 2), width: w, height: h })); } },
  { name: 'rotate5', run: (img) => png(sh(img).rotate(5, { background: '#000000' })) },
  { name: 'screenshot', run: (img) => { const w = Math.round(img.width * 0.75); const h = Math.round(img.height * 0.75); return sh(img).resize(w, h).extend({ top: 40, bottom: 10, left: 30, right: 50, background: '#202124' }).jpeg({ quality: 85 }).toBuffer(); } },
  { name: 'jpeg70', run: (img) => sh(img).jpeg({ quality: 70 }).toBuffer() },
];

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/**
 * A plain radix-2 FFT kept here, frozen, for the baseline (the watermark's own FFT may get faster: the baseline must
 * not move with it).
 */
function plainFft(re: Float64Array, im: Float64Array, n: number, off: number, stride: number): void {
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const a = off + i * stride;
      const b = off + j * stride;
      const tr = re[a]!;
      re[a] = re[b]!;
      re[b] = tr;
      const ti = im[a]!;
      im[a] = im[b]!;
      im[b] = ti;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    for (let k = 0; k < half; k++) {
      const wr = Math.cos((2 * Math.PI * k) / size);
      const wi = -Math.sin((2 * Math.PI * k) / size);
      for (let start = 0; start < n; start += size) {
        const a = off + (start + k) * stride;
        const b = a + half * stride;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

function fft2(re: Float64Array, im: Float64Array, n: number): void {
  for (let y = 0; y < n; y++) plainFft(re, im, n, y * n, 1);
  for (let x = 0; x < n; x++) plainFft(re, im, n, x, n);
}

/** Same-run baseline: CPU ms of one forward 512×512 complex 2-D FFT (the size of the synchronisation transform). */
function baselineMs(): number {
  const re = new Float64Array(512 * 512);
  const im = new Float64Array(512 * 512);
  const ms: number[] = [];
  for (let k = 0; k < 6; k++) {
    for (let i = 0; i < re.length; i++) re[i] = Math.sin(i * 0.37) * 100;
    im.fill(0);
    const t = cpuMs(() => fft2(re, im, 512));
    if (k >= 2) ms.push(t);
  }
  return median(ms);
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

type Cls = 'unmarked' | 'attacked-marked' | 'unattacked-marked';
interface Case {
  name: string;
  cls: Cls;
  w: number;
  h: number;
  ms: number;
  detected: boolean;
  correct: boolean;
  payload: string | null;
  statistic: number;
  candidates: number;
  /** With --ref: the reference build's CPU ms and whether its outcome (detected, payload, statistic) is the same. */
  refMs?: number;
  same?: boolean;
  refStatistic?: number;
}

const ref = refDir ? ((await import(pathToFileURL(resolve(refDir, 'src/watermark/detect.js')).href)) as { detectPixels: typeof detectPixels }) : null;

/** `node --expose-gc` (the npm script does): collect before each timed run, so no run pays for another's garbage. */
const gc = (globalThis as { gc?: () => void }).gc;

function timed(fn: typeof detectPixels, px: Parameters<typeof detectPixels>[0]): { r: DetectResult; ms: number } {
  gc?.();
  const c0 = process.cpuUsage();
  const r = fn(px, key.secret);
  const c = process.cpuUsage(c0);
  return { r, ms: (c.user + c.system) / 1000 };
}

const t0 = Date.now();
const sources = await loadSources();
console.error(`${sources.length} sources (${sources.map((s) => s.name).join(', ')})`);
const baselines: number[] = [baselineMs()];
const cases: Case[] = [];
let warmed = false;
for (const [i, { name, img }] of sources.entries()) {
  const marked = i % 2 === 0;
  const payload = new Uint8Array(8).map(() => Math.floor(rng.next() * 256));
  const leakSrc: Rgb = marked ? (embed(img, payload, key) as Rgb) : img;
  const leaks: { attack: string; bytes: Buffer }[] = [{ attack: 'none', bytes: await png(sh(leakSrc)) }];
  for (const a of ATTACKS) leaks.push({ attack: a.name, bytes: await a.run(leakSrc) });
  const line: string[] = [];
  for (const { attack, bytes } of leaks) {
    const px = await decodeImage(bytes, `${name}:${attack}`, LIMITS);
    if (!warmed) {
      // Warm-up, not counted: the synchronisation path on an unmarked and two attacked marked textures, ten
      // rounds, so the JIT and WebAssembly tiers are in the steady state of an investigation of many files.
      const tex = generated(99, 800, 700);
      const texMarked = embed(tex, new Uint8Array(8).fill(1), key) as Rgb;
      const warm = [
        await decodeImage(await png(sh(tex).rotate(4)), 'warm-up', LIMITS),
        await decodeImage(await png(sh(texMarked).rotate(-3)), 'warm-up', LIMITS),
        await decodeImage(await png(sh(texMarked).resize(560, 490)), 'warm-up', LIMITS),
      ];
      for (let k = 0; k < 10; k++)
        for (const w of warm) {
          detectPixels(w, key.secret);
          ref?.detectPixels(w, key.secret);
        }
      warmed = true;
    }
    const runs: { r: DetectResult; ms: number }[] = [];
    const refRuns: { r: DetectResult; ms: number }[] = [];
    for (let k = 0; k < Math.max(1, reps); k++) {
      // Interleaved, alternating which goes first, so both see the same load.
      if (ref && (cases.length + k) % 2 === 0) refRuns.push(timed(ref.detectPixels, px));
      runs.push(timed(detectPixels, px));
      if (ref && (cases.length + k) % 2 === 1) refRuns.push(timed(ref.detectPixels, px));
    }
    const r = runs[0]!.r;
    const times = runs.map((x) => x.ms);
    const rr = refRuns[0]?.r;
    const same = !rr || (rr.detected === r.detected && Buffer.from(rr.payload ?? []).equals(Buffer.from(r.payload ?? [])) && Math.abs(rr.statistic - r.statistic) < 1e-6);
    const cls: Cls = !marked ? 'unmarked' : attack === 'none' ? 'unattacked-marked' : 'attacked-marked';
    const hex = r.payload ? Buffer.from(r.payload).toString('hex') : null;
    const correct = marked ? hex === Buffer.from(payload).toString('hex') : !r.detected;
    cases.push({ name: `${name}:${attack}`, cls, w: px.width, h: px.height, ms: median(times), detected: r.detected, correct, payload: hex, statistic: Number(r.statistic.toFixed(6)), candidates: r.candidates, ...(rr ? { refMs: median(refRuns.map((x) => x.ms)), same, refStatistic: Number(rr.statistic.toFixed(6)) } : {}) });
    line.push(`${attack}:${r.detected ? 'det' : '-'}(${r.statistic.toFixed(2)}, ${median(times).toFixed(0)} ms${rr ? ` vs ref ${median(refRuns.map((x) => x.ms)).toFixed(0)} ms${same ? '' : ' DIFFERENT OUTCOME'}` : ''})`);
  }
  baselines.push(baselineMs());
  console.error(`[${i + 1}/${sources.length}] ${name} ${img.width}×${img.height} ${marked ? 'marked' : 'unmarked'} ${line.join(' ')}`);
}
const base = median(baselines);

const lines: string[] = [];
lines.push(`### Watermark detect CPU time — ${sources.length} sources at 0.5–3 MP, ${cases.length} leaked files${reps > 1 ? `, median of ${reps} runs each` : ''}`);
lines.push('');
lines.push(`baseline: one 512×512 2-D FFT = ${base.toFixed(1)} CPU ms (median of ${baselines.length} measurements between the sources, range ${Math.min(...baselines).toFixed(1)}–${Math.max(...baselines).toFixed(1)})`);
lines.push('');
lines.push(`| class | n | correct | p50 CPU ms | mean CPU ms | p50 / baseline | mean / baseline |${ref ? ' ref p50 | ref mean | speed-up (mean) | same outcome |' : ''}`);
lines.push(`|---|---:|---:|---:|---:|---:|---:|${ref ? '---:|---:|---:|---:|' : ''}`);
for (const cls of ['unmarked', 'attacked-marked', 'unattacked-marked', 'all'] as const) {
  const cs = cls === 'all' ? cases : cases.filter((c) => c.cls === cls);
  const ms = cs.map((c) => c.ms);
  const refMs = cs.map((c) => c.refMs ?? NaN);
  const refCols = ref ? ` ${median(refMs).toFixed(0)} | ${mean(refMs).toFixed(0)} | ${(mean(refMs) / mean(ms)).toFixed(2)}× | ${cs.filter((c) => c.same).length} / ${cs.length} |` : '';
  lines.push(`| ${cls} | ${cs.length} | ${cs.filter((c) => c.correct).length} | ${median(ms).toFixed(0)} | ${mean(ms).toFixed(0)} | ${(median(ms) / base).toFixed(1)}× | ${(mean(ms) / base).toFixed(1)}× |${refCols}`);
}
for (const c of cases) if (c.same === false) lines.push(`- different outcome: ${c.name} (statistic ${c.refStatistic} → ${c.statistic})`);
lines.push('');
lines.push(`_run time ${((Date.now() - t0) / 1000).toFixed(0)} s_`);
console.log(lines.join('\n'));
if (dumpPath) writeFileSync(dumpPath, JSON.stringify({ baselineMs: base, cases }, null, 1));
