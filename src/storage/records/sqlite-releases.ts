import type Database from 'better-sqlite3';
import { TracemarkError } from '../../core/errors.js';
import type { ImageKind, PendingAudit } from './record-store.js';
import type { ContractRow, HoldingRow, RecipientKind, RecipientRow, ReleaseChannel, ReleaseItemRow, ReleaseRow, ReleaseStore, ResolvedPayload } from './release-store.js';

type Row = Record<string, unknown>;

function recipientFrom(r: Row): RecipientRow {
  return {
    id: r.id as string, name: r.name as string, kind: r.kind as RecipientKind, service: (r.service as string | null) ?? null,
    scopeKinds: r.scope_kinds ? ((r.scope_kinds as string).split(',') as ImageKind[]) : null, createdAt: r.created_at as string,
  };
}
function itemFrom(r: Row): ReleaseItemRow {
  return { payload: r.payload as string, releaseId: r.release_id as string, subjectId: r.subject_id as string, imageId: r.image_id as string, kind: r.kind as ImageKind, createdAt: r.created_at as string };
}
function releaseFrom(r: Row): ReleaseRow {
  return { id: r.id as string, recipientId: r.recipient_id as string, createdAt: r.created_at as string, purpose: r.purpose as string, actor: r.actor as string, channel: r.channel as ReleaseChannel };
}

/**
 * Releases on the embedded SQLite file, sharing the record store's connection (and so its transactions and audit
 * chain: `appendInTx` is passed in).
 */
export class SqliteReleaseStore implements ReleaseStore {
  constructor(private readonly db: Database.Database, private readonly appendInTx: (a: PendingAudit) => void) {}

  async insertRecipient(r: RecipientRow, contracts: ContractRow[], audit: PendingAudit): Promise<void> {
    try {
      this.db.transaction(() => {
        this.db.prepare('INSERT INTO recipients (id, name, kind, service, scope_kinds, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(r.id, r.name, r.kind, r.service, r.scopeKinds ? r.scopeKinds.join(',') : null, r.createdAt);
        const c = this.db.prepare('INSERT OR IGNORE INTO recipient_contracts (recipient_id, start_date, end_date) VALUES (?, ?, ?)');
        for (const x of contracts) c.run(x.recipientId, x.start, x.end);
        this.appendInTx(audit);
      }).immediate();
    } catch (err) {
      if (err instanceof Error && String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) {
        throw new TracemarkError('RECIPIENT_EXISTS', `a recipient named ${JSON.stringify(r.name)} already exists`, { kind: 'conflict' });
      }
      throw err;
    }
  }

  async addContracts(contracts: ContractRow[]): Promise<number> {
    const c = this.db.prepare('INSERT OR IGNORE INTO recipient_contracts (recipient_id, start_date, end_date) VALUES (?, ?, ?)');
    let n = 0;
    this.db.transaction(() => {
      for (const x of contracts) n += c.run(x.recipientId, x.start, x.end).changes;
    }).immediate();
    return n;
  }

  async getRecipient(idOrName: string): Promise<RecipientRow | null> {
    const r = this.db.prepare('SELECT * FROM recipients WHERE id = ? OR name = ?').get(idOrName, idOrName) as Row | undefined;
    return r ? recipientFrom(r) : null;
  }

  async listRecipients(): Promise<RecipientRow[]> {
    return (this.db.prepare('SELECT * FROM recipients ORDER BY name').all() as Row[]).map(recipientFrom);
  }

  async contractsOf(recipientId: string): Promise<ContractRow[]> {
    return (this.db.prepare('SELECT * FROM recipient_contracts WHERE recipient_id = ? ORDER BY start_date').all(recipientId) as Row[]).map((r) => ({
      recipientId: r.recipient_id as string, start: r.start_date as string, end: r.end_date as string,
    }));
  }

  async insertRelease(release: ReleaseRow, items: ReleaseItemRow[], audit: PendingAudit): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO releases (id, recipient_id, created_at, purpose, actor, channel) VALUES (?, ?, ?, ?, ?, ?)')
        .run(release.id, release.recipientId, release.createdAt, release.purpose, release.actor, release.channel);
      const it = this.db.prepare('INSERT INTO release_items (payload, release_id, subject_id, image_id, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)');
      const h = this.db.prepare("INSERT OR IGNORE INTO holdings (recipient_id, subject_id, start_date, end_date, source) VALUES (?, ?, ?, NULL, 'release')");
      for (const x of items) {
        it.run(x.payload, x.releaseId, x.subjectId, x.imageId, x.kind, x.createdAt);
        h.run(release.recipientId, x.subjectId, x.createdAt.slice(0, 10));
      }
      this.appendInTx(audit);
    }).immediate();
  }

  async resolvePayload(payload: string): Promise<ResolvedPayload | null> {
    const r = this.db.prepare('SELECT * FROM release_items WHERE payload = ?').get(payload.toLowerCase()) as Row | undefined;
    if (!r) return null;
    const item = itemFrom(r);
    const rel = this.db.prepare('SELECT * FROM releases WHERE id = ?').get(item.releaseId) as Row;
    const release = releaseFrom(rel);
    const recipient = recipientFrom(this.db.prepare('SELECT * FROM recipients WHERE id = ?').get(release.recipientId) as Row);
    return { item, release, recipient };
  }

  async itemsOf(recipientId: string): Promise<(ReleaseItemRow & { releaseCreatedAt: string })[]> {
    return (this.db.prepare('SELECT i.*, r.created_at AS release_created_at FROM release_items i JOIN releases r ON r.id = i.release_id WHERE r.recipient_id = ? ORDER BY i.created_at').all(recipientId) as Row[])
      .map((r) => ({ ...itemFrom(r), releaseCreatedAt: r.release_created_at as string }));
  }

  async addHoldings(rows: HoldingRow[]): Promise<number> {
    const h = this.db.prepare('INSERT OR IGNORE INTO holdings (recipient_id, subject_id, start_date, end_date, source) VALUES (?, ?, ?, ?, ?)');
    let n = 0;
    this.db.transaction(() => {
      for (const x of rows) n += h.run(x.recipientId, x.subjectId, x.start, x.end, x.source).changes;
    }).immediate();
    return n;
  }

  async allHoldings(): Promise<HoldingRow[]> {
    return (this.db.prepare('SELECT * FROM holdings ORDER BY recipient_id, subject_id').all() as Row[]).map((r) => ({
      recipientId: r.recipient_id as string, subjectId: r.subject_id as string, start: r.start_date as string, end: (r.end_date as string | null) ?? null, source: r.source as 'release' | 'log',
    }));
  }
}
