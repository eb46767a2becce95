/**
 * Watermark key files: JSON {"kind":"tracemark-watermark-key","algo":"wm-v1","id":…,"secret":"<64 hex>"}, written
 * with mode 0600 atomically (temporary file, fsync, hard link into place so an existing key is never replaced).
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, link, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { TracemarkError } from '../core/errors.js';
import { newId } from '../core/ids.js';

/** Identifier of the watermark algorithm, stored with every mark; bump if the embedded output changes. */
export const WATERMARK_ALGO = 'wm-v1';

/** A watermark key: an id (safe to log) and a 32-byte secret (never logged). */
export interface WatermarkKey {
  id: string;
  secret: Uint8Array;
}

/** A fresh random key. */
export function generateWatermarkKey(): WatermarkKey {
  return { id: newId('wmk'), secret: new Uint8Array(randomBytes(32)) };
}

/** Throws unless `key` is well formed (used at every public entry point). */
export function assertKey(key: WatermarkKey): void {
  if (!key || typeof key.id !== 'string' || !(key.secret instanceof Uint8Array) || key.secret.length !== 32) {
    throw new TracemarkError('WATERMARK_BAD_KEY', 'The watermark key is malformed (expected an id and a 32-byte secret)', { hint: 'Load the key with readWatermarkKeyFile or create one with `tracemark watermark keygen FILE`.' });
  }
}

/** Writes a key file (mode 0600, atomic); refuses to overwrite an existing file. */
export async function writeWatermarkKeyFile(path: string, key: WatermarkKey): Promise<void> {
  assertKey(key);
  const body = JSON.stringify({ kind: 'tracemark-watermark-key', algo: WATERMARK_ALGO, id: key.id, secret: Buffer.from(key.secret).toString('hex') }, null, 2) + '\n';
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx', 0o600);
  } catch (err) {
    throw new TracemarkError('WATERMARK_KEY_WRITE', `Cannot write the key file ${path}: its directory is missing or not writable`, { kind: 'user', hint: 'Create the directory first or choose another path.', details: { file: path }, cause: err });
  }
  try {
    await fh.writeFile(body, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path); // fails with EEXIST instead of replacing an existing key
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TracemarkError('WATERMARK_KEY_EXISTS', `The key file ${path} already exists; it was not overwritten`, { kind: 'conflict', hint: 'Marks made with the existing key can only be read with it. Choose another path.', details: { file: path } });
    }
    throw new TracemarkError('WATERMARK_KEY_WRITE', `Cannot write the key file ${path}`, { kind: 'dependency', details: { file: path }, cause: err });
  }
  await unlink(tmp);
  const dir = await open(dirname(path), 'r').catch(() => null);
  if (dir) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}

/** Reads and validates a key file; clear errors for a missing or malformed file (the secret is never echoed). */
export async function readWatermarkKeyFile(path: string): Promise<WatermarkKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TracemarkError(missing ? 'WATERMARK_KEY_MISSING' : 'WATERMARK_KEY_UNREADABLE', missing ? `No watermark key file at ${path}` : `Cannot read the watermark key file ${path}`, {
      kind: missing ? 'not_found' : 'user',
      hint: 'Pass --key-file with a key made by `tracemark watermark keygen FILE`, or run `tracemark init`.',
      details: { file: path },
    });
  }
  const bad = (why: string): TracemarkError =>
    new TracemarkError('WATERMARK_BAD_KEY', `${path} is not a valid Tracemark watermark key file (${why})`, { kind: 'user', hint: 'Use a key file written by `tracemark watermark keygen` or `tracemark init`.', details: { file: path } });
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof obj !== 'object' || obj === null) throw bad('not a JSON object');
  const o = obj as Record<string, unknown>;
  if (o.kind !== 'tracemark-watermark-key') throw bad('kind is not "tracemark-watermark-key"');
  if (o.algo !== WATERMARK_ALGO) throw bad(`algorithm is not ${WATERMARK_ALGO}`);
  if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 100) throw bad('missing id');
  if (typeof o.secret !== 'string' || !/^[0-9a-f]{64}$/i.test(o.secret)) throw bad('secret is not 64 hex digits');
  return { id: o.id, secret: new Uint8Array(Buffer.from(o.secret, 'hex')) };
}
