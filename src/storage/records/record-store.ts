/**
 * The metadata store: subjects, their encrypted fields, wrapped data keys, blind indexes, image metadata and the
 * audit chain. Values that are personal data only ever arrive here as ciphertext. Every mutating call takes the audit
 * entry that records it and appends it in the same transaction, so the log can neither miss nor invent an operation.
 * Implementations: `sqlite.ts` (embedded default); PostgreSQL follows with the same shape and migrations.
 */

/** Lifecycle of a subject. */
export type SubjectStatus = 'active' | 'erased';

/** Kinds of image a subject can have. */
export const IMAGE_KINDS = ['id_front', 'id_back', 'selfie', 'proof_of_address', 'other'] as const;
/** One of {@link IMAGE_KINDS}. */
export type ImageKind = (typeof IMAGE_KINDS)[number];

/** A subject's non-secret row. */
export interface SubjectRow {
  id: string;
  /** External reference from the source system (unique, shown in reports; not personal data). */
  ref: string;
  status: SubjectStatus;
  source: string;
  /** When the vault received it (ISO 8601). */
  createdAt: string;
  /** When the record entered the source system (ISO date), used to check contract windows; may be null. */
  recordDate: string | null;
  /** Version of the subject's data key that encrypted its values. */
  dkVersion: number;
  erasedAt: string | null;
  /** KYC decision once verified (approve/review/reject), null before. */
  kycStatus: string | null;
}

/** One encrypted PII field. */
export interface FieldRow {
  subjectId: string;
  field: string;
  ciphertext: Buffer;
}

/** A subject's data key, wrapped by a KEK version. */
export interface DataKeyRow {
  subjectId: string;
  dkVersion: number;
  kekVersion: number;
  wrapped: Buffer;
}

/** Kinds of blind index. */
export type BlindIndexKind = 'document_number' | 'email' | 'name_dob';

/** A keyed HMAC digest of a normalised value, for exact lookup without decryption. */
export interface BlindIndexRow {
  subjectId: string;
  kind: BlindIndexKind;
  digest: string;
}

/** Image metadata; the bytes are in the blob store under `blobKey`, encrypted with the subject's data key. */
export interface ImageRow {
  id: string;
  subjectId: string;
  kind: ImageKind;
  blobKey: string;
  /** SHA-256 of the plaintext bytes (de-duplication, doctor checks). */
  sha256: string;
  format: string;
  width: number;
  height: number;
  byteSize: number;
  createdAt: string;
  source: string;
  status: 'active' | 'erased';
}

/** What an audit entry says, before it is chained. No personal data: ids, actions, purposes, counts. */
export interface AuditDraft {
  at: string;
  actor: string;
  action: string;
  subjectId: string | null;
  purpose: string | null;
  details: Record<string, unknown>;
}

/** A chained audit entry as stored. */
export interface AuditRow extends AuditDraft {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Computes the chained row from the draft and the current head (supplied by the audit module). */
export type AuditSealer = (draft: AuditDraft, head: { seq: number; hash: string } | null) => AuditRow;

/** An audit entry to append in the same transaction as the change it records. */
export interface PendingAudit {
  draft: AuditDraft;
  seal: AuditSealer;
}

/** A signed statement of the chain head at some sequence number. */
export interface CheckpointRow {
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  signature: string;
}

/** A subject's face descriptor (biometric data): encrypted with the subject's data key like every other field. */
export interface FaceDescriptorRow {
  subjectId: string;
  /** Model that produced it (descriptors of different models are not comparable). */
  model: string;
  ciphertext: Buffer;
  createdAt: string;
}

/** Subjects, fields, keys, blind indexes, images. */
export interface RecordStore {
  /** Creates a subject with its fields, wrapped data key and blind indexes atomically. Fails with SUBJECT_EXISTS if the ref is taken. */
  insertSubject(subject: SubjectRow, fields: FieldRow[], dataKey: DataKeyRow, indexes: BlindIndexRow[], audit: PendingAudit): Promise<void>;
  getSubject(id: string): Promise<SubjectRow | null>;
  getSubjectByRef(ref: string): Promise<SubjectRow | null>;
  listSubjects(opts: { limit: number; offset: number; status?: SubjectStatus }): Promise<SubjectRow[]>;
  countSubjects(status?: SubjectStatus): Promise<number>;
  getFields(subjectId: string): Promise<FieldRow[]>;
  getDataKey(subjectId: string): Promise<DataKeyRow | null>;
  findByBlindIndex(kind: BlindIndexKind, digest: string): Promise<string[]>;
  /** Records image metadata (after its blob is durable). Fails with IMAGE_EXISTS on the same (subject, sha256). */
  insertImage(image: ImageRow, audit: PendingAudit): Promise<void>;
  getImage(id: string): Promise<ImageRow | null>;
  listImages(subjectId: string): Promise<ImageRow[]>;
  findImageBySha(subjectId: string, sha256: string): Promise<ImageRow | null>;
  /** Every active image (doctor, index rebuild), in id order, in pages. */
  listAllImages(opts: { afterId: string | null; limit: number }): Promise<ImageRow[]>;
  /** Every blob key referenced by any image row (doctor's orphan check). */
  allBlobKeys(): Promise<Set<string>>;
  /** Crypto-shredding: deletes the data key, fields and blind indexes; marks subject and images erased. Returns the blob keys to delete. */
  eraseSubject(subjectId: string, at: string, audit: PendingAudit): Promise<string[]>;
  /** Data keys wrapped by a KEK version other than `version` (rotation work list). */
  dataKeysNotAt(version: number, limit: number): Promise<DataKeyRow[]>;
  /** Replaces wrapped data keys (rotation), in one transaction. */
  rewrapDataKeys(rows: DataKeyRow[]): Promise<void>;
  /** Number of data keys per KEK version. */
  dataKeyVersions(): Promise<Map<number, number>>;
  /** Stores (replaces) a subject's encrypted face descriptor, audited in the same transaction. */
  putFaceDescriptor(row: FaceDescriptorRow, audit: PendingAudit): Promise<void>;
  /** Every stored face descriptor of a model (for the 1:N duplicate search), erased subjects excluded. */
  listFaceDescriptors(model: string): Promise<FaceDescriptorRow[]>;
  /** Sets the KYC status of a subject (KYC issue). */
  setKycStatus(subjectId: string, status: string, audit: PendingAudit): Promise<void>;
}

/** The append-only audit chain and its signed checkpoints. */
export interface AuditStore {
  /** Appends an entry on its own (e.g. a read of PII, which changes nothing else). */
  appendAudit(audit: PendingAudit): Promise<AuditRow>;
  auditHead(): Promise<{ seq: number; hash: string } | null>;
  /** Entries in stored order (by seq), optionally for one subject. */
  listAudit(opts: { subjectId?: string; afterSeq?: number; limit: number }): Promise<AuditRow[]>;
  insertCheckpoint(cp: CheckpointRow): Promise<void>;
  listCheckpoints(): Promise<CheckpointRow[]>;
  /** The newest checkpoint (every command ends by signing the head, so this must not read them all). */
  lastCheckpoint(): Promise<CheckpointRow | null>;
}

/** Lifecycle of a store connection. */
export interface StoreLifecycle {
  readonly kind: string;
  migrate(): Promise<void>;
  close(): Promise<void>;
}
