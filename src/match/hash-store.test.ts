/** SQLite hash store: idempotent migrations, put/replace/scan/delete, and SQL-side MIH equal to the in-memory index. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { HASH_MIGRATIONS, SqliteHashStore } from '../storage/hashes/sqlite.js';
import { MihIndex } from './mih.js';

function near(h: Uint8Array, bits: number): Uint8Array {
  const o = h.slice();
  const used = new Set<number>();
  while (used.size < bits) used.add(Math.floor(Math.random() * 256));
  for (const b of used) o[b >> 3]! ^= 1 << (b & 7);
  return o;
}

test('migrate is idempotent; put replaces; scan streams; remove erases', () => {
  const db = new Database(':memory:');
  const s = new SqliteHashStore(db);
  s.migrate();
  s.migrate();
  const h1 = new Uint8Array(randomBytes(32));
  const rows1 = s.put({ imageId: 'img-1', kind: 'selfie', hashes: [{ algo: 'pdq-v1', hash: h1, quality: 90 }], features: { algo: 'orb-v1', data: new Uint8Array([1, 2, 3]) } });
  assert.equal(rows1.length, 1);
  s.put({ imageId: 'img-1', kind: 'selfie', hashes: [{ algo: 'pdq-v1', hash: h1, quality: 91 }] });
  assert.equal(s.count('pdq-v1'), 1);
  assert.equal(s.features('img-1'), null, 'replaced without features');
  s.put({ imageId: 'img-2', kind: 'id_front', hashes: [{ algo: 'pdq-v1', hash: near(h1, 5), quality: 80 }], features: { algo: 'orb-v1', data: new Uint8Array([9]) } });
  assert.deepEqual(Array.from(s.features('img-2')!.data), [9]);
  const seen: string[] = [];
  const n = s.scan('pdq-v1', (rows, hashes, images) => {
    assert.equal(hashes.length, rows.length * 32);
    seen.push(...images.map((i) => i.imageId));
  }, 1);
  assert.equal(n, 2);
  assert.deepEqual(seen.sort(), ['img-1', 'img-2']);
  assert.deepEqual([...s.hashedImages('pdq-v1')].sort(), ['img-1', 'img-2']);
  assert.equal(s.removeImages(['img-1', 'img-2']), 2);
  assert.equal(s.count(), 0);
  assert.equal(s.features('img-2'), null);
  assert.throws(() => s.put({ imageId: 'x', kind: 'other', hashes: [{ algo: 'pdq-v1', hash: new Uint8Array(8), quality: 1 }] }), /32 bytes/);
});

test('SQL multi-index search equals the in-memory index at radius 31', () => {
  const db = new Database(':memory:');
  const s = new SqliteHashStore(db);
  s.migrate();
  const m = new MihIndex();
  const centres = Array.from({ length: 20 }, () => new Uint8Array(randomBytes(32)));
  for (let i = 0; i < 400; i++) {
    const h = near(centres[i % 20]!, Math.floor(Math.random() * 50));
    const [row] = s.put({ imageId: `img-${i}`, kind: 'id_front', hashes: [{ algo: 'pdq-v1', hash: h, quality: 100 }] });
    m.add(row!, h);
  }
  for (let q = 0; q < 40; q++) {
    const query = near(centres[q % 20]!, Math.floor(Math.random() * 30));
    const a = s.searchSql('pdq-v1', query, 31).map((x) => ({ key: x.row, distance: x.distance }));
    assert.deepEqual(a, m.search(query, { radius: 31 }));
  }
});

test('migration 0002 packs per-row descriptors of an older vault into one blob per image, in row order', () => {
  const db = new Database(':memory:');
  // A vault migrated before hash_0002: descriptors as image_hash rows.
  db.exec('CREATE TABLE schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  db.exec(HASH_MIGRATIONS[0]!.sql.replaceAll('{{blob}}', 'BLOB'));
  db.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(HASH_MIGRATIONS[0]!.id, 'then');
  const cols = Array.from({ length: 16 }, (_, i) => `c${i}`).join(', ');
  const ins = db.prepare(`INSERT INTO image_hash (image_id, kind, algo, hash, quality, ${cols}) VALUES (?, ?, ?, ?, 0, ${Array(16).fill(0).join(', ')})`);
  const descs = Array.from({ length: 5 }, () => Buffer.from(randomBytes(32)));
  ins.run('a', 'selfie', 'pdq-v1', Buffer.alloc(32));
  ins.run('a', 'selfie', 'orb-desc-v2', descs[0]);
  ins.run('b', 'id_front', 'orb-desc-v2', descs[1]);
  ins.run('a', 'selfie', 'orb-desc-v2', descs[2]);
  ins.run('a', 'selfie', 'orb-desc-v2', descs[3]);
  ins.run('b', 'id_front', 'orb-desc-v2', descs[4]);
  const s = new SqliteHashStore(db);
  s.migrate();
  const got = new Map<string, { kind: string; data: Buffer }>();
  assert.equal(s.scanDescriptors('orb-desc-v2', (id, kind, data) => got.set(id, { kind, data: Buffer.from(data) })), 2);
  assert.deepEqual(got.get('a'), { kind: 'selfie', data: Buffer.concat([descs[0]!, descs[2]!, descs[3]!]) });
  assert.deepEqual(got.get('b'), { kind: 'id_front', data: Buffer.concat([descs[1]!, descs[4]!]) });
  assert.equal(s.count('orb-desc-v2'), 0, 'per-row descriptors removed');
  assert.equal(s.count('pdq-v1'), 1);
  assert.deepEqual([...s.descriptorImages('orb-desc-v2')].sort(), ['a', 'b']);
  s.removeImages(['a']);
  assert.deepEqual([...s.descriptorImages('orb-desc-v2')], ['b']);
  assert.throws(() => s.put({ imageId: 'x', kind: 'other', hashes: [], descriptors: { algo: 'orb-desc-v2', data: new Uint8Array(33) } }), /multiple of 32/);
});
