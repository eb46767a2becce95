import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TracemarkError, invalidArgument } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ImageKind, ImageRow, RecordStore, SubjectRow } from '../storage/records/record-store.js';
import type { ContractRow, HoldingRow, RecipientKind, RecipientRow, ReleaseChannel, ReleaseStore } from '../storage/records/release-store.js';
import { embedFile, type EmbedOutput, type WatermarkKey } from '../watermark/index.js';
import { parseImageKind, requirePurpose, type RecordsService } from './records-service.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses a contract window given as `START:END` (ISO dates, inclusive). */
export function parseWindow(s: string): { start: string; end: string } {
  const [start, end] = s.split(':');
  if (!start || !end || !DATE.test(start) || !DATE.test(end) || start > end) throw invalidArgument('contract', 'START:END as YYYY-MM-DD:YYYY-MM-DD with START ≤ END', s);
  return { start, end };
}

/** Output format of a marked copy: the original's when it is JPEG/PNG/WebP, else PNG. */
export function copyFormat(image: ImageRow): EmbedOutput {
  switch (image.format) {
    case 'jpeg':
      return { format: 'jpeg', quality: 92 };
    case 'webp':
      return { format: 'webp', quality: 92 };
    default:
      return { format: 'png' };
  }
}

const EXT: Record<EmbedOutput['format'], string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

/** What the release service needs; wired in src/app. */
export interface ReleaseDeps {
  records: RecordStore;
  releases: ReleaseStore;
  service: RecordsService;
  audit: AuditLog;
  watermarkKey: () => Promise<WatermarkKey>;
  limits: { maxPixels: number };
  actor: string;
}

/** Summary of a release run. */
export interface ReleaseSummary {
  releaseId: string;
  recipient: string;
  files: { subject: string; kind: ImageKind; file: string; payload: string }[];
  failures: { subject: string; code: string; message: string }[];
}

/**
 * Recipients and releases: every copy that leaves the vault is marked with a fresh random 64-bit payload recorded
 * with (recipient, subject, image, time, purpose) before the file is written, so any copy found later names its
 * hand-over. Historic processing logs record what vendors held before marking existed.
 */
export class ReleaseService {
  constructor(private readonly d: ReleaseDeps) {}

  /** Adds a staff member or vendor, with contract windows (`START:END`) and an optional scope of image kinds. */
  async addRecipient(input: { name: string; kind: string; service?: string; contracts?: string[]; scope?: string[] }): Promise<RecipientRow> {
    const name = input.name.trim();
    if (!name || name.length > 120) throw invalidArgument('name', 'a recipient name of 1–120 characters', input.name);
    if (input.kind !== 'vendor' && input.kind !== 'staff') throw invalidArgument('kind', '"vendor" or "staff"', input.kind);
    const r: RecipientRow = {
      id: newId('rcp'), name, kind: input.kind as RecipientKind, service: input.service?.trim() || null,
      scopeKinds: input.scope && input.scope.length ? input.scope.map(parseImageKind) : null, createdAt: new Date().toISOString(),
    };
    const contracts: ContractRow[] = (input.contracts ?? []).map((c) => ({ recipientId: r.id, ...parseWindow(c) }));
    await this.d.releases.insertRecipient(r, contracts, this.d.audit.pending('recipient.create', null, { details: { recipient_id: r.id, kind: r.kind, contracts: contracts.length } }));
    return r;
  }

  /** A recipient by id or name, or a clear not-found error. */
  async recipient(idOrName: string): Promise<RecipientRow> {
    const r = await this.d.releases.getRecipient(idOrName);
    if (!r) throw new TracemarkError('RECIPIENT_NOT_FOUND', `no recipient ${JSON.stringify(idOrName.slice(0, 80))}`, { kind: 'not_found', hint: 'List them with `tracemark recipients list`, or add one with `tracemark recipients add`.' });
    return r;
  }

  /** Recipients with their contracts and how many subjects each holds. */
  async list(): Promise<(RecipientRow & { contracts: ContractRow[]; subjectsHeld: number; copiesReleased: number })[]> {
    const holdings = await this.d.releases.allHoldings();
    const out = [];
    for (const r of await this.d.releases.listRecipients()) {
      out.push({
        ...r,
        contracts: await this.d.releases.contractsOf(r.id),
        subjectsHeld: new Set(holdings.filter((h) => h.recipientId === r.id).map((h) => h.subjectId)).size,
        copiesReleased: (await this.d.releases.itemsOf(r.id)).length,
      });
    }
    return out;
  }

