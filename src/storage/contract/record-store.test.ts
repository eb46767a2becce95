import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../records/sqlite.js';
import { recordStoreContract } from './record-store.contract.js';

recordStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-records-'));
  const store = new SqliteStore(join(dir, 'db.sqlite'));
  return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
});
