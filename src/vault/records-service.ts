import { createHash } from 'node:crypto';
import { TracemarkError, invalidArgument } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { assertDecodes, type ImageLimits } from '../image/decode.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { BlobStore } from '../storage/blobs/blob-store.js';
import type { KeyProvider } from '../storage/keys/key-provider.js';
import { IMAGE_KINDS, type ImageKind, type ImageRow, type RecordStore, type SubjectRow } from '../storage/records/record-store.js';
import { blindDigest, blindIndexesFor, normaliseDocumentNumber, normaliseEmail, normaliseNameDob } from './blind-index.js';
import { SubjectCrypto } from './subject-crypto.js';
import { validateRef, type SubjectFields } from './subject-fields.js';

/** Called after an image is stored, with its decoded bytes, e.g. to compute perceptual hashes (matching issue). */
export interface ImageStoredHook {
  afterImageStored(image: ImageRow, plaintext: Buffer): Promise<void>;
  afterSubjectErased?(subjectId: string, imageIds: string[]): Promise<void>;
}

/** What the records service needs; wired in src/app. */
export interface RecordsDeps {
  records: RecordStore;
  blobs: BlobStore;
  keys: KeyProvider;
  audit: AuditLog;
  limits: ImageLimits & { maxFileBytes: number };
  hooks?: ImageStoredHook[];
}

/** Reads of personal data must say why (stored in the audit log). */
export function requirePurpose(purpose: string | undefined): string {
  const p = (purpose ?? '').trim();
  if (p.length < 3) {
    throw new TracemarkError('PURPOSE_REQUIRED', 'reading personal data requires a purpose', { kind: 'user', hint: 'Pass --purpose "why you need it" (for example a ticket number); it is recorded in the audit log.' });
  }
  if (p.length > 200) throw invalidArgument('purpose', 'at most 200 characters', p);
  return p;
}

/** Parses an image kind given by a user. */
export function parseImageKind(kind: string): ImageKind {
  if (!(IMAGE_KINDS as readonly string[]).includes(kind)) throw invalidArgument('image kind', `one of ${IMAGE_KINDS.join(', ')}`, kind);
  return kind as ImageKind;
}

/** A subject as an authorised reader sees it. */
export interface SubjectView {
  subject: SubjectRow;
  fields: SubjectFields;
  images: ImageRow[];
}

/**
 * Subjects and their images: create, add images, look up, read with a purpose, erase. Everything personal is
 * encrypted before it reaches a store; every operation is audited in the same transaction as its effect.
 */
export class RecordsService {
  private readonly crypto: SubjectCrypto;
  constructor(private readonly d: RecordsDeps) {
    this.crypto = new SubjectCrypto(d.keys, d.records);
  }

  /** Resolves a subject id (`sub_…`) or an external ref. */
  async resolve(idOrRef: string): Promise<SubjectRow> {
    const s = idOrRef.startsWith('sub_') ? await this.d.records.getSubject(idOrRef) : await this.d.records.getSubjectByRef(idOrRef);
    if (!s) throw new TracemarkError('SUBJECT_NOT_FOUND', `no subject ${JSON.stringify(idOrRef.slice(0, 64))}`, { kind: 'not_found', hint: 'List subjects with `tracemark records list`.', details: { subject: idOrRef.slice(0, 64) } });
    return s;
  }

  /** Refuses files larger than the configured limit before they are read into memory. */
  checkFileSize(size: number, label: string): void {
    if (size > this.d.limits.maxFileBytes) {
      throw new TracemarkError('FILE_TOO_LARGE', `${label}: ${(size / 1e6).toFixed(1)} MB exceeds the limit of ${(this.d.limits.maxFileBytes / 1e6).toFixed(0)} MB`, { kind: 'user', hint: 'Raise TRACEMARK_MAX_FILE_BYTES if such files are legitimate.', details: { file: label } });
    }
  }

  /** Creates a subject with encrypted fields and blind indexes. */
  async createSubject(input: { ref: string; fields: SubjectFields; recordDate?: string | null; source: string }): Promise<SubjectRow> {
    validateRef(input.ref);
    const id = newId('sub');
    const { dataKey, row } = this.crypto.newKey(id);
    const subject: SubjectRow = {
      id, ref: input.ref, status: 'active', source: input.source, createdAt: new Date().toISOString(),
      recordDate: input.recordDate ?? null, dkVersion: row.dkVersion, erasedAt: null, kycStatus: null,
    };
    const fields = this.crypto.encryptFields(id, dataKey, row.dkVersion, input.fields);
    const indexes = blindIndexesFor(this.d.keys.blindIndexKey(), id, input.fields);
    await this.d.records.insertSubject(subject, fields, row, indexes, this.d.audit.pending('subject.create', id, {
      details: { ref: input.ref, source: input.source, fields: fields.map((f) => f.field) },
    }));
    return subject;
  }

