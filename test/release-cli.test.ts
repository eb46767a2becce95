import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tm } from './helpers/cli.js';
import { noiseImage } from './helpers/images.js';

test('recipients, contract windows, marked releases, processing logs and unmarked exports', async () => {
  const work = tempDir('release');
  const env = { TRACEMARK_HOME: join(work, 'home') };
  const inbox = join(work, 'in');
  for (const [i, ref] of ['R-1', 'R-2', 'R-3'].entries()) {
    mkdirSync(join(inbox, ref), { recursive: true });
    writeFileSync(join(inbox, ref, 'id_front.jpg'), await noiseImage(760, 560, 40 + i, 'jpeg'));
    writeFileSync(join(inbox, ref, 'proof_of_address.png'), await noiseImage(560, 720, 60 + i));
  }
  assert.equal(tm(['init'], env).status, 0);
  assert.equal(tm(['records', 'import', inbox], env).status, 0);
  const year = new Date().getUTCFullYear();
  assert.equal(tm(['recipients', 'add', 'Acme Checks', '--kind', 'vendor', '--service', 'address checks', '--contract', `${year - 1}-01-01:${year + 1}-12-31`, '--scope', 'proof_of_address'], env).status, 0);
  assert.equal(tm(['recipients', 'add', 'Expired Ltd', '--kind', 'vendor', '--contract', '2019-01-01:2019-12-31'], env).status, 0);
  assert.equal(tm(['recipients', 'add', 'Acme Checks', '--kind', 'vendor'], env).status, 2, 'names are unique');
  const badWindow = tm(['recipients', 'add', 'X', '--kind', 'vendor', '--contract', '2020-05-01:2020-01-01'], env);
  assert.equal(badWindow.status, 2);
  assert.match(badWindow.stderr, /START ≤ END/);

  const expired = tm(['release', '--to', 'Expired Ltd', '--subjects', 'R-1', '--out', join(work, 'o1'), '--purpose', 'quarterly check'], env);
  assert.equal(expired.status, 2);
  assert.match(expired.stderr, /no contract window covering/);
  const scope = tm(['release', '--to', 'Acme Checks', '--subjects', 'R-1', '--out', join(work, 'o2'), '--purpose', 'quarterly check'], env);
  assert.equal(scope.status, 2);
  assert.match(scope.stderr, /may not receive id_front/);

  const out = join(work, 'o3');
  const rel = tm(['release', '--to', 'Acme Checks', '--subjects', 'R-1', 'R-2', '--kind', 'proof_of_address', '--out', out, '--purpose', 'quarterly check', '--json'], env);
  assert.equal(rel.status, 0, rel.stderr);
  const files = rel.json<{ files: { file: string; payload: string; subject: string }[] }>().files;
  assert.equal(files.length, 2);
  assert.deepEqual(readdirSync(out).sort(), files.map((f) => f.file).sort());
  assert.notEqual(files[0]?.payload, files[1]?.payload, 'a fresh payload per copy');
  for (const f of files) {
    const d = tm(['watermark', 'detect', join(out, f.file), '--json'], env).json<{ detected: boolean; payload: string }>();
    assert.equal(d.payload, f.payload);
  }

  writeFileSync(join(work, 'log.json'), JSON.stringify({ vendors: [
    { name: 'Legacy Scan Co', service: 'archiving', contracts: [{ start: '2021-02-01', end: '2022-01-31' }], records_sent: ['R-2', 'R-3', 'R-404'] },
    { name: 'Acme Checks', service: 'address checks', contracts: [{ start: '2020-01-01', end: '2020-12-31' }], records_sent: ['R-1'] },
  ] }));
  const log1 = tm(['recipients', 'import-log', join(work, 'log.json'), '--json'], env).json<{ recipientsCreated: number; holdingsAdded: number; unknownRefs: string[] }>();
  assert.equal(log1.recipientsCreated, 1);
  assert.equal(log1.holdingsAdded, 3);
  assert.deepEqual(log1.unknownRefs, ['R-404']);
  const log2 = tm(['recipients', 'import-log', join(work, 'log.json'), '--json'], env).json<{ recipientsCreated: number; holdingsAdded: number }>();
  assert.deepEqual([log2.recipientsCreated, log2.holdingsAdded], [0, 0], 'idempotent');
  const list = tm(['recipients', 'list', '--json'], env).json<{ recipients: { name: string; subjectsHeld: number }[] }>().recipients;
  assert.equal(list.find((r) => r.name === 'Legacy Scan Co')?.subjectsHeld, 2);
  assert.equal(list.find((r) => r.name === 'Acme Checks')?.subjectsHeld, 2);

  const orig = join(work, 'orig.jpg');
  assert.equal(tm(['records', 'export-original', 'R-3', 'id_front', orig, '--purpose', 'court order 7'], env).status, 0);
  const d = tm(['watermark', 'detect', orig, '--json'], env).json<{ detected: boolean }>();
  assert.equal(d.detected, false, 'the admin path hands out the unmarked original');
  const trail = tm(['audit', 'show', '--subject', 'R-3', '--json'], env).json<{ entries: { action: string; purpose: string }[] }>().entries;
  assert.equal(trail.at(-1)?.action, 'image.export_original');
  assert.equal(trail.at(-1)?.purpose, 'court order 7');
  assert.match(tm(['audit', 'verify'], env).stdout, /^OK/);
});
