import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../blobs/fs.js';
import { MemoryBlobStore } from '../blobs/memory.js';
import { blobStoreContract } from './blob-store.contract.js';

blobStoreContract('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-blobs-'));
  return { store: new FsBlobStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
blobStoreContract('memory', async () => ({ store: new MemoryBlobStore(), cleanup: async () => {} }));
