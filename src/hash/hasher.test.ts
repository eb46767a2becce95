/** Hex and Hamming helpers shared by every 256-bit hash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromHex, hamming256, hammingWords, popcount32, toHex, toWords } from './hasher.js';

function naive(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x >>= 1) d += x & 1;
  return d;
}

test('hex round-trips and rejects malformed input with a clear error', () => {
  const h = new Uint8Array(randomBytes(32));
  assert.deepEqual(fromHex(toHex(h)), h);
  assert.equal(toHex(new Uint8Array(32)).length, 64);
  assert.throws(() => fromHex('xyz'), /Expected 64 hexadecimal digits for hash/);
});

test('hamming256 and the word form agree with a naive bit count', () => {
  assert.equal(popcount32(0xffffffff), 32);
  assert.equal(popcount32(0), 0);
  for (let i = 0; i < 200; i++) {
    const a = new Uint8Array(randomBytes(32));
    const b = new Uint8Array(randomBytes(32));
    const d = naive(a, b);
    assert.equal(hamming256(a, b), d);
    assert.equal(hammingWords(toWords(a), 0, toWords(b)), d);
  }
  assert.throws(() => hamming256(new Uint8Array(31), new Uint8Array(32)), /32 bytes/);
});
