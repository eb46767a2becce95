import { createHash } from 'node:crypto';
import { TracemarkError } from '../core/errors.js';
import type { AuditLog, AuditVerification } from '../audit/audit-log.js';
import type { BlobStore } from '../storage/blobs/blob-store.js';
import type { RecordStore } from '../storage/records/record-store.js';
import type { RecordsService } from './records-service.js';

/** One finding of the doctor. */
export interface DoctorFinding {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  imageId?: string;
  subjectId?: string;
  blobKey?: string;
}

/** Health report of a vault. */
export interface DoctorReport {
  healthy: boolean;
  subjects: number;
  imagesChecked: number;
  orphanBlobs: number;
  orphansRemoved: number;
  audit: AuditVerification;
  findings: DoctorFinding[];
}

/**
 * Checks the whole vault: every image blob exists, decrypts, and hashes to its recorded SHA-256; blobs that no image
 * references (left by a crash between blob write and metadata commit) are reported as orphans and, with `fix`,
 * removed (they are ciphertext under a key that is either still needed by nothing, or gone); the audit chain verifies.
 */
export class DoctorService {
  constructor(private readonly records: RecordStore, private readonly blobs: BlobStore, private readonly service: RecordsService, private readonly audit: AuditLog) {}

  async run(opts: { fix?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<DoctorReport> {
    const findings: DoctorFinding[] = [];
    let checked = 0;
    let after: string | null = null;
    const total = (await this.records.allBlobKeys()).size;
    for (;;) {
      const page = await this.records.listAllImages({ afterId: after, limit: 200 });
      if (page.length === 0) break;
      for (const img of page) {
        after = img.id;
        checked++;
        try {
          const plain = await this.service.decryptImage(img, await this.blobs.get(img.blobKey));
          if (createHash('sha256').update(plain).digest('hex') !== img.sha256) {
            findings.push({ severity: 'error', code: 'BLOB_HASH_MISMATCH', message: `image ${img.id} decrypts but its SHA-256 differs from the recorded one`, imageId: img.id, subjectId: img.subjectId });
          }
        } catch (err) {
          const code = err instanceof TracemarkError ? err.code : 'BLOB_UNREADABLE';
          findings.push({ severity: 'error', code, message: `image ${img.id}: ${err instanceof Error ? err.message : String(err)}`, imageId: img.id, subjectId: img.subjectId });
        }
        opts.onProgress?.(checked, total);
      }
    }
    const referenced = await this.records.allBlobKeys();
    let orphans = 0;
    let removed = 0;
    for await (const key of this.blobs.list()) {
      if (referenced.has(key)) continue;
      orphans++;
      if (opts.fix) {
        await this.blobs.delete(key);
        removed++;
      } else {
        findings.push({ severity: 'warning', code: 'ORPHAN_BLOB', message: `blob ${key} is not referenced by any image (left by an interrupted write; remove with --fix)`, blobKey: key });
      }
    }
    const audit = await this.audit.verify();
    if (!audit.ok && audit.problem) findings.push({ severity: 'error', code: 'AUDIT_TAMPERED', message: audit.problem.message });
    return {
      healthy: !findings.some((f) => f.severity === 'error'),
      subjects: await this.records.countSubjects(),
      imagesChecked: checked,
      orphanBlobs: orphans,
      orphansRemoved: removed,
      audit,
      findings,
    };
  }
}
