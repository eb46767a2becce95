import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';

/**
 * Writes a file so that after a crash it is either the old content or the new, never half: write a temp file in the
 * same directory, fsync it, rename over the target, fsync the directory. Callers pass only ciphertext or non-secret
 * data — the temp file has the same sensitivity as the target.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: { mode?: number; exclusive?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (opts.exclusive) {
      // link() fails if the target exists, giving create-only semantics without a window for a half-written file.
      const { link } = await import('node:fs/promises');
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

/** Flushes a directory entry so a rename/unlink survives power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
