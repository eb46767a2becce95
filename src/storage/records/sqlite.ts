import Database from 'better-sqlite3';
import { TracemarkError } from '../../core/errors.js';
import { MIGRATIONS, renderMigration } from './migrations/index.js';
import type {
  AuditRow, AuditStore, BlindIndexKind, BlindIndexRow, CheckpointRow, DataKeyRow, FaceDescriptorRow, FieldRow, ImageKind, ImageRow,
  PendingAudit, RecordStore, StoreLifecycle, SubjectRow, SubjectStatus,
} from './record-store.js';

type Row = Record<string, unknown>;

function subjectFrom(r: Row): SubjectRow {
  return {
    id: r.id as string, ref: r.ref as string, status: r.status as SubjectStatus, source: r.source as string,
    createdAt: r.created_at as string, recordDate: (r.record_date as string | null) ?? null, dkVersion: r.dk_version as number,
    erasedAt: (r.erased_at as string | null) ?? null, kycStatus: (r.kyc_status as string | null) ?? null,
  };
}

function imageFrom(r: Row): ImageRow {
  return {
    id: r.id as string, subjectId: r.subject_id as string, kind: r.kind as ImageKind, blobKey: r.blob_key as string,
    sha256: r.sha256 as string, format: r.format as string, width: r.width as number, height: r.height as number,
    byteSize: r.byte_size as number, createdAt: r.created_at as string, source: r.source as string, status: r.status as 'active' | 'erased',
  };
}

function auditFrom(r: Row): AuditRow {
  return {
    seq: r.seq as number, at: r.at as string, actor: r.actor as string, action: r.action as string,
    subjectId: (r.subject_id as string | null) ?? null, purpose: (r.purpose as string | null) ?? null,
    details: JSON.parse(r.details as string) as Record<string, unknown>, prevHash: r.prev_hash as string, hash: r.hash as string,
  };
}

function checkpointFrom(r: Row): CheckpointRow {
  return { seq: r.seq as number, hash: r.hash as string, at: r.at as string, keyId: r.key_id as string, signature: r.signature as string };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('SQLITE_CONSTRAINT');
}

/**
 * The embedded metadata store: one SQLite file through better-sqlite3 (synchronous, so every method's transaction is
 * atomic within the process; WAL + busy timeout let a second process wait its turn). Methods are async to keep the
 * same interface as the PostgreSQL store.
 */
export class SqliteStore implements RecordStore, AuditStore, StoreLifecycle {
  readonly kind = 'sqlite';
  /** The open connection, for sibling stores (hash index) that share the file. */
  readonly db: Database.Database;

