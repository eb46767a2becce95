/**
 * `npm run bench:investigate [-- --subjects 40 --seed 5]`: generates a leak case (synthetic vault, vendors, a leaked
 * folder with doctored copies and distractors), imports it into a fresh vault, investigates the leak and prints
 * images/s, where the time goes, and the scorer's accuracy table. (The issue's scale target — 1,000 leaked images
 * against a 100,000-image vault — is not reproduced here; see README Performance.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/core/config.js';
import { initTracemark, openTracemark } from '../src/app/tracemark.js';
import { loadBenchPhotos, makeLeakCase } from '../test/fixtures/synth/index.js';
import { formatScore, scoreLeakCase } from '../test/fixtures/synth/score.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tm-bench-inv-'));
  try {
    const subjects = arg('subjects', 40);
    const seed = arg('seed', 5);
    console.log(`bench:investigate — generating a leak case: ${subjects} subjects, seed ${seed}`);
    const truth = await makeLeakCase({ out: join(work, 'case'), subjects, seed, photos: await loadBenchPhotos() });
    const cfg = loadConfig({ TRACEMARK_HOME: join(work, 'home'), TRACEMARK_LOG_LEVEL: 'error', TRACEMARK_ACTOR: 'bench' });
    await initTracemark(cfg);
    const t = await openTracemark(cfg);
    try {
      let t0 = performance.now();
      await t.importer.importDir(join(work, 'case', 'vault'));
      const importS = (performance.now() - t0) / 1000;
      await t.releases.importLog(join(work, 'case', 'recipients.json'));
      t0 = performance.now();
      const { report } = await t.investigations.investigate(join(work, 'case', 'leak'), { purpose: 'benchmark' });
      const invS = (performance.now() - t0) / 1000;
      const stages = Object.entries(report.timings.per_stage_ms).sort((a, b) => b[1] - a[1]);
      const busy = stages.filter(([k]) => k !== 'watermark_wall').reduce((a, [, v]) => a + v, 0);
      console.log('\n| measure | value |\n|---|---|');
      console.log(`| vault import | ${subjects} subjects, ${(report.vault.images)} images in ${importS.toFixed(1)} s |`);
      console.log(`| leaked files investigated | ${report.files.length} (+${report.skipped.length} skipped) in ${invS.toFixed(1)} s |`);
      console.log(`| images/s | ${(report.files.length / invS).toFixed(2)} |`);
      console.log(`| projected time for 1,000 leaked images | ${((1000 / (report.files.length / invS)) / 60).toFixed(1)} min |`);
      console.log('\n| stage | ms total | share of main-thread time |\n|---|---|---|');
      for (const [k, v] of stages) console.log(`| ${k}${k === 'watermark_wall' ? ' (worker, overlaps retrieval)' : ''} | ${v} | ${k === 'watermark_wall' ? '—' : `${((v / busy) * 100).toFixed(0)} %`} |`);
      console.log('\n' + formatScore(scoreLeakCase(truth, report), truth));
    } finally {
      await t.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
