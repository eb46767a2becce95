import { TracemarkError } from '../core/errors.js';
import { newDataKey, open, seal } from '../storage/keys/envelope.js';
import type { KeyProvider } from '../storage/keys/key-provider.js';
import type { DataKeyRow, FieldRow, RecordStore } from '../storage/records/record-store.js';
import { PII_FIELDS, type SubjectFields } from './subject-fields.js';

/** Slot names used as associated data: a ciphertext only opens in the slot it was written for. */
export const fieldSlot = (field: string): string => `pii.${field}`;
export const blobSlot = (kind: string, imageId: string): string => `blob.${kind}.${imageId}`;

/**
 * Envelope encryption of one subject's values: a per-subject 256-bit data key, wrapped by the key provider's KEK,
 * encrypts every field and blob with AES-256-GCM bound to (subject id, slot, data-key version).
 */
export class SubjectCrypto {
  constructor(private readonly keys: KeyProvider, private readonly records: RecordStore) {}

  /** A fresh data key for a new subject, and its wrapped form to store. */
  newKey(subjectId: string): { dataKey: Buffer; row: DataKeyRow } {
    const dataKey = newDataKey();
    const w = this.keys.wrap(subjectId, dataKey);
    return { dataKey, row: { subjectId, dkVersion: 1, kekVersion: w.kekVersion, wrapped: w.wrapped } };
  }

  /** Unwraps the subject's data key; an erased subject has none (crypto-shredded). */
  async dataKey(subjectId: string): Promise<{ key: Buffer; dkVersion: number }> {
    const row = await this.records.getDataKey(subjectId);
    if (!row) throw new TracemarkError('SUBJECT_ERASED', `subject ${subjectId} has no data key (it was erased)`, { kind: 'not_found', details: { subjectId } });
    return { key: this.keys.unwrap(subjectId, { kekVersion: row.kekVersion, wrapped: row.wrapped }), dkVersion: row.dkVersion };
  }

  /** Encrypts every present field (unknown fields travel together in `extra`). */
  encryptFields(subjectId: string, dataKey: Buffer, dkVersion: number, f: SubjectFields): FieldRow[] {
    const rows: FieldRow[] = [];
    for (const name of PII_FIELDS) {
      const v = f[name];
      if (v !== undefined) rows.push({ subjectId, field: name, ciphertext: seal(dataKey, Buffer.from(v, 'utf8'), { subjectId, slot: fieldSlot(name), keyVersion: dkVersion }) });
    }
    if (f.extra) rows.push({ subjectId, field: 'extra', ciphertext: seal(dataKey, Buffer.from(JSON.stringify(f.extra), 'utf8'), { subjectId, slot: fieldSlot('extra'), keyVersion: dkVersion }) });
    return rows;
  }

  /** Decrypts stored fields back into a record. */
  decryptFields(subjectId: string, dataKey: Buffer, dkVersion: number, rows: FieldRow[]): SubjectFields {
    const out: SubjectFields = {};
    for (const r of rows) {
      const plain = open(dataKey, r.ciphertext, { subjectId, slot: fieldSlot(r.field), keyVersion: dkVersion }).toString('utf8');
      if (r.field === 'extra') out.extra = JSON.parse(plain) as Record<string, unknown>;
      else if ((PII_FIELDS as readonly string[]).includes(r.field)) out[r.field as (typeof PII_FIELDS)[number]] = plain;
    }
    return out;
  }

  /** Encrypts image bytes for the blob store. */
  sealBlob(subjectId: string, dataKey: Buffer, dkVersion: number, kind: string, imageId: string, bytes: Uint8Array): Buffer {
    return seal(dataKey, bytes, { subjectId, slot: blobSlot(kind, imageId), keyVersion: dkVersion });
  }

  /** Decrypts image bytes read from the blob store. */
  openBlob(subjectId: string, dataKey: Buffer, dkVersion: number, kind: string, imageId: string, sealed: Uint8Array): Buffer {
    return open(dataKey, sealed, { subjectId, slot: blobSlot(kind, imageId), keyVersion: dkVersion });
  }
}
