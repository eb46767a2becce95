import { lstat, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { TracemarkError } from '../core/errors.js';

/** A file found in a leaked folder, or why it was skipped before reading. */
export interface LeakedEntry {
  /** Path relative to the folder given, with `/` separators. */
  file: string;
  abs: string;
  size: number;
  skip: { code: string; reason: string } | null;
}

/**
 * Lists every file under a leaked folder, recursively, in a stable order. Symlinks, devices and sockets are
 * listed as skipped (never followed: a leak dump is hostile input); hidden files are included (leaks hide things).
 */
export async function walkLeakFolder(root: string, maxFileBytes: number): Promise<LeakedEntry[]> {
  const st = await lstat(root).catch(() => null);
  if (!st || !st.isDirectory()) throw new TracemarkError('LEAK_DIR_UNREADABLE', `cannot read the folder ${root}`, { kind: 'user', hint: 'Pass the folder that holds the leaked images.' });
  const out: LeakedEntry[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      out.push({ file: relative(root, dir).split('\\').join('/') || '.', abs: dir, size: 0, skip: { code: 'DIR_UNREADABLE', reason: 'folder cannot be read' } });
      return;
    }
    for (const name of names) {
      const abs = join(dir, name);
      const file = relative(root, abs).split('\\').join('/');
      const s = await lstat(abs).catch(() => null);
      if (!s) continue;
      if (s.isDirectory()) {
        if (depth >= 32) out.push({ file, abs, size: 0, skip: { code: 'TOO_DEEP', reason: 'folder nesting deeper than 32 levels' } });
        else await visit(abs, depth + 1);
      } else if (s.isSymbolicLink()) out.push({ file, abs, size: 0, skip: { code: 'SYMLINK', reason: 'symbolic links are not followed' } });
      else if (!s.isFile()) out.push({ file, abs, size: 0, skip: { code: 'NOT_REGULAR', reason: 'not a regular file' } });
      else if (s.size > maxFileBytes) out.push({ file, abs, size: s.size, skip: { code: 'FILE_TOO_LARGE', reason: `${(s.size / 1e6).toFixed(1)} MB exceeds the ${(maxFileBytes / 1e6).toFixed(0)} MB limit` } });
      else out.push({ file, abs, size: s.size, skip: null });
    }
  };
  await visit(root, 0);
  return out;
}
