import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlobStore } from '../blobs/blob-store.js';

/** The behaviour every BlobStore implementation must show; run once per implementation. */
export function blobStoreContract(name: string, make: () => Promise<{ store: BlobStore; cleanup: () => Promise<void> }>): void {
  test(`${name}: put, get, has, list, delete`, async () => {
    const { store, cleanup } = await make();
    try {
      await store.put('bAAAAAAAA01', Buffer.from('one'));
      await store.put('bAAAAAAAA02', Buffer.from('two'));
      assert.equal((await store.get('bAAAAAAAA01')).toString(), 'one');
      assert.equal(await store.has('bAAAAAAAA02'), true);
      const keys: string[] = [];
      for await (const k of store.list()) keys.push(k);
      assert.deepEqual(keys.sort(), ['bAAAAAAAA01', 'bAAAAAAAA02']);
      await store.delete('bAAAAAAAA01');
      await store.delete('bAAAAAAAA01'); // idempotent
      assert.equal(await store.has('bAAAAAAAA01'), false);
      await assert.rejects(store.get('bAAAAAAAA01'), (e: Error & { code?: string }) => e.code === 'BLOB_MISSING');
    } finally {
      await cleanup();
    }
  });

  test(`${name}: overwrite replaces whole content`, async () => {
    const { store, cleanup } = await make();
    try {
      await store.put('bBBBBBBBB01', Buffer.alloc(10_000, 1));
      await store.put('bBBBBBBBB01', Buffer.from('short'));
      assert.equal((await store.get('bBBBBBBBB01')).toString(), 'short');
    } finally {
      await cleanup();
    }
  });

  test(`${name}: refuses keys that could escape the store`, async () => {
    const { store, cleanup } = await make();
    try {
      for (const bad of ['../../etc/passwd', 'a/b', '', 'x'.repeat(200), 'short']) {
        await assert.rejects(store.put(bad, Buffer.from('x')), (e: Error & { code?: string }) => e.code === 'BLOB_KEY_INVALID');
      }
    } finally {
      await cleanup();
    }
  });
}
