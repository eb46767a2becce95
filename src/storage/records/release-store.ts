import type { ImageKind, PendingAudit } from './record-store.js';

/** Who receives copies: a member of staff or a third-party vendor. */
export type RecipientKind = 'vendor' | 'staff';

/** A recipient of released images. */
export interface RecipientRow {
  id: string;
  name: string;
  kind: RecipientKind;
  service: string | null;
  /** Image kinds this recipient may receive; null = all kinds. */
  scopeKinds: ImageKind[] | null;
  createdAt: string;
}

/** A period during which a recipient may receive and hold records (ISO dates, inclusive). */
export interface ContractRow {
  recipientId: string;
  start: string;
  end: string;
}

/** How copies left the vault. */
export type ReleaseChannel = 'release' | 'export' | 'api' | 'console';

/** One hand-over of copies to one recipient. */
export interface ReleaseRow {
  id: string;
  recipientId: string;
  createdAt: string;
  purpose: string;
  actor: string;
  channel: ReleaseChannel;
}

/** One marked copy: the 64-bit payload embedded in it names exactly this row. */
export interface ReleaseItemRow {
  payload: string;
  releaseId: string;
  subjectId: string;
  imageId: string;
  kind: ImageKind;
  createdAt: string;
}

/** That a recipient held a subject's record during a period (from a release, or from a historic processing log). */
export interface HoldingRow {
  recipientId: string;
  subjectId: string;
  start: string;
  end: string | null;
  source: 'release' | 'log';
}

/** A payload resolved to its release and recipient. */
export interface ResolvedPayload {
  item: ReleaseItemRow;
  release: ReleaseRow;
  recipient: RecipientRow;
}

/** Recipients, contracts, releases with their watermark payloads, and holdings. */
export interface ReleaseStore {
  insertRecipient(r: RecipientRow, contracts: ContractRow[], audit: PendingAudit): Promise<void>;
  /** Adds contract windows not already present; returns how many were new. */
  addContracts(contracts: ContractRow[]): Promise<number>;
  getRecipient(idOrName: string): Promise<RecipientRow | null>;
  listRecipients(): Promise<RecipientRow[]>;
  contractsOf(recipientId: string): Promise<ContractRow[]>;
  /** Records a release and its marked items (and the holdings they imply) atomically. Payloads are unique. */
  insertRelease(release: ReleaseRow, items: ReleaseItemRow[], audit: PendingAudit): Promise<void>;
  resolvePayload(payload: string): Promise<ResolvedPayload | null>;
  /** Items of one recipient's releases. */
  itemsOf(recipientId: string): Promise<(ReleaseItemRow & { releaseCreatedAt: string })[]>;
  /** Adds holdings not already present; returns how many were new. */
  addHoldings(rows: HoldingRow[]): Promise<number>;
  /** Every holding (release- and log-derived), for attribution. */
  allHoldings(): Promise<HoldingRow[]>;
}
