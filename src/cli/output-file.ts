import { open, unlink } from 'node:fs/promises';
import { TracemarkError } from '../core/errors.js';

/**
 * Claims `path` (never overwriting unless `force`), then produces the bytes and writes them; on failure the claimed
 * file is removed. Claiming first means a refused write never decrypts, marks or audits anything.
 */
export async function writeNewFile<T>(path: string, produce: () => Promise<{ bytes: Buffer | string; info: T }>, force = false): Promise<T & { bytes: number }> {
  if (force) await unlink(path).catch(() => undefined);
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TracemarkError('OUTPUT_EXISTS', `${path} already exists`, { kind: 'user', hint: 'Choose another output path; existing files are never overwritten without --force.' });
    throw new TracemarkError('OUTPUT_UNWRITABLE', `cannot create ${path}`, { kind: 'user' });
  }
  try {
    const { bytes, info } = await produce();
    await fh.writeFile(bytes);
    await fh.close();
    return { ...info, bytes: Buffer.byteLength(bytes) };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw err;
  }
}
