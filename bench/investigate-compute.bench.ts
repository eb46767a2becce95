/**
 * `npm run bench:investigate-compute [-- --subjects 30 --seed 5 --reps 3] [-- --home DIR --leak DIR]`
 *
 * CPU time of an investigation's pixel work per leaked file — verification of candidates, and the comparison with
 * the matched original (alignment refinement + alteration detection) — measured as process CPU on one thread, which
 * wall-clock stage times on a shared machine cannot give:
 * 1. a generated leak case is imported into a fresh vault (or `--home`/`--leak` name an imported vault and its
 *    leaked folder, e.g. one made with `npm run make-leak-case` and imported as README "Leak investigation" says);
 * 2. the investigation runs as usual while the jobs it hands to its compute pool are recorded (the pool's methods
 *    are wrapped; the jobs are the same pixels and homographies the worker receives);
 * 3. the recorded jobs are replayed on this thread: the first pass is cold (what a fresh worker pays, caches empty,
 *    code not yet optimised), later passes warm (a long investigation's steady state). Their results are hashed, so
 *    two builds can be checked for identical output as well as timed.
 * The content keys the pool sends with each job (image/pixel-key.ts, main thread, once per raster) are timed apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/core/config.js';
import { initTracemark, openTracemark } from '../src/app/tracemark.js';
import { ComputePool } from '../src/investigate/compute-pool.js';
import { runComputeJob, type ComputeCandidate, type ComputeJob } from '../src/investigate/compute.js';
import { pixelKey, pixelKeyOnce } from '../src/image/pixel-key.js';
import type { Pixels } from '../src/image/planes.js';
import { loadBenchPhotos, makeLeakCase } from '../test/fixtures/synth/index.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const num = (name: string, def: number): number => Number(arg(name) ?? def);

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs an investigation of `leak` in the vault at `home`, returning the compute jobs it sent and its file count. */
async function record(home: string, leak: string): Promise<{ jobs: ComputeJob[]; files: number }> {
  const jobs: ComputeJob[] = [];
  // Wrap the pool's two entry points (restored afterwards): what they receive is exactly what the worker gets.
  const proto = ComputePool.prototype;
  const verify = proto.verify;
  const compare = proto.compare;
  proto.verify = function (this: ComputePool, leaked: Pixels, cands: ComputeCandidate[], timings: Record<string, number>, minAgreement?: number) {
    jobs.push({ op: 'verify', leaked, cands: cands.map((c) => ({ imageId: c.imageId, kind: c.kind, group: c.group, original: c.original, homography: c.homography, ...(c.reference !== undefined ? { reference: c.reference } : {}) })), ...(minAgreement === undefined ? {} : { minAgreement }) });
    return verify.call(this, leaked, cands, timings, minAgreement);
  };
  proto.compare = function (this: ComputePool, leaked: Pixels, cand: ComputeCandidate, timings: Record<string, number>) {
    jobs.push({ op: 'compare', leaked, cand: { imageId: cand.imageId, kind: cand.kind, group: cand.group, original: cand.original, homography: cand.homography } });
    return compare.call(this, leaked, cand, timings);
  };
  const cfg = loadConfig({ TRACEMARK_HOME: home, TRACEMARK_LOG_LEVEL: 'error', TRACEMARK_ACTOR: 'bench' });
  const t = await openTracemark(cfg);
  try {
    const { report } = await t.investigations.investigate(leak, { purpose: 'benchmark' });
    return { jobs, files: report.files.length };
  } finally {
    proto.verify = verify;
    proto.compare = compare;
    await t.close();
  }
}

/** Replays the jobs once: CPU ms per op and a digest of every result (independent of the jobs' order). */
function replay(jobs: ComputeJob[]): { ms: Record<string, number>; digest: string } {
  const ms: Record<string, number> = { verify: 0, compare: 0 };
  const each: string[] = [];
  for (const j of jobs) {
    const t0 = cpuMs();
    const v = runComputeJob(j);
    ms[j.op] = ms[j.op]! + cpuMs() - t0;
    const json = JSON.stringify(v, (_k, x: unknown) => (x instanceof Float32Array || x instanceof Uint8Array ? Array.from(x) : typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x));
    each.push(createHash('sha256').update(json).digest('hex'));
  }
  // Sorted: the two files in flight interleave their jobs in whatever order the threads ran them.
  return { ms, digest: createHash('sha256').update(each.sort().join('')).digest('hex').slice(0, 16) };
}

async function main(): Promise<void> {
  const reps = Math.max(1, num('reps', 3));
  let home = arg('home');
  let leak = arg('leak');
  let work: string | null = null;
  if (!home || !leak) {
    work = mkdtempSync(join(tmpdir(), 'tm-bench-invc-'));
    const subjects = num('subjects', 30);
    const seed = num('seed', 5);
    console.log(`leak case: ${subjects} subjects, seed ${seed} (generating and importing)`);
    await makeLeakCase({ out: join(work, 'case'), subjects, seed, photos: await loadBenchPhotos() });
    home = join(work, 'home');
    leak = join(work, 'case', 'leak');
    const cfg = loadConfig({ TRACEMARK_HOME: home, TRACEMARK_LOG_LEVEL: 'error', TRACEMARK_ACTOR: 'bench' });
    await initTracemark(cfg);
    const t = await openTracemark(cfg);
    try {
      await t.importer.importDir(join(work, 'case', 'vault'));
      await t.releases.importLog(join(work, 'case', 'recipients.json'));
    } finally {
      await t.close();
    }
  }
  try {
    const { jobs, files } = await record(home, leak);
    // Content keys, as the pool sends them (computed on the main thread once per raster object: timed here afresh).
    const rasters = new Set<Pixels>();
    for (const j of jobs) {
      j.leakedKey = pixelKeyOnce(j.leaked);
      rasters.add(j.leaked);
      for (const c of j.op === 'verify' ? j.cands : [j.cand]) {
        c.originalKey = pixelKeyOnce(c.original);
        rasters.add(c.original);
      }
    }
    const k0 = cpuMs();
    for (const r of rasters) pixelKey(r);
    const keyMs = cpuMs() - k0;
    const nv = jobs.filter((j) => j.op === 'verify').length;
    console.log(`\n${files} leaked files: ${nv} verify jobs, ${jobs.length - nv} compare jobs\n`);
    console.log('| pass | verify CPU ms/file | compare (refine + alteration) CPU ms/file | total CPU ms/file | result digest |\n|---|---|---|---|---|');
    const per = (ms: number): string => (ms / Math.max(1, files)).toFixed(0);
    for (let r = 0; r < reps; r++) {
      const { ms, digest } = replay(jobs);
      console.log(`| ${r === 0 ? 'cold (fresh worker)' : `warm ${r}`} | ${per(ms.verify!)} | ${per(ms.compare!)} | ${per(ms.verify! + ms.compare!)} | ${digest} |`);
    }
    console.log(`| content keys (main thread, once per raster) | — | — | ${per(keyMs)} | — |`);
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

await main();
