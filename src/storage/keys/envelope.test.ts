import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDataKey, open, seal } from './envelope.js';

const b = { subjectId: 'sub_A', slot: 'pii.full_name', keyVersion: 1 };
const plain = Buffer.from('Ana Pérez', 'utf8');

function rejects(fn: () => unknown): void {
  assert.throws(fn, (e: Error & { code?: string }) => e.code === 'CIPHERTEXT_INVALID' && !e.message.includes('Ana'));
}

test('seal/open round trip, fresh nonce every time', () => {
  const k = newDataKey();
  const c1 = seal(k, plain, b);
  const c2 = seal(k, plain, b);
  assert.notDeepEqual(c1.subarray(1, 13), c2.subarray(1, 13), 'nonces differ');
  assert.deepEqual(open(k, c1, b), plain);
});

test('a flipped ciphertext bit fails authentication', () => {
  const k = newDataKey();
  const c = seal(k, plain, b);
  for (const pos of [1, 13, c.length - 1]) {
    const t = Buffer.from(c);
    t[pos] = (t[pos] as number) ^ 0x01;
    rejects(() => open(k, t, b));
  }
});

test('a swapped nonce fails', () => {
  const k = newDataKey();
  const c1 = seal(k, plain, b);
  const c2 = seal(k, plain, b);
  const swapped = Buffer.concat([c1.subarray(0, 1), c2.subarray(1, 13), c1.subarray(13)]);
  rejects(() => open(k, swapped, b));
});

test('ciphertext moved to another subject, another field, or read under another key version fails', () => {
  const k = newDataKey();
  const c = seal(k, plain, b);
  rejects(() => open(k, c, { ...b, subjectId: 'sub_B' }));
  rejects(() => open(k, c, { ...b, slot: 'pii.email' }));
  rejects(() => open(k, c, { ...b, keyVersion: 2 }));
  rejects(() => open(newDataKey(), c, b));
});

test('malformed or truncated ciphertext fails cleanly', () => {
  const k = newDataKey();
  rejects(() => open(k, Buffer.alloc(0), b));
  rejects(() => open(k, seal(k, plain, b).subarray(0, 20), b));
});
