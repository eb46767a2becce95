import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../storage/records/sqlite.js';
import { AuditLog } from './audit-log.js';

async function logWith(n: number): Promise<{ store: SqliteStore; log: AuditLog; done: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tm-audit-'));
  const store = new SqliteStore(join(dir, 'db.sqlite'));
  await store.migrate();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const log = new AuditLog(store, { privateKey, publicKey, keyId: 'k1' }, 'tester');
  for (let i = 1; i <= n; i++) await log.record(i % 2 ? 'subject.read' : 'image.export', `sub_${i}`, { purpose: `case ${i}` });
  return { store, log, done: () => { void store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('an untouched log verifies', async () => {
  const { log, done } = await logWith(12);
  await log.checkpoint();
  const v = await log.verify();
  assert.equal(v.ok, true);
  assert.equal(v.entries, 12);
  assert.equal(v.lastCheckpointSeq, 12);
  done();
});

test('an edited entry is named', async () => {
  const { store, log, done } = await logWith(10);
  store.db.prepare("UPDATE audit_log SET purpose = 'nothing to see' WHERE seq = 4").run();
  const v = await log.verify();
  assert.equal(v.ok, false);
  assert.equal(v.problem?.kind, 'altered');
  assert.equal(v.problem?.seq, 4);
  done();
});

test('a deleted entry is named', async () => {
  const { store, log, done } = await logWith(10);
  store.db.prepare('DELETE FROM audit_log WHERE seq = 6').run();
  const v = await log.verify();
  assert.equal(v.problem?.kind, 'removed');
  assert.equal(v.problem?.seq, 6);
  done();
});

test('a deleted entry with later entries renumbered is named as a removal', async () => {
  const { store, log, done } = await logWith(10);
  store.db.prepare('DELETE FROM audit_log WHERE seq = 6').run();
  for (let s = 7; s <= 10; s++) store.db.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?').run(s - 1, s);
  const v = await log.verify();
  assert.equal(v.problem?.kind, 'removed');
  assert.equal(v.problem?.seq, 6);
  done();
});

test('reordered entries are named', async () => {
  const { store, log, done } = await logWith(10);
  // Swap the content of #3 and #4, keeping their positions.
  const cols = 'at, actor, action, subject_id, purpose, details, prev_hash, hash';
  const r3 = store.db.prepare(`SELECT ${cols} FROM audit_log WHERE seq = 3`).get() as Record<string, unknown>;
  const r4 = store.db.prepare(`SELECT ${cols} FROM audit_log WHERE seq = 4`).get() as Record<string, unknown>;
  const set = store.db.prepare('UPDATE audit_log SET at=@at, actor=@actor, action=@action, subject_id=@subject_id, purpose=@purpose, details=@details, prev_hash=@prev_hash, hash=@hash WHERE seq=@seq');
  set.run({ ...r4, seq: 3 });
  set.run({ ...r3, seq: 4 });
  const v = await log.verify();
  assert.equal(v.problem?.kind, 'reordered');
  assert.equal(v.problem?.seq, 3);
  done();
});

test('an inserted entry is named, even with a correctly recomputed hash', async () => {
  const { store, log, done } = await logWith(10);
  const { entryHash } = await import('./audit-log.js');
  for (let s = 10; s >= 5; s--) store.db.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?').run(s + 1, s);
  const prev = store.db.prepare('SELECT hash FROM audit_log WHERE seq = 4').get() as { hash: string };
  const draft = { at: new Date().toISOString(), actor: 'mallory', action: 'subject.read', subjectId: 'sub_x', purpose: 'cover story', details: {} };
  store.db.prepare('INSERT INTO audit_log (seq, at, actor, action, subject_id, purpose, details, prev_hash, hash) VALUES (5, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(draft.at, draft.actor, draft.action, draft.subjectId, draft.purpose, '{}', prev.hash, entryHash(prev.hash, 5, draft));
  const v = await log.verify();
  assert.equal(v.problem?.kind, 'inserted');
  assert.equal(v.problem?.seq, 5);
  done();
});

test('a cut-off tail is caught by the signed checkpoint', async () => {
  const { store, log, done } = await logWith(10);
  await log.checkpoint();
  store.db.prepare('DELETE FROM audit_log WHERE seq >= 8').run();
  const v = await log.verify();
  assert.equal(v.problem?.kind, 'truncated');
  assert.equal(v.problem?.seq, 8);
  done();
});

test('a rewritten chain cannot be re-signed without the key', async () => {
  const { store, log, done } = await logWith(6);
  await log.checkpoint();
  store.db.prepare("UPDATE audit_checkpoints SET hash = 'ab' || substr(hash, 3)").run();
  const v = await log.verify();
  assert.equal(v.problem?.kind, 'bad_checkpoint');
  done();
});
