import { createHash, sign, verify as verifySig, type KeyObject } from 'node:crypto';
import type { AuditDraft, AuditRow, AuditStore, CheckpointRow, PendingAudit } from '../storage/records/record-store.js';

/** Hash of the (virtual) entry before the first one. */
export const GENESIS_HASH = '0'.repeat(64);
/** A signed checkpoint is written at least every this many entries (and after each command that wrote entries). */
export const CHECKPOINT_EVERY = 100;

/** Canonical JSON: keys sorted recursively, so the hash does not depend on property order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** The hash of an entry: SHA-256 over the previous hash and the canonical entry body including its sequence number. */
export function entryHash(prevHash: string, seq: number, d: AuditDraft): string {
  const body = canonical({ seq, at: d.at, actor: d.actor, action: d.action, subject_id: d.subjectId, purpose: d.purpose, details: d.details });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Chains a draft onto the current head (used by stores inside their transaction). */
export const sealEntry = (draft: AuditDraft, head: { seq: number; hash: string } | null): AuditRow => {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  return { ...draft, seq, prevHash, hash: entryHash(prevHash, seq, draft) };
};

function checkpointMessage(seq: number, hash: string, at: string): Buffer {
  return Buffer.from(`tracemark-audit-checkpoint/v1\n${seq}\n${hash}\n${at}`, 'utf8');
}

/** How far entries are searched when telling a moved entry from an edited one. */
const REORDER_WINDOW = 64;
type ProblemKind = 'altered' | 'removed' | 'inserted' | 'reordered' | 'truncated' | 'bad_checkpoint';

/** The position an entry was written at, if its stored hash is valid for a nearby position (it was moved). */
function originalSeq(e: AuditRow): number | null {
  for (let d = 1; d <= REORDER_WINDOW; d++) {
    for (const s of [e.seq - d, e.seq + d]) if (s >= 1 && entryHash(e.prevHash, s, e) === e.hash) return s;
  }
  return null;
}

/**
 * Explains why entry `e` does not continue the chain whose head is `head`: an edit (content no longer matches its
 * hash), an entry moved from elsewhere (reordered), an entry slipped in (inserted, later entries renumbered), or an
 * entry taken out (removed, later entries renumbered).
 */
function diagnose(e: AuditRow, head: string, seen: Map<string, number>, ahead: AuditRow[]): [number, ProblemKind, string] {
  const intact = entryHash(e.prevHash, e.seq, e) === e.hash;
  const orig = intact ? e.seq : originalSeq(e);
  const next = ahead[0];
  if (orig === null && next && next.prevHash === head && entryHash(next.prevHash, next.seq - 1, next) === next.hash) {
    return [e.seq, 'inserted', `entry #${e.seq} was inserted (the entry after it continues the chain from #${e.seq - 1})`];
  }
  if (orig === null) return [e.seq, 'altered', `entry #${e.seq} was altered (its content no longer matches its hash)`];
  const predecessorAt = seen.get(e.prevHash);
  if (orig < e.seq && predecessorAt !== undefined && predecessorAt === e.seq - 2) {
    return [e.seq - 1, 'inserted', `entry #${e.seq - 1} was inserted (it is not part of the original chain; later entries were renumbered)`];
  }
  if (orig === e.seq && predecessorAt === undefined) {
    return [e.seq, 'inserted', `entry #${e.seq} does not follow the entry before it: an entry was inserted before it`];
  }
  if (orig > e.seq && predecessorAt === undefined && !ahead.some((a) => a.prevHash === head)) {
    return [e.seq, 'removed', `${orig - e.seq === 1 ? `an entry` : `${orig - e.seq} entries`} before #${e.seq} were removed and later entries renumbered (this entry was written as #${orig})`];
  }
  return [e.seq, 'reordered', `entry #${e.seq} is out of order (it was written as #${orig})`];
}

/** Outcome of {@link AuditLog.verify}. */
export interface AuditVerification {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** Sequence number of the last entry covered by a valid signed checkpoint. */
  lastCheckpointSeq: number | null;
  /** First problem found, in words a person can act on. */
  problem: { seq: number; kind: ProblemKind; message: string } | null;
}

/**
 * The tamper-evident audit log: an append-only hash chain (each entry commits to the one before) plus periodic
 * Ed25519-signed checkpoints of the head. The chain shows any edit, deletion, insertion or reordering inside the log;
 * the signed checkpoints stop someone with database access from rewriting the chain from some point on, or cutting
 * off its tail, because they cannot sign a new head without the keyring.
 */
export class AuditLog {
  constructor(
    private readonly store: AuditStore,
    private readonly signer: { privateKey: KeyObject; publicKey: KeyObject; keyId: string },
    private readonly actor: string,
  ) {}

  /** An entry to be appended by a store in the same transaction as the change it records. */
  pending(action: string, subjectId: string | null, opts: { purpose?: string | null; details?: Record<string, unknown> } = {}): PendingAudit {
    return { draft: { at: new Date().toISOString(), actor: this.actor, action, subjectId, purpose: opts.purpose ?? null, details: opts.details ?? {} }, seal: sealEntry };
  }

  /** Appends an entry on its own (reads, exports, key operations). */
  async record(action: string, subjectId: string | null, opts: { purpose?: string | null; details?: Record<string, unknown> } = {}): Promise<AuditRow> {
    const row = await this.store.appendAudit(this.pending(action, subjectId, opts));
    if (row.seq % CHECKPOINT_EVERY === 0) await this.checkpoint();
    return row;
  }

  /** Signs the current head (no-op when the head is already signed). */
  async checkpoint(): Promise<CheckpointRow | null> {
    const head = await this.store.auditHead();
    if (!head) return null;
    const last = await this.store.lastCheckpoint();
    if (last && last.seq === head.seq) return last;
    const at = new Date().toISOString();
    const cp: CheckpointRow = { seq: head.seq, hash: head.hash, at, keyId: this.signer.keyId, signature: sign(null, checkpointMessage(head.seq, head.hash, at), this.signer.privateKey).toString('base64') };
    await this.store.insertCheckpoint(cp);
    return cp;
  }

  /** Entries, optionally for one subject, in order. */
  async show(opts: { subjectId?: string; limit?: number; afterSeq?: number } = {}): Promise<AuditRow[]> {
    return this.store.listAudit({ limit: opts.limit ?? 1000, ...(opts.subjectId ? { subjectId: opts.subjectId } : {}), ...(opts.afterSeq !== undefined ? { afterSeq: opts.afterSeq } : {}) });
  }

  /** Walks the whole chain and every checkpoint; names the first entry that was altered, removed, inserted or reordered. */
  async verify(): Promise<AuditVerification> {
    const cps = await this.store.listCheckpoints();
    const cpBySeq = new Map(cps.map((c) => [c.seq, c]));
    // Checkpoint signatures first: a forged checkpoint would otherwise vouch for a rewritten chain.
    for (const cp of cps) {
      const good = cp.keyId === this.signer.keyId && verifySig(null, checkpointMessage(cp.seq, cp.hash, cp.at), this.signer.publicKey, Buffer.from(cp.signature, 'base64'));
      if (!good) return { ok: false, entries: 0, checkpoints: cps.length, lastCheckpointSeq: null, problem: { seq: cp.seq, kind: 'bad_checkpoint', message: `the signed checkpoint at entry #${cp.seq} has an invalid signature (forged or altered)` } };
    }
    const seen = new Map<string, number>(); // hash → seq, to recognise entries that moved
    let prevHash = GENESIS_HASH;
    let expected = 1;
    let count = 0;
    let lastCp: number | null = null;
    let after = 0;
    const fail = (seq: number, kind: ProblemKind, message: string): AuditVerification => ({ ok: false, entries: count, checkpoints: cps.length, lastCheckpointSeq: lastCp, problem: { seq, kind, message } });
    for (;;) {
      const page = await this.store.listAudit({ afterSeq: after, limit: 2000 });
      if (page.length === 0) break;
      for (let i = 0; i < page.length; i++) {
        const e = page[i] as AuditRow;
        count++;
        if (e.seq > expected) return fail(expected, 'removed', `entry #${expected}${e.seq - expected > 1 ? `–#${e.seq - 1}` : ''} was removed (the log jumps from #${expected - 1} to #${e.seq})`);
        if (e.prevHash !== prevHash || entryHash(e.prevHash, e.seq, e) !== e.hash) {
          return fail(...diagnose(e, prevHash, seen, page.slice(i + 1, i + 1 + REORDER_WINDOW)));
        }
        const cp = cpBySeq.get(e.seq);
        if (cp) {
          if (cp.hash !== e.hash) return fail(e.seq, 'altered', `entries up to #${e.seq} differ from what the signed checkpoint at #${e.seq} recorded (the chain was rewritten)`);
          lastCp = e.seq;
        }
        seen.set(e.hash, e.seq);
        prevHash = e.hash;
        expected = e.seq + 1;
        after = e.seq;
      }
    }
    const lastSigned = cps[cps.length - 1];
    if (lastSigned && lastSigned.seq >= expected) return fail(expected, 'truncated', `entries from #${expected} to #${lastSigned.seq} were removed (a signed checkpoint covers #${lastSigned.seq}, the log ends at #${expected - 1})`);
    return { ok: true, entries: count, checkpoints: cps.length, lastCheckpointSeq: lastCp, problem: null };
  }
}