  /**
   * Validates, encrypts and stores an image. The blob is durable (fsync + rename) before the metadata commits, so a
   * crash leaves at worst an unreferenced ciphertext blob that `doctor` reports. Same bytes twice → no new image.
   */
  async addImage(subjectId: string, kind: ImageKind, bytes: Buffer, label: string, source: string): Promise<{ image: ImageRow; duplicate: boolean }> {
    const subject = await this.d.records.getSubject(subjectId);
    if (!subject || subject.status !== 'active') throw new TracemarkError('SUBJECT_NOT_FOUND', `no active subject ${subjectId}`, { kind: 'not_found' });
    this.checkFileSize(bytes.length, label);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const existing = await this.d.records.findImageBySha(subjectId, sha256);
    if (existing) return { image: existing, duplicate: true };
    const info = await assertDecodes(bytes, label, this.d.limits);
    const { key, dkVersion } = await this.crypto.dataKey(subjectId);
    const id = newId('img');
    const image: ImageRow = {
      id, subjectId, kind, blobKey: newId('b').replace(/^b_/, 'b'), sha256, format: info.format, width: info.width, height: info.height,
      byteSize: bytes.length, createdAt: new Date().toISOString(), source, status: 'active',
    };
    await this.d.blobs.put(image.blobKey, this.crypto.sealBlob(subjectId, key, dkVersion, kind, id, bytes));
    try {
      await this.d.records.insertImage(image, this.d.audit.pending('image.create', subjectId, { details: { image_id: id, kind, format: info.format, width: info.width, height: info.height } }));
    } catch (err) {
      await this.d.blobs.delete(image.blobKey);
      if (err instanceof TracemarkError && err.code === 'IMAGE_EXISTS') {
        const again = await this.d.records.findImageBySha(subjectId, sha256);
        if (again) return { image: again, duplicate: true };
      }
      throw err;
    }
    for (const h of this.d.hooks ?? []) await h.afterImageStored(image, bytes);
    return { image, duplicate: false };
  }

  /** Subjects page by page (no personal data). */
  async list(opts: { limit?: number; offset?: number } = {}): Promise<{ total: number; subjects: (SubjectRow & { images: number })[] }> {
    const subjects = await this.d.records.listSubjects({ limit: opts.limit ?? 100, offset: opts.offset ?? 0 });
    const out = [];
    for (const s of subjects) out.push({ ...s, images: (await this.d.records.listImages(s.id)).filter((i) => i.status === 'active').length });
    return { total: await this.d.records.countSubjects(), subjects: out };
  }

  /** Exact lookup through blind indexes; returns subjects without personal data (audited as a search). */
  async find(q: { documentNumber?: string; email?: string; name?: string; dob?: string }): Promise<SubjectRow[]> {
    const key = this.d.keys.blindIndexKey();
    let ids: string[];
    let by: string;
    if (q.documentNumber) {
      by = 'document_number';
      ids = await this.d.records.findByBlindIndex('document_number', blindDigest(key, 'document_number', normaliseDocumentNumber(q.documentNumber)));
    } else if (q.email) {
      by = 'email';
      ids = await this.d.records.findByBlindIndex('email', blindDigest(key, 'email', normaliseEmail(q.email)));
    } else if (q.name && q.dob) {
      by = 'name_dob';
      ids = await this.d.records.findByBlindIndex('name_dob', blindDigest(key, 'name_dob', normaliseNameDob(q.name, q.dob)));
    } else {
      throw new TracemarkError('FIND_CRITERIA', 'give --document-number, --email, or both --name and --dob', { kind: 'user' });
    }
    await this.d.audit.record('subject.search', null, { details: { by, results: ids.length } });
    const out: SubjectRow[] = [];
    for (const id of ids) {
      const s = await this.d.records.getSubject(id);
      if (s) out.push(s);
    }
    return out;
  }

  /** Decrypts a subject's personal data for an authorised reader; the read is audited before anything is returned. */
  async show(idOrRef: string, purpose: string | undefined): Promise<SubjectView> {
    const p = requirePurpose(purpose);
    const subject = await this.resolve(idOrRef);
    const images = (await this.d.records.listImages(subject.id)).filter((i) => i.status === 'active');
    if (subject.status === 'erased') {
      await this.d.audit.record('subject.read', subject.id, { purpose: p, details: { erased: true } });
      return { subject, fields: {}, images };
    }
    const { key, dkVersion } = await this.crypto.dataKey(subject.id);
    const fields = this.crypto.decryptFields(subject.id, key, dkVersion, await this.d.records.getFields(subject.id));
    await this.d.audit.record('subject.read', subject.id, { purpose: p });
    return { subject, fields, images };
  }

  /** Decrypted personal data for internal services (KYC, investigations) that audit their own use. */
  async fieldsFor(subjectId: string): Promise<SubjectFields> {
    const { key, dkVersion } = await this.crypto.dataKey(subjectId);
    return this.crypto.decryptFields(subjectId, key, dkVersion, await this.d.records.getFields(subjectId));
  }

