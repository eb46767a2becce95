import { TracemarkError } from '../../core/errors.js';
import { BLOB_KEY_PATTERN, type BlobStore } from './blob-store.js';

/** In-memory blob store for tests and throw-away runs. */
export class MemoryBlobStore implements BlobStore {
  readonly kind = 'memory';
  private readonly items = new Map<string, Buffer>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    if (!BLOB_KEY_PATTERN.test(key)) throw new TracemarkError('BLOB_KEY_INVALID', 'invalid blob key', { kind: 'internal' });
    this.items.set(key, Buffer.from(bytes));
  }
  async get(key: string): Promise<Buffer> {
    const v = this.items.get(key);
    if (!v) throw new TracemarkError('BLOB_MISSING', `blob ${key} is missing from the store`, { kind: 'integrity' });
    return Buffer.from(v);
  }
  async delete(key: string): Promise<void> {
    this.items.delete(key);
  }
  async has(key: string): Promise<boolean> {
    return this.items.has(key);
  }
  async *list(): AsyncIterable<string> {
    yield* [...this.items.keys()].sort();
  }
}
