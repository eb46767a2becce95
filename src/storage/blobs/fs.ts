import { mkdir, readFile, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TracemarkError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fs-atomic.js';
import { BLOB_KEY_PATTERN, type BlobStore } from './blob-store.js';

function checkKey(key: string): void {
  if (!BLOB_KEY_PATTERN.test(key)) throw new TracemarkError('BLOB_KEY_INVALID', 'invalid blob key', { kind: 'internal' });
}

/**
 * Blobs as files under a directory, fanned out by the first two characters of the key so no directory grows huge.
 * Writes go through a temp file + fsync + rename (see writeFileAtomic); temp files hold ciphertext only.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs';
  constructor(private readonly root: string) {}

  private pathOf(key: string): { dir: string; file: string } {
    checkKey(key);
    const dir = join(this.root, key.slice(-2));
    return { dir, file: join(dir, key) };
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const { dir, file } = this.pathOf(key);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, bytes, { mode: 0o600 });
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key).file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TracemarkError('BLOB_MISSING', `blob ${key} is missing from the store`, { kind: 'integrity', hint: 'Run `tracemark doctor`.' });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.pathOf(key).file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async has(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key).file);
      return true;
    } catch {
      return false;
    }
  }

  async *list(): AsyncIterable<string> {
    let dirs: string[];
    try {
      dirs = await readdir(this.root);
    } catch {
      return;
    }
    for (const d of dirs.sort()) {
      for (const name of (await readdir(join(this.root, d)).catch(() => [] as string[])).sort()) {
        if (name.endsWith('.tmp')) {
          // A temp file left by a crash mid-write: ciphertext, never referenced; remove it as we pass.
          await rm(join(this.root, d, name), { force: true });
          continue;
        }
        if (BLOB_KEY_PATTERN.test(name)) yield name;
      }
    }
  }
}
