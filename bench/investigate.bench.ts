/**
 * `npm run bench:investigate [-- --subjects 30 --seed 5 --vault-images 10000 --descriptors 100 --leaked 20 --retrieval-only --keep]`
 *
 * Measures `tracemark investigate` at the issue's scale (1,000 leaked images against a 100,000-image vault) without
 * importing 100k real images (hours here):
 * 1. a generated leak case (synthetic vault, vendors, a leaked folder with doctored copies and distractors) is
 *    imported into a fresh vault — its records are the ones a leak can match, and they are decrypted for real;
 * 2. SIMULATED: `--vault-images` synthetic index entries are added to the hash store retrieval searches (PDQ rows and
 *    packed ORB descriptors, in memory, never in the vault): each copies a real image's *template* descriptors (those
 *    another real subject's image shares: the issuer's card design, perturbed by 2–10 bits) and fills the rest with
 *    random descriptors, and its PDQ is a real one with 16–64 bits flipped — so retrieval pays the real cost of a
 *    100k-image index full of same-design look-alikes, and RANSAC verifies them against the base's template
 *    keypoints (another person's card of that design). Synthetic entries have no original to decrypt, so the
 *    verification's look-alike references come from the real records;
 * 3. the leaked folder is the case's leaked files, repeated (byte-identical copies under new names) up to `--leaked`;
 *    the time for 1,000 is projected from the measured rate.
 * Prints images/s, where the time goes per stage, and the scorer's accuracy table on the first pass over the case.
 * Defaults are sized to finish in minutes on 2 shared cores: pass `--vault-images 100000` for the issue's vault size
 * (retrieval then dominates: see README Performance). `--retrieval-only` times ImageMatcher.match alone per leaked
 * file; `--keep` keeps the work folder and writes its report.json.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/core/config.js';
import { initTracemark, openTracemark } from '../src/app/tracemark.js';
import { InvestigateService } from '../src/investigate/investigate-service.js';
import { decodeImage } from '../src/image/decode.js';
import { readMrz } from '../src/document/mrz-ocr.js';
import { ImageMatcher, ORB_DESC_ALGO, PDQ_ALGO, type MatchExplain } from '../src/match/retrieval.js';
import { MihIndex } from '../src/match/mih.js';
import { FEATURES_ALGO, deserializeFeatures, serializeFeatures, type Features } from '../src/hash/features.js';
import { readWatermarkKeyFile } from '../src/watermark/index.js';
import type { HashStore } from '../src/storage/hashes/hash-store.js';
import type { LeakReport } from '../src/investigate/report.js';
import { loadBenchPhotos, makeLeakCase } from '../test/fixtures/synth/index.js';
import { formatScore, scoreLeakCase } from '../test/fixtures/synth/score.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

/** Small deterministic PRNG (xorshift32) for the synthetic rows. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function flipBits(src: Uint8Array, out: Uint8Array, at: number, n: number, rnd: () => number): void {
  out.set(src, at);
  for (let k = 0; k < n; k++) {
    const bit = Math.floor(rnd() * 256);
    out[at + (bit >> 3)]! ^= 1 << (bit & 7);
  }
}

/**
 * A HashStore that serves the real store's rows plus `n` synthetic images (see the file comment). Synthetic row ids
 * start at 2^31 so they never collide with the store's. Their stored features (what RANSAC verifies) are their base
 * image's *template* keypoints only — those within radius 31 of another real image's — i.e. another person's card of
 * the same design, not a clone of the source (a clone would tie with the source and is no vault a leak is judged on).
 */
