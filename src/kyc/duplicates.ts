/**
 * In-memory DuplicateLookup: document numbers (normalised) and face descriptors held in process. Used by tests,
 * the benchmark and any caller that enrols subjects itself; the vault-backed lookup lives with the composition root.
 */
import { FaceIndex, type FaceHit } from '../face/face-index.js';
import type { DuplicateLookup } from './types.js';

function norm(n: string): string {
  return n.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Subjects enrolled in memory: document number → subject ids, plus a 1:N face index. */
export class MemoryDuplicateLookup implements DuplicateLookup {
  private readonly docs = new Map<string, Set<string>>();
  readonly faces = new FaceIndex(128);

  /** Enrols a subject's document number and/or face descriptor. */
  enrol(subjectId: string, data: { documentNumber?: string | null; descriptor?: Float32Array | null }): void {
    if (data.documentNumber) {
      const k = norm(data.documentNumber);
      const set = this.docs.get(k) ?? new Set<string>();
      set.add(subjectId);
      this.docs.set(k, set);
    }
    if (data.descriptor) this.faces.add(subjectId, data.descriptor);
  }

  async findByDocumentNumber(documentNumber: string): Promise<string[]> {
    return [...(this.docs.get(norm(documentNumber)) ?? [])];
  }

  async searchFaces(descriptor: Float32Array, k: number): Promise<FaceHit[]> {
    return this.faces.search(descriptor, k);
  }
}
