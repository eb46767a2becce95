import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TracemarkError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';

/** Which backends a vault home uses; written by `tracemark init`, read on every open. */
export interface HomeManifest {
  format: 'tracemark-home/1';
  createdAt: string;
  records: { kind: 'sqlite'; path: string };
  blobs: { kind: 'fs'; path: string };
  keys: { kind: 'local-keyring'; path: string };
  watermarkKeyPath: string;
}

const MANIFEST = 'tracemark.json';

/** The embedded default layout: SQLite file, blob directory and keyring under the home. */
export function localManifest(): HomeManifest {
  return {
    format: 'tracemark-home/1',
    createdAt: new Date().toISOString(),
    records: { kind: 'sqlite', path: 'db/tracemark.sqlite' },
    blobs: { kind: 'fs', path: 'blobs' },
    keys: { kind: 'local-keyring', path: 'keys/keyring.json' },
    watermarkKeyPath: 'keys/watermark.key',
  };
}

/** Reads the manifest; a missing home gives the message that says to run `tracemark init`. */
export async function readManifest(home: string): Promise<HomeManifest> {
  let raw: string;
  try {
    raw = await readFile(join(home, MANIFEST), 'utf8');
  } catch {
    throw new TracemarkError('HOME_NOT_INITIALISED', `no Tracemark vault at ${home}`, { kind: 'user', hint: `Run \`tracemark init${home ? ` --home ${home}` : ''}\` first, or point --home / TRACEMARK_HOME at an existing vault.` });
  }
  const m = JSON.parse(raw) as HomeManifest;
  if (m.format !== 'tracemark-home/1') throw new TracemarkError('HOME_UNKNOWN_FORMAT', `the vault at ${home} has an unknown format`, { kind: 'user' });
  return m;
}

/** Creates the home directory tree (mode 0700) and writes the manifest; refuses an existing vault. */
export async function createHome(home: string, manifest: HomeManifest): Promise<void> {
  const exists = await stat(join(home, MANIFEST)).then(() => true, () => false);
  if (exists) throw new TracemarkError('HOME_EXISTS', `a vault already exists at ${home}`, { kind: 'conflict', hint: 'Use it as it is, or choose another --home.' });
  await mkdir(home, { recursive: true, mode: 0o700 });
  for (const p of [manifest.records.path, manifest.keys.path, manifest.watermarkKeyPath]) await mkdir(join(home, p, '..'), { recursive: true, mode: 0o700 });
  await mkdir(join(home, manifest.blobs.path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(home, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
}
