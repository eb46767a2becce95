import type { AuditLog } from '../audit/audit-log.js';
import type { KeyProvider } from '../storage/keys/key-provider.js';
import type { RecordStore } from '../storage/records/record-store.js';

/** Progress of a rotation, per batch of rewrapped keys. */
export type RotateProgress = (done: number, total: number) => void;

/**
 * Key rotation: a new KEK version becomes current and every data key is rewrapped with it — blobs and fields are not
 * touched, because they are encrypted with data keys that do not change. The new version is persisted before any key
 * is rewrapped, and each batch commits on its own, so an interrupted rotation is finished by running it again.
 */
export class KeysService {
  constructor(private readonly keys: KeyProvider, private readonly records: RecordStore, private readonly audit: AuditLog) {}

  /** Data keys per KEK version, and the provider's versions. */
  async status(): Promise<{ provider: string; current: number; versions: number[]; dataKeysByVersion: Record<string, number> }> {
    const counts = await this.records.dataKeyVersions();
    return { provider: this.keys.kind, current: this.keys.currentVersion(), versions: this.keys.versions(), dataKeysByVersion: Object.fromEntries([...counts].map(([v, n]) => [String(v), n])) };
  }

  /**
   * Adds a KEK version (unless a previous rotation was interrupted, which is finished instead) and rewraps every data
   * key not yet on the current version.
   */
  async rotate(opts: { batchSize?: number; onProgress?: RotateProgress } = {}): Promise<{ version: number; resumed: boolean; rewrapped: number }> {
    const batch = opts.batchSize ?? 500;
    const pendingBefore = [...(await this.records.dataKeyVersions())].filter(([v]) => v !== this.keys.currentVersion()).reduce((a, [, n]) => a + n, 0);
    const resumed = pendingBefore > 0;
    let version = this.keys.currentVersion();
    if (!resumed) {
      version = await this.keys.addVersion();
      await this.audit.record('keys.rotate.start', null, { details: { version } });
    } else {
      await this.audit.record('keys.rotate.resume', null, { details: { version, pending: pendingBefore } });
    }
    const total = [...(await this.records.dataKeyVersions())].filter(([v]) => v !== version).reduce((a, [, n]) => a + n, 0);
    let done = 0;
    for (;;) {
      const rows = await this.records.dataKeysNotAt(version, batch);
      if (rows.length === 0) break;
      const rewrapped = rows.map((r) => {
        const w = this.keys.wrap(r.subjectId, this.keys.unwrap(r.subjectId, { kekVersion: r.kekVersion, wrapped: r.wrapped }));
        return { ...r, kekVersion: w.kekVersion, wrapped: w.wrapped };
      });
      await this.records.rewrapDataKeys(rewrapped);
      done += rows.length;
      opts.onProgress?.(done, total);
    }
    await this.audit.record('keys.rotate.done', null, { details: { version, rewrapped: done } });
    return { version, resumed, rewrapped: done };
  }
}
