/**
 * Gathers what attribution needs from the stores — every recipient's holdings (from marked releases and historic
 * processing logs), contract windows, the leaked subjects' record dates, watermark hits — and ranks the recipients.
 */
import type { SubjectRow } from '../storage/records/record-store.js';
import type { ReleaseStore } from '../storage/records/release-store.js';
import { rankAttribution } from './attribution.js';
import type { ReportAttribution } from './report.js';

/** Inputs gathered by the investigation. */
export interface AttributionQuery {
  releases: ReleaseStore;
  /** Active subjects in the vault (the population leaked subjects are drawn from). */
  vaultSize: number;
  leakedSubjectIds: string[];
  subjects: Map<string, SubjectRow>;
  /** One recipient name per watermark that resolved to a release. */
  watermarkHits: string[];
}

/** Ranks every recipient that held at least one leaked subject or left a watermark. */
export async function rankRecipients(q: AttributionQuery): Promise<ReportAttribution[]> {
  const recipients = [];
  const holdings = await q.releases.allHoldings();
  for (const r of await q.releases.listRecipients()) {
    const held = holdings.filter((h) => h.recipientId === r.id);
    recipients.push({
      name: r.name,
      kind: r.kind,
      held: [...new Set(held.map((h) => h.subjectId))],
      windows: (await q.releases.contractsOf(r.id)).map((c) => ({ start: c.start, end: c.end })),
      watermarkHits: q.watermarkHits.filter((n) => n === r.name).length,
    });
  }
  const recordDates = new Map<string, string | null>(q.leakedSubjectIds.map((id) => [id, q.subjects.get(id)?.recordDate ?? null]));
  return rankAttribution({ vaultSize: q.vaultSize, leaked: q.leakedSubjectIds, recordDates, recipients });
}
