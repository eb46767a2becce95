/**
 * SQLite implementation of {@link HashStore} over a better-sqlite3 connection (usually the vault's own file). The
 * scheme is the portable form of multi-index hashing: `image_hash` keeps the 32-byte hash plus its 16 chunks of 16 bits
 * as indexed integer columns (c0 … c15), so the same exact radius-31 search runs as SQL on PostgreSQL (`c_k IN (17
 * values)` per chunk) while production loads the table into the in-memory index (`tracemark index rebuild`).
 */
import type Database from 'better-sqlite3';
import { TracemarkError, invalidArgument } from '../../core/errors.js';
import type { HashRowInfo, HashStore, ImageHashes } from './hash-store.js';

/**
 * Versioned migrations of the hash tables; never edit an applied one, add a new one. Portable SQL ({{blob}}), plus an
 * optional data step run in the same transaction.
 */
export const HASH_MIGRATIONS: { id: string; sql: string; data?: (db: Database.Database) => void }[] = [
  {
    id: 'hash_0001_image_hash',
    sql: `
CREATE TABLE IF NOT EXISTS image_hash (
  row_id INTEGER PRIMARY KEY,
  image_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  algo TEXT NOT NULL,
  hash {{blob}} NOT NULL,
  quality INTEGER NOT NULL,
  ${Array.from({ length: 16 }, (_, i) => `c${i} INTEGER NOT NULL`).join(',\n  ')}
);
CREATE INDEX IF NOT EXISTS image_hash_image ON image_hash (image_id);
CREATE INDEX IF NOT EXISTS image_hash_algo ON image_hash (algo, row_id);
${Array.from({ length: 16 }, (_, i) => `CREATE INDEX IF NOT EXISTS image_hash_c${i} ON image_hash (algo, c${i});`).join('\n')}
CREATE TABLE IF NOT EXISTS image_features (
  image_id TEXT PRIMARY KEY,
  algo TEXT NOT NULL,
  data {{blob}} NOT NULL
);
`,
  },
  {
    // Indexed ORB descriptors move from one image_hash row each (300 rows and 17 index entries per image: a 100k-image
    // vault had 30M rows and took minutes to load) to one packed blob per image. The descriptor index is approximate
    // by design (it only proposes candidates for geometric verification), so it gains nothing from the chunk columns.
    id: 'hash_0002_packed_descriptors',
    sql: `
CREATE TABLE IF NOT EXISTS image_descriptors (
  image_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  algo TEXT NOT NULL,
  count INTEGER NOT NULL,
  data {{blob}} NOT NULL
);
CREATE INDEX IF NOT EXISTS image_descriptors_algo ON image_descriptors (algo);
`,
    data: (db) => packDescriptorRows(db, 'orb-desc-v2'),
  },
];

/** Moves one algorithm's per-descriptor image_hash rows into packed image_descriptors blobs (row order kept). */
function packDescriptorRows(db: Database.Database, algo: string): void {
  const ins = db.prepare('INSERT OR REPLACE INTO image_descriptors (image_id, kind, algo, count, data) VALUES (?, ?, ?, ?, ?)');
  const images = new Map<string, { kind: string; parts: Buffer[] }>();
  const rows = db.prepare('SELECT image_id, kind, hash FROM image_hash WHERE algo = ? ORDER BY row_id').raw(true);
  for (const [imageId, kind, hash] of rows.iterate(algo) as Iterable<[string, string, Buffer]>) {
    const img = images.get(imageId) ?? { kind, parts: [] };
    img.parts.push(hash);
    images.set(imageId, img);
  }
  for (const [imageId, img] of images) ins.run(imageId, img.kind, algo, img.parts.length, Buffer.concat(img.parts));
  db.prepare('DELETE FROM image_hash WHERE algo = ?').run(algo);
}

const CHUNK_COLS = Array.from({ length: 16 }, (_, i) => `c${i}`);

/** The 16 chunk values (big-endian 16-bit words) of a 32-byte hash. */
export function chunksOf(hash: Uint8Array): number[] {
  const out: number[] = [];
  for (let c = 0; c < 16; c++) out.push((hash[2 * c]! << 8) | hash[2 * c + 1]!);
  return out;
}

