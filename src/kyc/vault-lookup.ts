/**
 * DuplicateLookup over the vault: document numbers through its blind index, faces through the subjects' stored face
 * descriptors (encrypted per subject; decrypted once per process into an in-memory 1:N index, audited as one use).
 */
import { FaceIndex, type FaceHit } from '../face/face-index.js';
import type { DuplicateLookup } from './types.js';

/** The vault operations this adapter needs (RecordsService implements them). */
export interface SubjectFinder {
  find(q: { documentNumber?: string }): Promise<Array<{ id: string }>>;
  faceDescriptors?(model: string, purpose: string): Promise<{ subjectId: string; descriptor: Float32Array }[]>;
}

/** Document-number and face duplicates from the vault. */
export class VaultDuplicateLookup implements DuplicateLookup {
  private index: Promise<FaceIndex> | null = null;
  readonly faceSearchUnavailable: string | undefined;

  /** `model` is the face engine id the stored descriptors must come from (descriptors of other models don't compare). */
  constructor(private readonly records: SubjectFinder, private readonly model?: string) {
    this.faceSearchUnavailable = records.faceDescriptors && model ? undefined : 'No face descriptor store is configured, so the face was not searched among existing subjects.';
  }

  async findByDocumentNumber(documentNumber: string): Promise<string[]> {
    return (await this.records.find({ documentNumber })).map((s) => s.id);
  }

  /** Adds a newly enrolled subject to the loaded index (it is persisted by the caller). */
  async remember(subjectId: string, descriptor: Float32Array): Promise<void> {
    if (this.index) (await this.index).add(subjectId, descriptor);
  }

  async searchFaces(descriptor: Float32Array, k: number): Promise<FaceHit[]> {
    if (!this.records.faceDescriptors || !this.model) return [];
    const load = this.records.faceDescriptors.bind(this.records);
    const model = this.model;
    this.index ??= (async () => {
      const idx = new FaceIndex(descriptor.length);
      for (const d of await load(model, 'kyc duplicate search')) idx.add(d.subjectId, d.descriptor);
      return idx;
    })();
    return (await this.index).search(descriptor, k);
  }
}
