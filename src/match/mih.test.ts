/** Randomised equivalence: the multi-index hashing index returns exactly what the linear scan returns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MihIndex } from './mih.js';
import { LinearScanIndex } from './linear.js';
import type { HammingIndex } from './hamming-index.js';

/** Small deterministic PRNG (mulberry32) so failures reproduce from the printed seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomHash(r: () => number): Uint8Array {
  const h = new Uint8Array(32);
  for (let i = 0; i < 32; i++) h[i] = (r() * 256) | 0;
  return h;
}

/** Copy of `h` with exactly `bits` distinct bits flipped. */
function flip(h: Uint8Array, bits: number, r: () => number): Uint8Array {
  const out = h.slice();
  const chosen = new Set<number>();
  while (chosen.size < bits) chosen.add((r() * 256) | 0);
  for (const b of chosen) out[b >> 3]! ^= 1 << (b & 7);
  return out;
}

function both(chunkBits?: number): [MihIndex, HammingIndex] {
  // Wide chunks have 2^bits-entry tables: merge only on the explicit rebuild() below to keep the test fast.
  const wide = chunkBits !== undefined && chunkBits > 16;
  return [new MihIndex({ minPending: wide ? 1e6 : 64, maxPending: wide ? 1e6 : 256, ...(chunkBits ? { chunkBits } : {}) }), new LinearScanIndex()];
}

test('empty index answers with no candidates', () => {
  const [m, l] = both();
  assert.deepEqual(m.search(new Uint8Array(32)), []);
  assert.deepEqual(l.search(new Uint8Array(32)), []);
});

test('MIH equals linear scan on random, clustered and near-duplicate sets, all radii and chunk layouts', () => {
  for (const [seed, bits] of [[1, 16], [2, 16], [3, 23], [4, 20], [5, 24]] as const) {
    const r = rng(seed);
    const [m, l] = both(bits);
    const centres: Uint8Array[] = [];
    let key = 0;
    const stored: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      let h: Uint8Array;
      const kind = r();
      if (kind < 0.4 || centres.length === 0) {
        h = randomHash(r);
        if (r() < 0.1) centres.push(h);
      } else {
        // Clustered: near-duplicates 0–60 bits from a centre (ID cards of one issuer sit 24–60 bits apart).
        h = flip(centres[(r() * centres.length) | 0]!, (r() * 61) | 0, r);
      }
      stored.push(h);
      m.add(key, h);
      l.add(key, h);
      key++;
    }
    m.rebuild();
    // Delete some (tombstones inside the tables), then query.
    for (let i = 0; i < 300; i++) {
      const k = (r() * key) | 0;
      const withHash = r() < 0.5;
      assert.equal(m.remove(k, withHash ? stored[k] : undefined), l.remove(k), `seed ${seed} remove ${k}`);
    }
    for (const radius of [0, 8, 15, 16, 24, 31, 32, 40, 47, 48, 64]) {
      for (let qn = 0; qn < 40; qn++) {
        const base = r() < 0.7 ? stored[(r() * stored.length) | 0]! : randomHash(r);
        const query = flip(base, (r() * (radius + 8)) | 0, r);
        assert.deepEqual(m.search(query, { radius }), l.search(query, { radius }), `seed ${seed} bits ${bits} radius ${radius} query ${qn}`);
      }
    }
    assert.equal(m.size, l.size);
  }
});

test('top-K cuts nearest first; bad radius is a clear user error', () => {
  const [m] = both();
  const r = rng(9);
  const h = randomHash(r);
  for (let i = 0; i < 10; i++) m.add(i, flip(h, i, r));
  const hits = m.search(h, { radius: 31, top: 3 });
  assert.deepEqual(hits.map((x) => x.key), [0, 1, 2]);
  assert.throws(() => m.search(h, { radius: 300 }), /radius/);
  assert.throws(() => m.search(new Uint8Array(5)), /32 bytes/);
});

test('bulk load then incremental inserts and compaction stay exact', () => {
  const r = rng(42);
  const m = new MihIndex({ minPending: 100, maxPending: 100 });
  const l = new LinearScanIndex();
  const n = 5000;
  const keys = new Uint32Array(n).map((_, i) => i);
  const hashes = new Uint8Array(n * 32);
  for (let i = 0; i < n * 32; i++) hashes[i] = (r() * 256) | 0;
  m.addMany(keys, hashes);
  l.addMany(keys, hashes);
  for (let k = 0; k < 2500; k++) assert.equal(m.remove(k), 1);
  for (let k = 0; k < 2500; k++) l.remove(k);
  for (let i = 0; i < 500; i++) {
    const h = randomHash(r);
    m.add(n + i, h);
    l.add(n + i, h);
  }
  for (let qn = 0; qn < 100; qn++) {
    const q = flip(hashes.subarray(((r() * n) | 0) * 32).slice(0, 32), (r() * 40) | 0, r);
    assert.deepEqual(m.search(q), l.search(q));
  }
  assert.equal(m.size, 3000);
});