function withSyntheticVault(real: HashStore, n: number, descriptors: number): { store: HashStore; info: string } {
  const pdq: { imageId: string; kind: string; hash: Uint8Array }[] = [];
  real.scan(PDQ_ALGO, (_rows, hashes, images) => images.forEach((im, i) => pdq.push({ ...im, hash: hashes.slice(i * 32, i * 32 + 32) })));
  const desc = new Map<string, Uint8Array[]>();
  const rowsOf: { imageId: string; i: number }[] = [];
  const all = new MihIndex();
  let key = 0;
  real.scanDescriptors(ORB_DESC_ALGO, (imageId, _kind, data) => {
    const list: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 32) {
      const h = data.slice(i, i + 32);
      list.push(h);
      all.add(key++, h);
      rowsOf.push({ imageId, i: list.length - 1 });
    }
    desc.set(imageId, list);
  });
  all.rebuild();
  // Template descriptors: within radius 31 of a descriptor of another real image.
  const template = new Map<string, Uint8Array[]>();
  key = 0;
  for (const [imageId, list] of desc) {
    const t: Uint8Array[] = [];
    for (const h of list) {
      if (all.search(h, { radius: 31 }).some((hit) => rowsOf[hit.key]!.imageId !== imageId)) t.push(h);
    }
    template.set(imageId, t);
  }
  // Full feature sets of the real images, and per image the keypoints its design shares with other real images.
  const full = new Map<string, Features>();
  const allFull = new MihIndex();
  const fullOwner: string[] = [];
  for (const p of pdq) {
    const f = real.features(p.imageId);
    if (!f || f.algo !== FEATURES_ALGO) continue;
    const feats = deserializeFeatures(f.data);
    full.set(p.imageId, feats);
    for (let i = 0; i < feats.count; i++) {
      allFull.add(fullOwner.length, feats.desc.subarray(i * 32, i * 32 + 32));
      fullOwner.push(p.imageId);
    }
  }
  allFull.rebuild();
  const bases = pdq.filter((p) => desc.has(p.imageId));
  // Per base, the feature set a synthetic look-alike of it stores: the base's keypoints that another real image shares
  // (its design). Simulation set-up, not retrieval work: built here, before anything is timed.
  const lookAlike = new Map<string, { algo: string; data: Uint8Array }>();
  for (const { imageId } of bases) {
    const f = full.get(imageId);
    if (!f) continue;
    const keep: number[] = [];
    for (let i = 0; i < f.count; i++) {
      if (allFull.search(f.desc.subarray(i * 32, i * 32 + 32), { radius: 31 }).some((hit) => fullOwner[hit.key] !== imageId)) keep.push(i);
    }
    const t: Features = { width: f.width, height: f.height, count: keep.length, xy: new Float32Array(keep.length * 2), desc: new Uint8Array(keep.length * 32) };
    keep.forEach((i, k) => {
      t.xy[2 * k] = f.xy[2 * i]!;
      t.xy[2 * k + 1] = f.xy[2 * i + 1]!;
      t.desc.set(f.desc.subarray(i * 32, i * 32 + 32), k * 32);
    });
    lookAlike.set(imageId, { algo: FEATURES_ALGO, data: serializeFeatures(t) });
  }
  const tShare = [...template.values()].reduce((a, t) => a + t.length, 0) / Math.max(1, [...desc.values()].reduce((a, d) => a + d.length, 0));
  const baseOf = (s: number): (typeof bases)[number] => bases[s % bases.length]!;
  const BASE = 2 ** 31;
  const info = `${n} synthetic images (${bases.length} real bases; PDQ = base with 16–64 bits flipped; ${descriptors} ORB descriptors each: the base's template descriptors (${(tShare * 100).toFixed(0)}% of a real image's) with 2–10 bits flipped, the rest random; verified against the base's template keypoints)`;
  const synthetic = (s: number): { imageId: string; kind: string; base: (typeof bases)[number] } => {
    const base = baseOf(s);
    return { imageId: `synthetic-${s}`, kind: base.kind, base };
  };
  const store: HashStore = {
    migrate: () => real.migrate(),
    put: (e) => real.put(e),
    removeImages: (ids) => real.removeImages(ids),
    describe: (rows) => real.describe(rows),
    hashedImages: (algo) => real.hashedImages(algo),
    count: (algo) => real.count(algo) + (algo === PDQ_ALGO || algo === undefined ? n : 0),
    features: (imageId) => {
      if (!imageId.startsWith('synthetic-')) return real.features(imageId);
      return lookAlike.get(baseOf(Number(imageId.slice(10))).imageId) ?? null;
    },
    descriptorImages(algo) {
      const ids = real.descriptorImages(algo);
      if (algo === ORB_DESC_ALGO) for (let s = 0; s < n; s++) ids.add(`synthetic-${s}`);
      return ids;
    },
    scanDescriptors(algo, onImage) {
      let total = real.scanDescriptors(algo, onImage);
      if (algo !== ORB_DESC_ALGO) return total;
      const packed = new Uint8Array(descriptors * 32);
      for (let s = 0; s < n; s++) {
        const rnd = prng(s * 7919 + 2);
        const im = synthetic(s);
        const t = template.get(im.base.imageId) ?? [];
        for (let d = 0; d < descriptors; d++) {
          if (d < t.length) flipBits(t[d]!, packed, d * 32, 2 + Math.floor(rnd() * 9), rnd);
          else for (let j = 0; j < 32; j++) packed[d * 32 + j] = Math.floor(rnd() * 256);
        }
        onImage(im.imageId, im.kind, packed);
        total++;
      }
      return total;
    },
    scan(algo, onBatch, batchSize = 65536) {
      let total = real.scan(algo, onBatch, batchSize);
      if (algo !== PDQ_ALGO) return total;
      for (let s0 = 0; s0 < n; s0 += batchSize) {
        const s1 = Math.min(n, s0 + batchSize);
        const rows = new Uint32Array(s1 - s0);
        const hashes = new Uint8Array(rows.length * 32);
        const images: { imageId: string; kind: string }[] = [];
        for (let s = s0; s < s1; s++) {
          const rnd = prng(s * 7919 + 1);
          const im = synthetic(s);
          flipBits(im.base.hash, hashes, (s - s0) * 32, 16 + Math.floor(rnd() * 49), rnd);
          rows[s - s0] = BASE + s;
          images.push({ imageId: im.imageId, kind: im.kind });
        }
        onBatch(rows, hashes, images);
        total += rows.length;
      }
      return total;
    },
  };
  return { store, info };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tm-bench-inv-'));
  try {
    const subjects = arg('subjects', 30);
    const seed = arg('seed', 5);
    const vaultImages = arg('vault-images', 10_000);
    const descriptors = arg('descriptors', 100);
    const leakedN = arg('leaked', 20);
    console.log(`bench:investigate — ${cpus().length} cores; leak case: ${subjects} subjects, seed ${seed}`);
    const truth = await makeLeakCase({ out: join(work, 'case'), subjects, seed, photos: await loadBenchPhotos() });
    const cfg = loadConfig({ TRACEMARK_HOME: join(work, 'home'), TRACEMARK_LOG_LEVEL: 'error', TRACEMARK_ACTOR: 'bench' });
    await initTracemark(cfg);
    const t = await openTracemark(cfg);
    try {
      let t0 = performance.now();
      await t.importer.importDir(join(work, 'case', 'vault'));
      const importS = (performance.now() - t0) / 1000;
      await t.releases.importLog(join(work, 'case', 'recipients.json'));

      // The leaked folder: the case's files, repeated up to --leaked (pass 0 keeps the original names for scoring).
      const caseLeak = join(work, 'case', 'leak');
      const names = readdirSync(caseLeak).sort();
      const leakDir = join(work, 'leaked');
      mkdirSync(leakDir);
      const n = Math.max(names.length, leakedN);
      for (let i = 0; i < n; i++) {
        const pass = Math.floor(i / names.length);
        const name = names[i % names.length]!;
        const dir = pass === 0 ? leakDir : join(leakDir, `copy-${pass}`);
        if (i % names.length === 0 && pass > 0) mkdirSync(dir);
        copyFileSync(join(caseLeak, name), join(dir, name));
      }

      t0 = performance.now();
      const syn = vaultImages > 0 ? withSyntheticVault(t.stores.hashes, vaultImages, descriptors) : null;
      const hashes = syn?.store ?? t.stores.hashes;
      const matcher = new ImageMatcher(hashes);
      const loaded = matcher.load();
      const buildS = (performance.now() - t0) / 1000;
      if (process.argv.includes('--retrieval-only')) {
        // Retrieval alone (ImageMatcher.match, as the investigation calls it) over the leaked files, one at a time.
        const ms: number[] = [];
        const stage = { pdq: 0, extract: 0, vote: 0, verify: 0 };
        for (const name of names.slice(0, leakedN)) {
          const r = await decodeImage(readFileSync(join(caseLeak, name)), name, { maxPixels: cfg.maxPixels });
          const q0 = performance.now();
          const explain: MatchExplain = { pdq: [], votes: [], verified: [] };
          const found = await matcher.match(r, { top: 12, explain });
          ms.push(performance.now() - q0);
          for (const k of Object.keys(stage) as (keyof typeof stage)[]) stage[k] += explain.ms?.[k] ?? 0;
          if (process.argv.includes('--verbose')) {
            console.log(name, JSON.stringify(explain.voteStats), JSON.stringify(explain.ms));
            console.log('  votes', explain.votes.slice(0, 6).map((v) => `${v.imageId}:${v.votes}/${v.voters}`).join(' '));
            console.log('  verified', explain.verified.slice().sort((a, b) => b.inliers - a.inliers).slice(0, 6).map((v) => `${v.imageId}:${v.inliers}/${v.matches}`).join(' '));
            console.log('  found', found.slice(0, 6).map((c) => `${c.imageId}${c.confident ? '' : '?'}(${c.method},d=${c.distance},in=${c.inliers})`).join(' '));
          }
        }
        ms.sort((a, b) => a - b);
        console.log(`\n| index (SIMULATED) | ${syn ? syn.info : 'none'} |`);
        console.log(`| index loaded | ${loaded.pdq} PDQ rows, ${loaded.descriptors} descriptor rows (${loaded.descriptorsPerImage} per image at most) in ${buildS.toFixed(1)} s; rss ${(process.memoryUsage().rss / 1e9).toFixed(1)} GB |`);
        console.log(`| retrieval per leaked file (${ms.length} files) | mean ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(0)} ms, median ${ms[Math.floor(ms.length / 2)]!.toFixed(0)} ms, max ${ms[ms.length - 1]!.toFixed(0)} ms |`);
        console.log(`| retrieval stages, mean per file | ${Object.entries(stage).map(([k, v]) => `${k} ${(v / ms.length).toFixed(0)} ms`).join(', ')} |`);
        return;
      }
      const svc = new InvestigateService({
        // Retrieval searches the simulated index; the look-alike references the verification decrypts come from the
        // real store, as in a real vault, where every look-alike is a record (synthetic entries have no original).
        records: t.stores.records, releases: t.stores.releases, hashes: t.stores.hashes, service: t.records, audit: t.audit,
        matcher: () => Promise.resolve(matcher), watermarkKey: () => readWatermarkKeyFile(t.watermarkKeyPath),
        limits: { maxPixels: cfg.maxPixels, maxFileBytes: cfg.maxFileBytes }, log: t.log,
        readMrz: (r) => readMrz(r), // as the product wires it (closed by t.close())
      });
      t0 = performance.now();
      const { report } = await svc.investigate(leakDir, { purpose: 'benchmark' });
      if (process.argv.includes('--keep')) writeFileSync(join(work, 'report.json'), JSON.stringify(report, null, 2));
      const invS = (performance.now() - t0) / 1000;
      const stages = Object.entries(report.timings.per_stage_ms).sort((a, b) => b[1] - a[1]);
      const rate = report.files.length / invS;
      const mem = process.memoryUsage();
      console.log('\n| measure | value |\n|---|---|');
      console.log(`| vault (real) | ${subjects} subjects, ${report.vault.images} images imported in ${importS.toFixed(1)} s |`);
      console.log(`| index (SIMULATED) | ${syn ? syn.info : 'none'} |`);
      console.log(`| index loaded | ${loaded.pdq} PDQ rows, ${loaded.descriptors} descriptor rows (${loaded.descriptorsPerImage} per image at most) in ${buildS.toFixed(1)} s; rss ${(mem.rss / 1e9).toFixed(1)} GB |`);
      console.log(`| leaked files investigated | ${report.files.length} (+${report.skipped.length} skipped; the case's ${names.length} files, repeated) in ${invS.toFixed(1)} s |`);
      console.log(`| images/s | ${rate.toFixed(2)} |`);
      console.log(`| projected time for 1,000 leaked images | ${((1000 / rate) / 60).toFixed(1)} min (target ≤ 10 min) |`);
      const perFile = (ms: number): string => (ms / Math.max(1, report.files.length)).toFixed(0);
      console.log('\n| stage | thread | ms total | ms per file |\n|---|---|---|---|');
      for (const [k, v] of stages) console.log(`| ${k} | ${STAGE_THREAD[k] ?? 'main (wall time; the two files in flight share the thread)'} | ${v} | ${perFile(v)} |`);
      console.log(`| wall clock | — | ${Math.round(invS * 1000)} | ${perFile(invS * 1000)} |`);
      const first: LeakReport = { ...report, files: report.files.filter((f) => !f.file.startsWith('copy-')) };
      console.log('\n' + formatScore(scoreLeakCase(truth, first), truth));
    } finally {
      await t.close();
    }
  } finally {
    if (process.argv.includes('--keep')) console.log(`(kept ${work})`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** Where each stage runs (the report's per-stage times are summed per thread, so they can exceed the wall clock). */
const STAGE_THREAD: Record<string, string> = {
  watermark_wall: 'watermark worker (wall time from start to result, overlaps retrieval)',
  verify: 'compute worker (compute time)',
  alteration: 'compute worker (compute time)',
};

await main();