/** Hash store in SQLite tables; pass the vault's better-sqlite3 connection (or any other). */
export class SqliteHashStore implements HashStore {
  constructor(private readonly db: Database.Database) {}

  migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
    for (const m of HASH_MIGRATIONS) {
      if (applied.has(m.id)) continue;
      this.db
        .transaction(() => {
          this.db.exec(m.sql.replaceAll('{{blob}}', 'BLOB'));
          m.data?.(this.db);
          this.db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, new Date().toISOString());
        })
        .immediate();
    }
  }

  put(entry: ImageHashes): number[] {
    if (!entry.imageId) throw invalidArgument('imageId', 'a vault image id', entry.imageId);
    for (const h of entry.hashes) if (h.hash.length !== 32) throw invalidArgument('hash', '32 bytes', `${h.hash.length} bytes`);
    if (entry.descriptors && entry.descriptors.data.length % 32 !== 0) throw invalidArgument('descriptors', 'a multiple of 32 bytes', `${entry.descriptors.data.length} bytes`);
    const ins = this.db.prepare(
      `INSERT INTO image_hash (image_id, kind, algo, hash, quality, ${CHUNK_COLS.join(', ')}) VALUES (?, ?, ?, ?, ?, ${CHUNK_COLS.map(() => '?').join(', ')})`,
    );
    return this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM image_hash WHERE image_id = ?').run(entry.imageId);
        this.db.prepare('DELETE FROM image_features WHERE image_id = ?').run(entry.imageId);
        this.db.prepare('DELETE FROM image_descriptors WHERE image_id = ?').run(entry.imageId);
        const rows = entry.hashes.map((h) => Number(ins.run(entry.imageId, entry.kind, h.algo, Buffer.from(h.hash), h.quality, ...chunksOf(h.hash)).lastInsertRowid));
        if (entry.features) {
          this.db.prepare('INSERT INTO image_features (image_id, algo, data) VALUES (?, ?, ?)').run(entry.imageId, entry.features.algo, Buffer.from(entry.features.data));
        }
        if (entry.descriptors && entry.descriptors.data.length > 0) {
          const d = entry.descriptors;
          this.db.prepare('INSERT INTO image_descriptors (image_id, kind, algo, count, data) VALUES (?, ?, ?, ?, ?)').run(entry.imageId, entry.kind, d.algo, d.data.length / 32, Buffer.from(d.data));
        }
        return rows;
      })
      .immediate();
  }

  removeImages(imageIds: string[]): number {
    const delH = this.db.prepare('DELETE FROM image_hash WHERE image_id = ?');
    const delF = this.db.prepare('DELETE FROM image_features WHERE image_id = ?');
    const delD = this.db.prepare('DELETE FROM image_descriptors WHERE image_id = ?');
    return this.db
      .transaction(() => {
        let n = 0;
        for (const id of imageIds) {
          n += delH.run(id).changes;
          delF.run(id);
          delD.run(id);
        }
        return n;
      })
      .immediate();
  }

  scan(algo: string, onBatch: (rows: Uint32Array, hashes: Uint8Array, images: { imageId: string; kind: string }[]) => void, batchSize = 65536): number {
    const stmt = this.db.prepare('SELECT row_id, hash, image_id, kind FROM image_hash WHERE algo = ? ORDER BY row_id').raw(true);
    let rows = new Uint32Array(batchSize);
    let hashes = new Uint8Array(batchSize * 32);
    let images: { imageId: string; kind: string }[] = [];
    let k = 0;
    let total = 0;
    for (const r of stmt.iterate(algo) as Iterable<[number, Buffer, string, string]>) {
      const [row, hash, imageId, kind] = r;
      if (row > 0xffffffff) throw new TracemarkError('HASH_ROW_RANGE', `image_hash row ${row} exceeds the index's 32-bit keys`, { kind: 'internal' });
      rows[k] = row;
      hashes.set(hash, k * 32);
      images.push({ imageId, kind });
      if (++k === batchSize) {
        onBatch(rows, hashes, images);
        total += k;
        k = 0;
        rows = new Uint32Array(batchSize);
        hashes = new Uint8Array(batchSize * 32);
        images = [];
      }
    }
    if (k > 0) onBatch(rows.subarray(0, k), hashes.subarray(0, k * 32), images);
    return total + k;
  }

  scanDescriptors(algo: string, onImage: (imageId: string, kind: string, data: Uint8Array) => void): number {
    let n = 0;
    const stmt = this.db.prepare('SELECT image_id, kind, data FROM image_descriptors WHERE algo = ? ORDER BY image_id').raw(true);
    for (const [imageId, kind, data] of stmt.iterate(algo) as Iterable<[string, string, Buffer]>) {
      onImage(imageId, kind, new Uint8Array(data.buffer, data.byteOffset, data.length));
      n++;
    }
    return n;
  }

  descriptorImages(algo: string): Set<string> {
    const rows = this.db.prepare('SELECT image_id FROM image_descriptors WHERE algo = ?').raw(true).all(algo) as [string][];
    return new Set(rows.map((r) => r[0]));
  }

  describe(rows: number[]): Map<number, HashRowInfo> {
    const out = new Map<number, HashRowInfo>();
    const stmt = this.db.prepare('SELECT row_id, image_id, kind, algo, quality FROM image_hash WHERE row_id = ?');
    for (const row of rows) {
      const r = stmt.get(row) as { row_id: number; image_id: string; kind: string; algo: string; quality: number } | undefined;
      if (r) out.set(row, { row: r.row_id, imageId: r.image_id, kind: r.kind, algo: r.algo, quality: r.quality });
    }
    return out;
  }

  features(imageId: string): { algo: string; data: Uint8Array } | null {
    const r = this.db.prepare('SELECT algo, data FROM image_features WHERE image_id = ?').get(imageId) as { algo: string; data: Buffer } | undefined;
    return r ? { algo: r.algo, data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.length) } : null;
  }

  hashedImages(algo: string): Set<string> {
    const rows = this.db.prepare('SELECT DISTINCT image_id FROM image_hash WHERE algo = ?').raw(true).all(algo) as [string][];
    return new Set(rows.map((r) => r[0]));
  }

  featureImages(algo: string): Set<string> {
    const rows = this.db.prepare('SELECT image_id FROM image_features WHERE algo = ?').raw(true).all(algo) as [string][];
    return new Set(rows.map((r) => r[0]));
  }

  count(algo?: string): number {
    const r = (algo === undefined ? this.db.prepare('SELECT COUNT(*) AS n FROM image_hash').get() : this.db.prepare('SELECT COUNT(*) AS n FROM image_hash WHERE algo = ?').get(algo)) as { n: number };
    return r.n;
  }

  /**
   * Exact radius-≤31 search in SQL alone (multi-index hashing on the chunk columns; the same statement runs on
   * PostgreSQL). Slower than the in-memory index; used to cross-check it and where no index is loaded.
   */
  searchSql(algo: string, query: Uint8Array, radius = 31): { row: number; distance: number }[] {
    if (!Number.isInteger(radius) || radius < 0 || radius > 31) throw invalidArgument('radius', 'an integer between 0 and 31 for SQL search', radius);
    const qc = chunksOf(query);
    const clauses: string[] = [];
    const params: (string | number)[] = [algo];
    qc.forEach((v, c) => {
      const vals = [v];
      if (radius >= 16) for (let b = 0; b < 16; b++) vals.push(v ^ (1 << b));
      clauses.push(`c${c} IN (${vals.map(() => '?').join(',')})`);
      params.push(...vals);
    });
    const rows = this.db.prepare(`SELECT row_id, hash FROM image_hash WHERE algo = ? AND (${clauses.join(' OR ')})`).raw(true).all(...params) as [number, Buffer][];
    const out: { row: number; distance: number }[] = [];
    for (const [row, hash] of rows) {
      let d = 0;
      for (let i = 0; i < 32; i++) {
        let x = hash[i]! ^ query[i]!;
        while (x) {
          x &= x - 1;
          d++;
        }
      }
      if (d <= radius) out.push({ row, distance: d });
    }
    return out.sort((a, b) => a.distance - b.distance || a.row - b.row);
  }
}
