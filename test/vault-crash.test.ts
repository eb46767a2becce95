import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tm, tmSpawn } from './helpers/cli.js';
import { noiseImage } from './helpers/images.js';

const SUBJECTS = 24;

/** Starts an import and SIGKILLs it once `afterSubjects` subjects were reported done (from its info log). */
function importAndKill(dir: string, env: Record<string, string>, afterSubjects: number): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const child = tmSpawn(['records', 'import', dir], { ...env, TRACEMARK_LOG_LEVEL: 'info' });
    let seen = 0;
    let buf = '';
    child.stderr.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.includes('"import.subject"') && !l.includes('"images_added":0')) seen++;
      if (seen >= afterSubjects && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL' }));
  });
}

test('an import killed with SIGKILL at several points leaves a healthy vault, and a re-run completes it', async () => {
  const dir = tempDir('crash-in');
  for (let i = 0; i < SUBJECTS; i++) {
    const ref = `K-${String(i).padStart(3, '0')}`;
    mkdirSync(join(dir, ref));
    writeFileSync(join(dir, ref, 'id_front.png'), await noiseImage(420, 280, 100 + i));
    writeFileSync(join(dir, ref, 'selfie.jpg'), await noiseImage(300, 300, 500 + i, 'jpeg'));
    writeFileSync(join(dir, ref, 'record.json'), JSON.stringify({ full_name: `Person ${i}`, document_number: `D${i}X` }));
  }
  const env = { TRACEMARK_HOME: join(tempDir('crash-home'), 'v') };
  assert.equal(tm(['init'], env).status, 0);

  let kills = 0;
  for (const at of [2, 9, 17]) {
    const r = await importAndKill(dir, env, at);
    if (r.killed) kills++;
    const doc = tm(['doctor', '--json'], env);
    const report = doc.json<{ healthy: boolean; findings: { code: string }[]; audit: { ok: boolean } }>();
    assert.equal(report.healthy, true, `doctor after kill at ${at}: ${JSON.stringify(report.findings)}`);
    assert.equal(report.audit.ok, true);
    for (const f of report.findings) assert.equal(f.code, 'ORPHAN_BLOB', 'only orphans (from a write cut short) are acceptable');
  }
  assert.ok(kills >= 2, `the import was really killed mid-way (${kills} of 3 kills landed)`);

  const final = tm(['records', 'import', dir, '--json'], env);
  assert.equal(final.status, 0, final.stderr);
  const list = tm(['records', 'list', '--json', '--limit', '1000'], env).json<{ total: number; subjects: { images: number }[] }>();
  assert.equal(list.total, SUBJECTS);
  assert.ok(list.subjects.every((s) => s.images === 2), 'every image landed exactly once');
  const fixed = tm(['doctor', '--fix', '--json'], env).json<{ healthy: boolean; imagesChecked: number }>();
  assert.equal(fixed.healthy, true);
  assert.equal(fixed.imagesChecked, SUBJECTS * 2);
  const clean = tm(['doctor', '--json'], env).json<{ orphanBlobs: number }>();
  assert.equal(clean.orphanBlobs, 0);
  assert.match(tm(['audit', 'verify'], env).stdout, /^OK/);
});