  /** Refuses a hand-over outside the recipient's contract windows or scope. Staff without contracts are unrestricted in time. */
  private async checkAllowed(r: RecipientRow, kinds: ImageKind[], today: string): Promise<void> {
    const contracts = await this.d.releases.contractsOf(r.id);
    if (r.kind === 'vendor' || contracts.length > 0) {
      if (!contracts.some((c) => c.start <= today && today <= c.end)) {
        throw new TracemarkError('OUTSIDE_CONTRACT', `${r.name} has no contract window covering ${today}`, { kind: 'forbidden', hint: `Windows: ${contracts.map((c) => `${c.start}..${c.end}`).join(', ') || 'none'}. Add one with \`tracemark recipients add-contract\`.` });
      }
    }
    if (r.scopeKinds) {
      const outside = kinds.filter((k) => !r.scopeKinds?.includes(k));
      if (outside.length) throw new TracemarkError('OUTSIDE_SCOPE', `${r.name} may not receive ${[...new Set(outside)].join(', ')} images (scope: ${r.scopeKinds.join(', ')})`, { kind: 'forbidden' });
    }
  }

  /** A fresh random payload (never all zeros) as 16 hex digits. */
  private newPayload(): string {
    for (;;) {
      const p = randomBytes(8);
      if (p.some((b) => b !== 0)) return p.toString('hex');
    }
  }

  /**
   * Makes one marked copy of an image for a recipient: records the payload, then returns the marked bytes. Used by
   * releases, `records export-image` and the API, so no path hands out unmarked bytes.
   */
  async markedCopy(image: ImageRow, opts: { recipient: RecipientRow; purpose: string; channel: ReleaseChannel; releaseId?: string }): Promise<{ bytes: Buffer; payload: string; ext: string }> {
    const key = await this.d.watermarkKey();
    const original = await this.d.service.readImage(image, { purpose: opts.purpose, action: `image.${opts.channel}`, details: { recipient_id: opts.recipient.id } });
    const payload = this.newPayload();
    const fmt = copyFormat(image);
    const bytes = await embedFile(original, image.id, Buffer.from(payload, 'hex'), key, fmt, this.d.limits);
    const now = new Date().toISOString();
    const releaseId = opts.releaseId ?? newId('rel');
    await this.d.releases.insertRelease(
      { id: releaseId, recipientId: opts.recipient.id, createdAt: now, purpose: opts.purpose, actor: this.d.actor, channel: opts.channel },
      [{ payload, releaseId, subjectId: image.subjectId, imageId: image.id, kind: image.kind, createdAt: now }],
      this.d.audit.pending('release.item', image.subjectId, { purpose: opts.purpose, details: { release_id: releaseId, recipient_id: opts.recipient.id, image_id: image.id, channel: opts.channel } }),
    );
    return { bytes, payload, ext: EXT[fmt.format] };
  }

  /** The staff recipient standing for an operator who exports through the CLI or console (created on first use). */
  async staffRecipient(actor: string): Promise<RecipientRow> {
    const name = `staff:${actor}`;
    const existing = await this.d.releases.getRecipient(name);
    return existing ?? this.addRecipient({ name, kind: 'staff', service: 'vault operator' });
  }

