/**
 * `npm run demo`: Tracemark end to end on the embedded default (SQLite + local files) in a throw-away home.
 * Synthetic sample records are generated, imported, looked up, read with a purpose, exported, and the audit log is
 * verified — each step is the real CLI, printed as you would type it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  run(['keys', 'rotate']);
  run(['records', 'erase', people[7]!.ref, '--reason', 'demo: GDPR art. 17 request']);
  run(['doctor']);
  run(['audit', 'show', '--subject', p.ref]);
  run(['audit', 'verify']);
  console.log(`\nDemo complete.${keep ? ` Vault kept at ${home} (TRACEMARK_HOME=${home}).` : ' The throw-away vault was removed (pass --keep to keep it).'}`);
  if (!keep) rmSync(work, { recursive: true, force: true });
}

await main();
