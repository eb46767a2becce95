/**
 * `npm run demo`: Tracemark end to end on the embedded default (SQLite + local files) in a throw-away home.
 * Synthetic sample records are generated, imported, looked up, read with a purpose, exported, and the audit log is
 * verified — each step is the real CLI, printed as you would type it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePerson } from '../test/fixtures/synth/people.js';
import { writeImportFolder } from '../test/fixtures/synth/import-folder.js';

const BIN = resolve('bin/tracemark.js');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'tracemark-demo-'));
const home = join(work, 'home');
const env = { ...process.env, TRACEMARK_HOME: home, TRACEMARK_ACTOR: 'demo-officer' };

function run(args: string[], opts: { allowFail?: boolean } = {}): string {
  process.stdout.write(`\n\x1b[1m$ tracemark ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\x1b[0m\n`);
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout);
  if (r.status !== 0 && !opts.allowFail) {
    process.stderr.write(`demo step failed (exit ${r.status})\n`);
    process.exit(1);
  }
  return r.stdout;
}

async function main(): Promise<void> {
  console.log(`Tracemark demo — throw-away vault in ${home}`);
  const people = Array.from({ length: 8 }, (_, i) => makePerson(i + 1, { ref: `C-${String(1001 + i)}` }));
  const inbox = join(work, 'inbox');
  await writeImportFolder(inbox, people);
  console.log(`generated ${people.length} synthetic KYC records (ID card + selfie + record.json) in ${inbox}`);

  run(['init']);
  run(['records', 'import', inbox]);
  run(['records', 'list']);
  const p = people[2]!;
  run(['records', 'find', '--document-number', p.document_number.toLowerCase()]);
  run(['records', 'show', p.ref, '--purpose', 'demo: KYC review ticket DEMO-1']);
  run(['records', 'export-image', p.ref, 'id_front', join(work, 'exported-id-front.png'), '--purpose', 'demo: vendor re-check']);
  // Releases: each copy handed to a vendor carries its own watermark payload.
  const year = new Date().getUTCFullYear();
  run(['recipients', 'add', 'Acme Verify Ltd', '--kind', 'vendor', '--service', 'document re-checks', '--contract', `${year - 1}-01-01:${year + 1}-12-31`]);
  run(['recipients', 'add', 'Parcel Archiving BV', '--kind', 'vendor', '--service', 'archiving', '--contract', `${year - 1}-01-01:${year + 1}-12-31`]);
  const released = join(work, 'released-to-acme');
  run(['release', '--to', 'Acme Verify Ltd', '--subjects', ...people.slice(0, 4).map((x) => x.ref), '--kind', 'id_front', '--out', released, '--purpose', 'demo: quarterly re-check']);
  run(['release', '--to', 'Parcel Archiving BV', '--subjects', ...people.slice(3, 7).map((x) => x.ref), '--kind', 'id_front', '--out', join(work, 'released-to-parcel'), '--purpose', 'demo: archiving']);

  // A leak: Acme's copies turn up online, re-compressed, resized and cropped; one unrelated photo is mixed in.
  const leak = join(work, 'leak');
  mkdirSync(leak);
  for (const [i, f] of readdirSync(released).sort().entries()) {
    const img = sharp(join(released, f));
    const m = await img.metadata();
    const w = m.width ?? 1000, h = m.height ?? 600;
    await sharp(join(released, f)).extract({ left: Math.round(w * 0.04), top: Math.round(h * 0.05), width: Math.round(w * 0.9), height: Math.round(h * 0.88) })
      .resize(Math.round(w * (0.7 + 0.1 * i))).jpeg({ quality: 70 }).toFile(join(leak, `IMG_${4810 + i}.jpg`));
  }
  await sharp({ create: { width: 800, height: 600, channels: 3, background: '#6a8caf' } }).jpeg().toFile(join(leak, 'unrelated.jpg'));
  console.log(`\nsimulated a leak: ${readdirSync(leak).length} files in ${leak}`);
  run(['investigate', leak, '--out', join(work, 'report.json'), '--html', join(work, 'report.html')]);
  run(['watermark', 'detect', join(leak, 'IMG_4810.jpg'), '--json']);

  run(['keys', 'rotate']);
  run(['records', 'erase', people[7]!.ref, '--reason', 'demo: GDPR art. 17 request']);
  run(['doctor']);
  run(['audit', 'show', '--subject', p.ref]);
  run(['audit', 'verify']);
  console.log(`\nDemo complete.${keep ? ` Vault kept at ${home} (TRACEMARK_HOME=${home}); report at ${join(work, 'report.html')}.` : ' The throw-away vault was removed (pass --keep to keep it and the HTML report).'}`);
  if (!keep) rmSync(work, { recursive: true, force: true });
}

await main();
