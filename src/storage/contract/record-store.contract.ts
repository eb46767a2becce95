import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sealEntry } from '../../audit/audit-log.js';
import type { AuditStore, PendingAudit, RecordStore, StoreLifecycle, SubjectRow } from '../records/record-store.js';

type Store = RecordStore & AuditStore & StoreLifecycle;
const audit = (action: string, subjectId: string | null = null): PendingAudit => ({
  draft: { at: new Date().toISOString(), actor: 't', action, subjectId, purpose: null, details: {} },
  seal: sealEntry,
});
const subject = (id: string, ref: string): SubjectRow => ({ id, ref, status: 'active', source: 'test', createdAt: new Date().toISOString(), recordDate: '2024-01-02', dkVersion: 1, erasedAt: null, kycStatus: null });
const dk = (subjectId: string, kekVersion = 1) => ({ subjectId, dkVersion: 1, kekVersion, wrapped: Buffer.from(`w-${subjectId}`) });

/** The behaviour every RecordStore + AuditStore implementation must show (SQLite now, PostgreSQL next). */
export function recordStoreContract(name: string, make: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  test(`${name}: subject with fields, key and indexes is written atomically with its audit entry`, async () => {
    const { store, cleanup } = await make();
    try {
      await store.migrate();
      await store.migrate(); // idempotent
      await store.insertSubject(subject('sub_1', 'R-1'), [{ subjectId: 'sub_1', field: 'email', ciphertext: Buffer.from([1, 2, 3]) }], dk('sub_1'), [{ subjectId: 'sub_1', kind: 'email', digest: 'd1' }], audit('subject.create', 'sub_1'));
      assert.equal((await store.getSubjectByRef('R-1'))?.id, 'sub_1');
      assert.deepEqual((await store.getFields('sub_1')).map((f) => f.field), ['email']);
      assert.deepEqual(await store.findByBlindIndex('email', 'd1'), ['sub_1']);
      assert.equal((await store.auditHead())?.seq, 1);
      // Duplicate ref: refused, and nothing of it (not even its audit entry) lands.
      await assert.rejects(store.insertSubject(subject('sub_2', 'R-1'), [], dk('sub_2'), [], audit('subject.create', 'sub_2')), (e: Error & { code?: string }) => e.code === 'SUBJECT_EXISTS');
      assert.equal((await store.auditHead())?.seq, 1);
      assert.equal(await store.getDataKey('sub_2'), null);
    } finally {
      await cleanup();
    }
  });

  test(`${name}: images, de-duplication, erase and rotation work lists`, async () => {
    const { store, cleanup } = await make();
    try {
      await store.migrate();
      await store.insertSubject(subject('sub_1', 'R-1'), [], dk('sub_1'), [{ subjectId: 'sub_1', kind: 'document_number', digest: 'x' }], audit('subject.create', 'sub_1'));
      await store.insertSubject(subject('sub_2', 'R-2'), [], dk('sub_2', 2), [], audit('subject.create', 'sub_2'));
      const img = { id: 'img_1', subjectId: 'sub_1', kind: 'selfie' as const, blobKey: 'bKEY000001', sha256: 'aa', format: 'png', width: 10, height: 10, byteSize: 100, createdAt: new Date().toISOString(), source: 't', status: 'active' as const };
      await store.insertImage(img, audit('image.create', 'sub_1'));
      await assert.rejects(store.insertImage({ ...img, id: 'img_2', blobKey: 'bKEY000002' }, audit('image.create', 'sub_1')), (e: Error & { code?: string }) => e.code === 'IMAGE_EXISTS');
      assert.equal((await store.findImageBySha('sub_1', 'aa'))?.id, 'img_1');
      assert.deepEqual([...(await store.allBlobKeys())], ['bKEY000001']);
      assert.deepEqual([...(await store.dataKeyVersions())], [[1, 1], [2, 1]]);
      assert.deepEqual((await store.dataKeysNotAt(2, 10)).map((r) => r.subjectId), ['sub_1']);
      await store.rewrapDataKeys([{ ...dk('sub_1', 2) }]);
      assert.equal((await store.dataKeysNotAt(2, 10)).length, 0);
      const blobs = await store.eraseSubject('sub_1', new Date().toISOString(), audit('subject.erase', 'sub_1'));
      assert.deepEqual(blobs, ['bKEY000001']);
      assert.equal(await store.getDataKey('sub_1'), null);
      assert.deepEqual(await store.findByBlindIndex('document_number', 'x'), []);
      assert.equal((await store.getSubject('sub_1'))?.status, 'erased');
      assert.equal((await store.listAudit({ subjectId: 'sub_1', limit: 10 })).at(-1)?.action, 'subject.erase');
      assert.equal(await store.lastCheckpoint(), null);
      await store.insertCheckpoint({ seq: 1, hash: 'h1', at: 't1', keyId: 'k', signature: 's1' });
      await store.insertCheckpoint({ seq: 3, hash: 'h3', at: 't3', keyId: 'k', signature: 's3' });
      assert.equal((await store.lastCheckpoint())?.seq, 3);
      assert.deepEqual((await store.listCheckpoints()).map((c) => c.seq), [1, 3]);
    } finally {
      await cleanup();
    }
  });
}
