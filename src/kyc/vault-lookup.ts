/**
 * DuplicateLookup over the vault's records service: document numbers through its blind index (the search is
 * audited there). The vault stores no face descriptors yet, so the face search reports itself unavailable.
 */
import type { FaceHit } from '../face/face-index.js';
import type { DuplicateLookup } from './types.js';

/** The one method of the vault's RecordsService this adapter needs. */
export interface SubjectFinder {
  find(q: { documentNumber?: string }): Promise<Array<{ id: string }>>;
}

/** Document-number duplicates from the vault; face duplicates declared not checked. */
export class VaultDuplicateLookup implements DuplicateLookup {
  readonly faceSearchUnavailable = 'This vault stores no face descriptors yet, so the face was not searched among existing subjects.';
  constructor(private readonly records: SubjectFinder) {}
  async findByDocumentNumber(documentNumber: string): Promise<string[]> {
    return (await this.records.find({ documentNumber })).map((s) => s.id);
  }
  async searchFaces(_descriptor: Float32Array, _k: number): Promise<FaceHit[]> {
    return [];
  }
}