  constructor(path: string) {
    try {
      this.db = new Database(path);
    } catch (err) {
      throw new TracemarkError('STORE_UNAVAILABLE', `cannot open the metadata database at ${path}`, { kind: 'dependency', cause: err });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 10000');
  }

  async migrate(): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT id FROM schema_migrations').all() as Row[]).map((r) => r.id as string));
    for (const m of MIGRATIONS) {
      if (applied.has(m.id)) continue;
      this.db.transaction(() => {
        this.db.exec(renderMigration(m.sql, { blob: 'BLOB' }));
        this.db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, new Date().toISOString());
      }).immediate();
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Appends inside the caller's transaction (shared with sibling stores on this connection). */
  appendInTx(audit: PendingAudit): AuditRow {
    const head = this.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const row = audit.seal(audit.draft, head ?? null);
    this.db
      .prepare('INSERT INTO audit_log (seq, at, actor, action, subject_id, purpose, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.seq, row.at, row.actor, row.action, row.subjectId, row.purpose, JSON.stringify(row.details), row.prevHash, row.hash);
    return row;
  }

  async insertSubject(s: SubjectRow, fields: FieldRow[], dk: DataKeyRow, indexes: BlindIndexRow[], audit: PendingAudit): Promise<void> {
    try {
      this.db.transaction(() => {
        this.db
          .prepare('INSERT INTO subjects (id, ref, status, source, created_at, record_date, dk_version, erased_at, kyc_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(s.id, s.ref, s.status, s.source, s.createdAt, s.recordDate, s.dkVersion, s.erasedAt, s.kycStatus);
        const f = this.db.prepare('INSERT INTO subject_fields (subject_id, field, ciphertext) VALUES (?, ?, ?)');
        for (const x of fields) f.run(x.subjectId, x.field, x.ciphertext);
        this.db.prepare('INSERT INTO data_keys (subject_id, dk_version, kek_version, wrapped) VALUES (?, ?, ?, ?)').run(dk.subjectId, dk.dkVersion, dk.kekVersion, dk.wrapped);
        const b = this.db.prepare('INSERT OR IGNORE INTO blind_indexes (subject_id, kind, digest) VALUES (?, ?, ?)');
        for (const x of indexes) b.run(x.subjectId, x.kind, x.digest);
        this.appendInTx(audit);
      }).immediate();
    } catch (err) {
      if (isUniqueViolation(err)) throw new TracemarkError('SUBJECT_EXISTS', `a subject with ref ${s.ref} already exists`, { kind: 'conflict', details: { ref: s.ref } });
      throw err;
    }
  }

  async getSubject(id: string): Promise<SubjectRow | null> {
    const r = this.db.prepare('SELECT * FROM subjects WHERE id = ?').get(id) as Row | undefined;
    return r ? subjectFrom(r) : null;
  }

  async getSubjectByRef(ref: string): Promise<SubjectRow | null> {
    const r = this.db.prepare('SELECT * FROM subjects WHERE ref = ?').get(ref) as Row | undefined;
    return r ? subjectFrom(r) : null;
  }

  async listSubjects(opts: { limit: number; offset: number; status?: SubjectStatus }): Promise<SubjectRow[]> {
    const rows = opts.status
      ? this.db.prepare('SELECT * FROM subjects WHERE status = ? ORDER BY ref LIMIT ? OFFSET ?').all(opts.status, opts.limit, opts.offset)
      : this.db.prepare('SELECT * FROM subjects ORDER BY ref LIMIT ? OFFSET ?').all(opts.limit, opts.offset);
    return (rows as Row[]).map(subjectFrom);
  }

  async countSubjects(status?: SubjectStatus): Promise<number> {
    const r = (status
      ? this.db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE status = ?').get(status)
      : this.db.prepare('SELECT COUNT(*) AS n FROM subjects').get()) as { n: number };
    return r.n;
  }

  async getFields(subjectId: string): Promise<FieldRow[]> {
    return (this.db.prepare('SELECT subject_id, field, ciphertext FROM subject_fields WHERE subject_id = ? ORDER BY field').all(subjectId) as Row[]).map((r) => ({
      subjectId: r.subject_id as string, field: r.field as string, ciphertext: r.ciphertext as Buffer,
    }));
  }

  async getDataKey(subjectId: string): Promise<DataKeyRow | null> {
    const r = this.db.prepare('SELECT * FROM data_keys WHERE subject_id = ?').get(subjectId) as Row | undefined;
    return r ? { subjectId: r.subject_id as string, dkVersion: r.dk_version as number, kekVersion: r.kek_version as number, wrapped: r.wrapped as Buffer } : null;
  }

  async findByBlindIndex(kind: BlindIndexKind, digest: string): Promise<string[]> {
    return (this.db.prepare('SELECT subject_id FROM blind_indexes WHERE kind = ? AND digest = ? ORDER BY subject_id').all(kind, digest) as Row[]).map((r) => r.subject_id as string);
  }

  async insertImage(img: ImageRow, audit: PendingAudit): Promise<void> {
    try {
      this.db.transaction(() => {
        this.db
          .prepare('INSERT INTO images (id, subject_id, kind, blob_key, sha256, format, width, height, byte_size, created_at, source, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(img.id, img.subjectId, img.kind, img.blobKey, img.sha256, img.format, img.width, img.height, img.byteSize, img.createdAt, img.source, img.status);
        this.appendInTx(audit);
      }).immediate();
    } catch (err) {
      if (isUniqueViolation(err)) throw new TracemarkError('IMAGE_EXISTS', `subject ${img.subjectId} already has this image`, { kind: 'conflict', details: { subjectId: img.subjectId } });
      throw err;
    }
  }

  async getImage(id: string): Promise<ImageRow | null> {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as Row | undefined;
    return r ? imageFrom(r) : null;
  }

  async listImages(subjectId: string): Promise<ImageRow[]> {
    return (this.db.prepare('SELECT * FROM images WHERE subject_id = ? ORDER BY created_at, id').all(subjectId) as Row[]).map(imageFrom);
  }

  async findImageBySha(subjectId: string, sha256: string): Promise<ImageRow | null> {
    const r = this.db.prepare('SELECT * FROM images WHERE subject_id = ? AND sha256 = ?').get(subjectId, sha256) as Row | undefined;
    return r ? imageFrom(r) : null;
  }

  async listAllImages(opts: { afterId: string | null; limit: number }): Promise<ImageRow[]> {
    return (this.db.prepare("SELECT * FROM images WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?").all(opts.afterId ?? '', opts.limit) as Row[]).map(imageFrom);
  }

  async allBlobKeys(): Promise<Set<string>> {
    return new Set((this.db.prepare("SELECT blob_key FROM images WHERE status = 'active'").all() as Row[]).map((r) => r.blob_key as string));
  }

  async eraseSubject(subjectId: string, at: string, audit: PendingAudit): Promise<string[]> {
    let keys: string[] = [];
    this.db.transaction(() => {
      keys = (this.db.prepare("SELECT blob_key FROM images WHERE subject_id = ? AND status = 'active'").all(subjectId) as Row[]).map((r) => r.blob_key as string);
      this.db.prepare('DELETE FROM data_keys WHERE subject_id = ?').run(subjectId);
      this.db.prepare('DELETE FROM subject_fields WHERE subject_id = ?').run(subjectId);
      this.db.prepare('DELETE FROM blind_indexes WHERE subject_id = ?').run(subjectId);
      this.db.prepare('DELETE FROM face_descriptors WHERE subject_id = ?').run(subjectId);
      this.db.prepare("UPDATE images SET status = 'erased' WHERE subject_id = ?").run(subjectId);
      this.db.prepare("UPDATE subjects SET status = 'erased', erased_at = ? WHERE id = ?").run(at, subjectId);
      this.appendInTx(audit);
    }).immediate();
    return keys;
  }

  async dataKeysNotAt(version: number, limit: number): Promise<DataKeyRow[]> {
    return (this.db.prepare('SELECT * FROM data_keys WHERE kek_version <> ? ORDER BY subject_id LIMIT ?').all(version, limit) as Row[]).map((r) => ({
      subjectId: r.subject_id as string, dkVersion: r.dk_version as number, kekVersion: r.kek_version as number, wrapped: r.wrapped as Buffer,
    }));
  }

  async rewrapDataKeys(rows: DataKeyRow[]): Promise<void> {
    const upd = this.db.prepare('UPDATE data_keys SET kek_version = ?, wrapped = ? WHERE subject_id = ? AND dk_version = ?');
    this.db.transaction(() => {
      for (const r of rows) upd.run(r.kekVersion, r.wrapped, r.subjectId, r.dkVersion);
    }).immediate();
  }

  async dataKeyVersions(): Promise<Map<number, number>> {
    const rows = this.db.prepare('SELECT kek_version AS v, COUNT(*) AS n FROM data_keys GROUP BY kek_version ORDER BY kek_version').all() as { v: number; n: number }[];
    return new Map(rows.map((r) => [r.v, r.n]));
  }

  async putFaceDescriptor(row: FaceDescriptorRow, audit: PendingAudit): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO face_descriptors (subject_id, model, ciphertext, created_at) VALUES (?, ?, ?, ?)').run(row.subjectId, row.model, row.ciphertext, row.createdAt);
      this.appendInTx(audit);
    }).immediate();
  }

  async listFaceDescriptors(model: string): Promise<FaceDescriptorRow[]> {
    return (this.db.prepare("SELECT f.* FROM face_descriptors f JOIN subjects s ON s.id = f.subject_id WHERE f.model = ? AND s.status = 'active' ORDER BY f.subject_id").all(model) as Row[]).map((r) => ({
      subjectId: r.subject_id as string, model: r.model as string, ciphertext: r.ciphertext as Buffer, createdAt: r.created_at as string,
    }));
  }

  async setKycStatus(subjectId: string, status: string, audit: PendingAudit): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('UPDATE subjects SET kyc_status = ? WHERE id = ?').run(status, subjectId);
      this.appendInTx(audit);
    }).immediate();
  }

  async appendAudit(audit: PendingAudit): Promise<AuditRow> {
    return this.db.transaction(() => this.appendInTx(audit)).immediate();
  }

  async auditHead(): Promise<{ seq: number; hash: string } | null> {
    return (this.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? null;
  }

  async listAudit(opts: { subjectId?: string; afterSeq?: number; limit: number }): Promise<AuditRow[]> {
    const after = opts.afterSeq ?? -1;
    const rows = opts.subjectId
      ? this.db.prepare('SELECT * FROM audit_log WHERE subject_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(opts.subjectId, after, opts.limit)
      : this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(after, opts.limit);
    return (rows as Row[]).map(auditFrom);
  }

  async insertCheckpoint(cp: CheckpointRow): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?)').run(cp.seq, cp.hash, cp.at, cp.keyId, cp.signature);
  }

  async listCheckpoints(): Promise<CheckpointRow[]> {
    return (this.db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq').all() as Row[]).map(checkpointFrom);
  }

  async lastCheckpoint(): Promise<CheckpointRow | null> {
    const r = this.db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as Row | undefined;
    return r ? checkpointFrom(r) : null;
  }
}