  /** Releases marked copies of the given subjects' images to a recipient, one file per image, in `outDir`. */
  async release(input: { to: string; subjects: string[]; outDir: string; purpose: string | undefined; kinds?: string[]; onProgress?: (done: number, total: number) => void }): Promise<ReleaseSummary> {
    const purpose = requirePurpose(input.purpose);
    const recipient = await this.recipient(input.to);
    const today = new Date().toISOString().slice(0, 10);
    const kinds = input.kinds?.length ? input.kinds.map(parseImageKind) : null;
    const subjects: { s: SubjectRow; images: ImageRow[] }[] = [];
    const failures: ReleaseSummary['failures'] = [];
    for (const ref of input.subjects) {
      try {
        const s = await this.d.service.resolve(ref);
        if (s.status !== 'active') throw new TracemarkError('SUBJECT_ERASED', `subject ${s.ref} was erased`, { kind: 'not_found' });
        const images = (await this.d.records.listImages(s.id)).filter((i) => i.status === 'active' && (!kinds || kinds.includes(i.kind)));
        subjects.push({ s, images });
      } catch (err) {
        failures.push({ subject: ref, code: err instanceof TracemarkError ? err.code : 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
      }
    }
    await this.checkAllowed(recipient, subjects.flatMap((x) => x.images.map((i) => i.kind)), today);
    await mkdir(input.outDir, { recursive: true, mode: 0o700 });
    const releaseId = newId('rel');
    const files: ReleaseSummary['files'] = [];
    const total = subjects.reduce((a, x) => a + x.images.length, 0);
    let done = 0;
    for (const { s, images } of subjects) {
      for (const image of images) {
        try {
          const copy = await this.markedCopy(image, { recipient, purpose, channel: 'release', releaseId });
          const file = `${s.ref}_${image.kind}_${image.id.slice(4, 10)}.${copy.ext}`;
          const fh = await open(join(input.outDir, file), 'wx', 0o600);
          try {
            await fh.writeFile(copy.bytes);
          } finally {
            await fh.close();
          }
          files.push({ subject: s.ref, kind: image.kind, file, payload: copy.payload });
        } catch (err) {
          failures.push({ subject: s.ref, code: err instanceof TracemarkError ? err.code : 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
        }
        input.onProgress?.(++done, total);
      }
    }
    return { releaseId, recipient: recipient.name, files, failures };
  }

  /**
   * Reads a historic processing log `{"vendors": [{"name", "service", "contracts": [{"start","end"}],
   * "records_sent": [refs]}]}` and records that each vendor held those subjects during those windows. Idempotent;
   * unknown refs are reported, not fatal.
   */
  async importLog(path: string): Promise<{ vendors: number; recipientsCreated: number; contractsAdded: number; holdingsAdded: number; unknownRefs: string[] }> {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      throw new TracemarkError('LOG_UNREADABLE', `cannot read ${path} as JSON`, { kind: 'user', hint: 'Expected {"vendors": [{"name", "service", "contracts": [{"start","end"}], "records_sent": [refs]}]}.' });
    }
    const vendors = (doc as { vendors?: unknown }).vendors;
    if (!Array.isArray(vendors)) throw new TracemarkError('LOG_INVALID', `${path}: expected a "vendors" array`, { kind: 'user' });
    let recipientsCreated = 0, contractsAdded = 0, holdingsAdded = 0;
    const unknown = new Set<string>();
    for (const [i, v] of vendors.entries()) {
      const name = typeof v?.name === 'string' ? v.name : null;
      if (!name) throw new TracemarkError('LOG_INVALID', `${path}: vendors[${i}] has no name`, { kind: 'user' });
      const windows = (Array.isArray(v.contracts) ? v.contracts : []).map((c: { start?: unknown; end?: unknown }) => {
        const start = String(c?.start ?? '').slice(0, 10), end = String(c?.end ?? '').slice(0, 10);
        return parseWindow(`${start}:${end}`);
      });
      let r = await this.d.releases.getRecipient(name);
      if (!r) {
        r = await this.addRecipient({ name, kind: 'vendor', ...(typeof v.service === 'string' ? { service: v.service } : {}) });
        recipientsCreated++;
      }
      const rid = r.id;
      contractsAdded += await this.d.releases.addContracts(windows.map((w: { start: string; end: string }) => ({ recipientId: rid, ...w })));
      const rows: HoldingRow[] = [];
      for (const ref of Array.isArray(v.records_sent) ? v.records_sent : []) {
        const s = typeof ref === 'string' ? await this.d.records.getSubjectByRef(ref) : null;
        if (!s) {
          unknown.add(String(ref));
          continue;
        }
        for (const w of windows) rows.push({ recipientId: rid, subjectId: s.id, start: w.start, end: w.end, source: 'log' });
      }
      holdingsAdded += await this.d.releases.addHoldings(rows);
    }
    await this.d.audit.record('recipients.import_log', null, { details: { vendors: vendors.length, holdings_added: holdingsAdded, unknown_refs: unknown.size } });
    return { vendors: vendors.length, recipientsCreated, contractsAdded, holdingsAdded, unknownRefs: [...unknown].sort() };
  }
}