  /** Stores a subject's face descriptor, encrypted with its data key (biometric data is personal data). */
  async storeFaceDescriptor(subjectId: string, descriptor: Float32Array, model: string): Promise<void> {
    const { key, dkVersion } = await this.crypto.dataKey(subjectId);
    const bytes = Buffer.from(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength);
    await this.d.records.putFaceDescriptor(
      { subjectId, model, ciphertext: this.crypto.sealBlob(subjectId, key, dkVersion, 'face', model, bytes), createdAt: new Date().toISOString() },
      this.d.audit.pending('biometric.store', subjectId, { details: { model, dimensions: descriptor.length } }),
    );
  }

  /** Decrypts every stored face descriptor of a model for the 1:N duplicate search (audited once, as one use). */
  async faceDescriptors(model: string, purpose: string): Promise<{ subjectId: string; descriptor: Float32Array }[]> {
    const out: { subjectId: string; descriptor: Float32Array }[] = [];
    for (const row of await this.d.records.listFaceDescriptors(model)) {
      try {
        const { key, dkVersion } = await this.crypto.dataKey(row.subjectId);
        const plain = this.crypto.openBlob(row.subjectId, key, dkVersion, 'face', model, row.ciphertext);
        out.push({ subjectId: row.subjectId, descriptor: new Float32Array(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength)) });
      } catch {
        // An erased subject (no data key) or a damaged row is simply not searchable; doctor reports damage.
      }
    }
    await this.d.audit.record('biometric.search_load', null, { purpose, details: { model, descriptors: out.length } });
    return out;
  }

  /** Finds a subject's image of a kind (the newest), or by image id. */
  async findImage(idOrRef: string, kindOrImageId: string): Promise<{ subject: SubjectRow; image: ImageRow }> {
    const subject = await this.resolve(idOrRef);
    const images = (await this.d.records.listImages(subject.id)).filter((i) => i.status === 'active');
    const image = kindOrImageId.startsWith('img_')
      ? images.find((i) => i.id === kindOrImageId)
      : images.filter((i) => i.kind === parseImageKind(kindOrImageId)).at(-1);
    if (!image) throw new TracemarkError('IMAGE_NOT_FOUND', `subject ${subject.ref} has no ${kindOrImageId} image`, { kind: 'not_found', details: { subjectId: subject.id } });
    return { subject, image };
  }

  /**
   * Decrypts an image's original bytes in memory. `action` names the use in the audit log (export, release,
   * investigation); the entry is written before the bytes are returned.
   */
  async readImage(image: ImageRow, opts: { purpose: string; action: string; details?: Record<string, unknown> }): Promise<Buffer> {
    const sealed = await this.d.blobs.get(image.blobKey);
    const plain = await this.decryptImage(image, sealed);
    await this.d.audit.record(opts.action, image.subjectId, { purpose: opts.purpose, details: { image_id: image.id, kind: image.kind, ...opts.details } });
    return plain;
  }

  /** Decrypts without auditing (doctor's integrity check, which reveals nothing). */
  async decryptImage(image: ImageRow, sealed: Buffer): Promise<Buffer> {
    const { key, dkVersion } = await this.crypto.dataKey(image.subjectId);
    return this.crypto.openBlob(image.subjectId, key, dkVersion, image.kind, image.id, sealed);
  }

  /** Crypto-shredding: the data key, fields and blind indexes are deleted, then the blobs; a tombstone stays in the audit log. */
  async erase(idOrRef: string, reason: string | undefined): Promise<{ subject: SubjectRow; blobsDeleted: number }> {
    const r = (reason ?? '').trim();
    if (r.length < 3) throw new TracemarkError('REASON_REQUIRED', 'erasure requires a reason', { kind: 'user', hint: 'Pass --reason "…" (for example "GDPR art. 17 request #123"); it is kept in the audit log.' });
    const subject = await this.resolve(idOrRef);
    if (subject.status === 'erased') throw new TracemarkError('SUBJECT_ERASED', `subject ${subject.ref} was already erased on ${subject.erasedAt}`, { kind: 'conflict' });
    const images = await this.d.records.listImages(subject.id);
    const blobKeys = await this.d.records.eraseSubject(subject.id, new Date().toISOString(), this.d.audit.pending('subject.erase', subject.id, {
      purpose: r, details: { ref: subject.ref, images: images.length, tombstone: true },
    }));
    // The key is gone, so the blobs are already unreadable; deleting them also frees space.
    for (const k of blobKeys) await this.d.blobs.delete(k);
    for (const h of this.d.hooks ?? []) await h.afterSubjectErased?.(subject.id, images.map((i) => i.id));
    return { subject: { ...subject, status: 'erased' }, blobsDeleted: blobKeys.length };
  }
}
