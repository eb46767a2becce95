/**
 * Watermark benchmark (issue 3 item 7): `npm run bench:watermark [-- --quick]`.
 * Real photos from `.bench-data/photos` (run `bash scripts/fetch-photos.sh` first; only those ≥ 512 px on the short
 * side are used) and rendered ID cards (test/fixtures/synth). For every image: embed a random payload, measure
 * PSNR/SSIM, run one variant of every attack class (bench/attacks.ts, sharp only), decode the leaked bytes as a user
 * would and detect. Then false detections on ≥ 2,000 unmarked crops/resizes, and timings for a 12 MP image.
 * `--reps N` draws every attack N times per image; the same draws are applied to a copy marked by the peer method
 * (invisible-watermark's dwtDct, bench/peer-dwtdct.ts) with the same 64 bits, for the comparison column.
 */
import sharp, { type Sharp } from 'sharp';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../src/image/decode.js';
import { embed, embedFile, detectFile, generateWatermarkKey, psnr, ssim } from '../src/watermark/index.js';
import { detectPixels, LIST, THRESHOLD } from '../src/watermark/detect.js';
import { FLATTEN } from '../src/watermark/sync.js';
import { WHITEN } from '../src/watermark/whiten.js';
import { ATTACKS, AttackRng, type Rgb } from './attacks.js';
import { peerDecode, peerEmbed } from './peer-dwtdct.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const num = (flag: string, dflt: number): number => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
};
const maxPhotos = num('--photos', quick ? 8 : 28);
const nCards = num('--cards', quick ? 3 : 8);
const nFp = num('--fp', quick ? 300 : 2000);
const LIMITS = { maxPixels: 60_000_000 };
const classFilter = args.includes('--classes') ? (args[args.indexOf('--classes') + 1] ?? '').split(',') : null;
const skipTiming = args.includes('--no-timing');
// `--no-peer`: skip the peer baseline (invisible-watermark's dwtDct, ported in bench/peer-dwtdct.ts).
const withPeer = !args.includes('--no-peer');
// `--reps N`: N independent draws of every attack per image (default 1), for tighter A/B comparisons.
const reps = Math.max(1, num('--reps', 1));
/** A per-(image, attack, draw) generator: runs of a subset (`--only`, `--classes`) draw the same attacks as full runs. */
const attackRng = (image: string, attack: string, rep: number): AttackRng => {
  let h = 2166136261;
  for (const ch of `${image}|${attack}|${rep}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return new AttackRng(h);
};
// `--only REGEX`: run only the images whose name matches (for A/B runs of a change on the cases it targets).
if (args.includes('--flatten')) FLATTEN.radius = num('--flatten', 0);
// `--whiten-fold M,S` / `--whiten-sync M,S`: radii of the local mean and mean square (A/B runs of the whitening).
for (const which of ['fold', 'sync'] as const) {
  const i = args.indexOf(`--whiten-${which}`);
  if (i < 0) continue;
  const [mean, meanSquare] = (args[i + 1] ?? '').split(',').map(Number);
  WHITEN[which] = { mean: mean!, meanSquare: meanSquare! };
}
if (args.includes('--whiten-eps')) WHITEN.eps = num('--whiten-eps', WHITEN.eps);
// `--list N` / `--list-min T`: the detector's list decoding (size 1 = off) and its pilot gate (A/B runs).
if (args.includes('--list')) LIST.size = num('--list', LIST.size);
if (args.includes('--list-min')) LIST.minPilot = num('--list-min', LIST.minPilot);
const only = args.includes('--only') ? new RegExp(args[args.indexOf('--only') + 1] ?? '') : null;
const rng = new AttackRng(20261125);

async function toRgb(p: Sharp): Promise<Rgb> {
  const { data, info } = await p.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

async function loadImages(): Promise<{ name: string; kind: 'photo' | 'document'; img: Rgb }[]> {
  const out: { name: string; kind: 'photo' | 'document'; img: Rgb }[] = [];
  const dir = '.bench-data/photos';
  if (existsSync(dir)) {
    const files = readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort();
    for (const f of files) {
      if (out.length >= maxPhotos) break;
      const buf = readFileSync(join(dir, f));
      const m = await sharp(buf).metadata();
      if (Math.min(m.width ?? 0, m.height ?? 0) < 512) continue;
      if (only && !only.test(f)) continue;
      // Cap at 2048 px on the long side to keep the run short (the 12 MP timing below uses a full-size image).
      const img = await toRgb(sharp(buf).rotate().resize({ width: 2048, height: 2048, fit: 'inside', withoutEnlargement: true }));
      out.push({ name: f, kind: 'photo', img });
    }
  } else {
    console.error('no .bench-data/photos — run `bash scripts/fetch-photos.sh` for real photos; using rendered cards only');
  }
  try {
    const synth = await import('../test/fixtures/synth/index.js');
    for (let i = 0; i < nCards; i++) {
      if (only && !only.test(`card-${i}`)) continue;
      const person = synth.makePerson(1000 + i);
      const portrait = await synth.renderPortrait(person);
      const card = await synth.renderIdCard(person, portrait);
      out.push({ name: `card-${i}`, kind: 'document', img: await toRgb(sharp(card)) });
    }
  } catch (err) {
    console.error(`card renderer unavailable (${err instanceof Error ? err.message : String(err)}); photos only`);
  }
  return out;
}

function bitsOf(p: Uint8Array): Uint8Array {
  const b = new Uint8Array(64);
  for (let i = 0; i < 64; i++) b[i] = (p[i >> 3]! >> (7 - (i & 7))) & 1;
  return b;
}

/** How many of the 64 payload bits two bit arrays share. */
function agreeing(got: ArrayLike<number>, want: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < 64; i++) if (got[i] === want[i]) n++;
  return n;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

const TARGETS: Record<string, string> = {
  'none (PNG)': '100%',
  'JPEG q50–90': '≥ 99%',
  'JPEG q30': '≥ 90%',
  'WebP q60–90': '≥ 99%',
  'resize 0.4–2×': '≥ 98%',
  'resize 0.4–2× + JPEG q75': '≥ 98%',
  'crop 50% area': '≥ 95%',
  'crop 25% area': '≥ 80%',
  'rotate ±1–10°': '≥ 95%',
  'rotate 90/180/270, mirror': '≥ 99%',
  photometric: '≥ 98%',
  screenshot: '≥ 95%',
  'combined: crop 80% + resize 0.6 + rot 2° + JPEG q70': '≥ 90%',
  'stretch: perspective "phone photo" + blur + noise + JPEG': '≥ 70%',
};

const t0 = Date.now();
const images = await loadImages();
// `--key-seed N`: a fixed key (secret bytes derived from N) so before/after runs of a change see the same mark.
const keySeed = args.includes('--key-seed') ? num('--key-seed', 1) : null;
const seededKey = (seed: number): ReturnType<typeof generateWatermarkKey> => {
  const r = new AttackRng(seed);
  return { id: `wmk_bench${seed}`, secret: new Uint8Array(32).map(() => Math.floor(r.next() * 256)) };
};
const key = keySeed === null ? generateWatermarkKey() : seededKey(keySeed);
const wrongKey = keySeed === null ? generateWatermarkKey() : seededKey(keySeed + 1);
console.error(`${images.length} images (${images.filter((i) => i.kind === 'photo').length} photos, ${images.filter((i) => i.kind === 'document').length} cards)`);

const quality: { kind: string; psnr: number; ssim: number }[] = [];
const perClass = new Map<string, { n: number; exact: number; bitAcc: number[]; ms: number[]; peerExact: number; peerBits: number[] }>();
const peerQuality: { kind: string; psnr: number; ssim: number }[] = [];
let wrongKeyDetections = 0;
const embedMs: number[] = [];
for (const [idx, { name, kind, img }] of images.entries()) {
  const prng = attackRng(name, 'payload', 0);
  const payload = new Uint8Array(8).map(() => Math.floor(prng.next() * 256));
  const te = performance.now();
  const marked = embed(img, payload, key);
  embedMs.push(performance.now() - te);
  quality.push({ kind, psnr: psnr(img, marked), ssim: ssim(img, marked) });
  if (detectPixels(marked, wrongKey.secret).detected) wrongKeyDetections++;
  const want = bitsOf(payload);
  // The peer method marks the same image with the same 64 bits; it gets the same attacks (same draws) below.
  const peerMarked = withPeer ? peerEmbed(img, want) : null;
  if (peerMarked) peerQuality.push({ kind, psnr: psnr(img, peerMarked), ssim: ssim(img, peerMarked) });
  const line: string[] = [];
  for (const atk of ATTACKS) for (let rep = 0; rep < reps; rep++) {
    if (classFilter && !classFilter.includes(atk.name)) continue;
    const bytes = await atk.run({ ...marked, channels: 3, data: marked.data }, attackRng(name, atk.name, rep));
    const leaked = await decodeImage(bytes, `${name}:${atk.name}`, LIMITS);
    const td = performance.now();
    const r = detectPixels(leaked, key.secret, { diagnostics: true });
    const ms = performance.now() - td;
    const ok = r.payload !== null && Buffer.from(r.payload).equals(Buffer.from(payload));
    const agree = r.rawBits ? agreeing(r.rawBits, want) : 32;
    const c = perClass.get(atk.cls) ?? { n: 0, exact: 0, bitAcc: [], ms: [], peerExact: 0, peerBits: [] };
    c.n++;
    if (ok) c.exact++;
    c.bitAcc.push(ok ? 1 : agree / 64);
    c.ms.push(ms);
    if (peerMarked) {
      const peerBytes = await atk.run(peerMarked, attackRng(name, atk.name, rep));
      const pl = await decodeImage(peerBytes, `${name}:${atk.name}:peer`, LIMITS);
      const got = peerDecode({ width: pl.width, height: pl.height, channels: pl.channels as 3 | 4, data: pl.data }, 64);
      const same = agreeing(got, want);
      if (same === 64) c.peerExact++;
      c.peerBits.push(same / 64);
    }
    perClass.set(atk.cls, c);
    line.push(`${atk.name}${reps > 1 ? `#${rep}` : ''}:${ok ? 'ok' : 'NO'}(${r.statistic.toFixed(1)})`);
  }
  console.error(`[${idx + 1}/${images.length}] ${name} ${img.width}×${img.height} PSNR ${quality[quality.length - 1]!.psnr.toFixed(1)} SSIM ${quality[quality.length - 1]!.ssim.toFixed(4)} ${line.join(' ')}`);
}

// False detections on unmarked images: random crops (10–100% area), resizes and re-encodings of the originals.
let fpDetections = 0;
let fpMaxStat = 0;
let fpRuns = 0;
const tfp = Date.now();
for (let i = 0; i < nFp && images.length; i++) {
  const { img } = images[i % images.length]!;
  const area = rng.range(0.1, 1);
  const cw = Math.max(96, Math.min(img.width, Math.round(img.width * Math.sqrt(area) * rng.range(0.8, 1.25))));
  const ch = Math.max(96, Math.min(img.height, Math.round((img.width * img.height * area) / cw)));
  let p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).extract({
    left: Math.floor(rng.range(0, img.width - cw + 1)),
    top: Math.floor(rng.range(0, img.height - ch + 1)),
    width: cw,
    height: ch,
  });
  const target = Math.round(rng.range(256, 640));
  if (Math.max(cw, ch) > target) p = p.resize({ width: target, height: target, fit: 'inside' });
  const bytes = rng.next() < 0.5 ? await p.jpeg({ quality: Math.round(rng.range(40, 95)) }).toBuffer() : await p.png({ compressionLevel: 1 }).toBuffer();
  const u = await decodeImage(bytes, `unmarked-${i}`, LIMITS);
  if (Math.min(u.width, u.height) < 64) continue;
  const r = detectPixels(u, key.secret);
  fpRuns++;
  if (r.detected) fpDetections++;
  fpMaxStat = Math.max(fpMaxStat, r.statistic);
}
const fpSeconds = (Date.now() - tfp) / 1000;

/** The speed baseline: one JS pass over the pixels adding a constant through a clamping table (into a new buffer). */
function baselinePass(src: Uint8Array): Uint8Array {
  const lut = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) lut[i] = Math.max(0, Math.min(255, i - 253));
  const out = new Uint8Array(src.length);
  for (let p = 0; p < src.length; p++) out[p] = lut[src[p]! + 256]!;
  return out;
}

// 12 MP timing (one core): a photo upscaled to 4000×3000.
let timing = { embed: NaN, detect: NaN, embedFile: NaN, detectFile: NaN, detected: false, baseline: NaN };
{
  const src = images.find((i) => i.kind === 'photo') ?? images[0];
  if (src && !skipTiming) {
    const big = await toRgb(sharp(src.img.data, { raw: { width: src.img.width, height: src.img.height, channels: 3 } }).resize(4000, 3000, { fit: 'fill' }));
    const payload = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
    const e: number[] = [];
    const d: number[] = [];
    let marked = big;
    for (let k = 0; k < 3; k++) {
      let t = performance.now();
      marked = embed(big, payload, key);
      e.push(performance.now() - t);
      t = performance.now();
      const r = detectPixels(marked, key.secret);
      d.push(performance.now() - t);
      timing.detected = r.detected;
    }
    const bigPng = await sharp(big.data, { raw: { width: 4000, height: 3000, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
    let t = performance.now();
    const out = await embedFile(bigPng, 'big.jpg', payload, key, { format: 'jpeg', quality: 92 }, LIMITS);
    const ef = performance.now() - t;
    t = performance.now();
    await detectFile(out, 'big-marked.jpg', key, LIMITS);
    const df = performance.now() - t;
    // Same-run baseline (the machine is shared and noisy): one plain JS pass over the same 36 M bytes that adds a
    // constant through a clamping table — the least any pixels → pixels embedder in JS must do.
    const b: number[] = [];
    for (let k = 0; k < 4; k++) {
      const t1 = performance.now();
      baselinePass(big.data);
      if (k > 0) b.push(performance.now() - t1); // the first pass warms the JIT
    }
    timing = { embed: median(e), detect: median(d), embedFile: ef, detectFile: df, detected: timing.detected, baseline: median(b) };
  }
}

const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)}%` : '–');
const photosQ = quality.filter((q) => q.kind === 'photo');
const docsQ = quality.filter((q) => q.kind === 'document');
const lines: string[] = [];
lines.push(`### Watermark benchmark (wm-v1) — ${images.length} images (${photosQ.length} photos ≥ 512 px, ${docsQ.length} rendered ID cards)${quick ? ' — quick run' : ''}`);
lines.push('');
const peerCols = withPeer ? ' peer: invisible-watermark dwtDct, exact / bit accuracy |' : '';
lines.push(`| attack class | n | exact 64-bit recovery | bit accuracy | target | median detect ms |${peerCols}`);
lines.push(`|---|---:|---:|---:|---:|---:|${withPeer ? '---:|' : ''}`);
for (const [cls, c] of perClass) lines.push(`| ${cls} | ${c.n} | ${pct(c.exact, c.n)} | ${(100 * mean(c.bitAcc)).toFixed(1)}% | ${TARGETS[cls] ?? ''} | ${median(c.ms).toFixed(0)} |${withPeer ? ` ${pct(c.peerExact, c.n)} / ${(100 * mean(c.peerBits)).toFixed(1)}% |` : ''}`);
lines.push('');
lines.push('| invisibility | mean PSNR | min PSNR | mean SSIM | min SSIM | target |');
lines.push('|---|---:|---:|---:|---:|---|');
const qualityRows: [string, typeof quality, string][] = [
  ['photos', photosQ, 'PSNR ≥ 42 dB, SSIM ≥ 0.985'],
  ['ID cards', docsQ, 'PSNR ≥ 42 dB, SSIM ≥ 0.985'],
  ['peer (dwtDct), photos', peerQuality.filter((x) => x.kind === 'photo'), "(no target: the peer's own strength)"],
  ['peer (dwtDct), ID cards', peerQuality.filter((x) => x.kind === 'document'), "(no target: the peer's own strength)"],
];
for (const [label, q, target] of qualityRows) {
  if (!q.length) continue;
  lines.push(`| ${label} | ${mean(q.map((x) => x.psnr)).toFixed(2)} dB | ${Math.min(...q.map((x) => x.psnr)).toFixed(2)} dB | ${mean(q.map((x) => x.ssim)).toFixed(4)} | ${Math.min(...q.map((x) => x.ssim)).toFixed(4)} | ${target} |`);
}
lines.push('');
lines.push(`| false detections | result |`);
lines.push('|---|---|');
lines.push(`| unmarked crops/resizes/re-encodings | ${fpDetections} / ${fpRuns} (max statistic ${fpMaxStat.toFixed(2)}, threshold ${THRESHOLD}; ${fpSeconds.toFixed(0)} s) |`);
lines.push(`| marked images, wrong key | ${wrongKeyDetections} / ${images.length} |`);
lines.push('');
lines.push('| speed (one core, 4000×3000) | ms |');
lines.push('|---|---:|');
lines.push(`| embed (pixels → pixels) | ${timing.embed.toFixed(0)} (${(timing.embed / timing.baseline).toFixed(2)}× the baseline below) |`);
lines.push(`| baseline: one JS pass adding a constant to the same 36 M bytes, same run | ${timing.baseline.toFixed(0)} |`);
lines.push(`| detect (pixels) | ${timing.detect.toFixed(0)} (mark found: ${timing.detected}) |`);
lines.push(`| embedFile (JPEG decode + embed + JPEG q92 encode) | ${timing.embedFile.toFixed(0)} |`);
lines.push(`| detectFile (JPEG decode + detect) | ${timing.detectFile.toFixed(0)} |`);
lines.push(`| embed, benchmark images (median) | ${median(embedMs).toFixed(0)} |`);
lines.push('');
lines.push(`_run time ${((Date.now() - t0) / 1000).toFixed(0)} s_`);
console.log(lines.join('\n'));
