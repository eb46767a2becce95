import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceIndex } from './face-index.js';
import { descriptorDistance } from './engine.js';

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

test('1:N search returns the exact nearest neighbours (vs. brute force)', () => {
  const r = rand(7);
  const idx = new FaceIndex(128, 4); // small capacity: exercises growth
  const all: Array<{ id: string; d: Float32Array }> = [];
  for (let i = 0; i < 500; i++) {
    const d = Float32Array.from({ length: 128 }, () => (r() - 0.5) * 0.2);
    idx.add(`sub_${i}`, d);
    all.push({ id: `sub_${i}`, d });
  }
  const q = Float32Array.from((all[123] as { d: Float32Array }).d, (v) => v + 0.001);
  const hits = idx.search(q, 5);
  const truth = all.map((a) => ({ id: a.id, distance: descriptorDistance(a.d, q) })).sort((a, b) => a.distance - b.distance).slice(0, 5);
  assert.deepEqual(hits.map((h) => h.id), truth.map((t) => t.id));
  hits.forEach((h, i) => assert.ok(Math.abs(h.distance - (truth[i] as { distance: number }).distance) < 1e-4));
  assert.equal(hits[0]?.id, 'sub_123');
});

test('1:N search honours maxDistance and de-duplicates subjects', () => {
  const idx = new FaceIndex(4);
  idx.add('a', Float32Array.from([0, 0, 0, 0]));
  idx.add('a', Float32Array.from([0.1, 0, 0, 0]));
  idx.add('b', Float32Array.from([1, 0, 0, 0]));
  assert.deepEqual(idx.search(Float32Array.from([0, 0, 0, 0]), 3).map((h) => h.id), ['a', 'b']);
  assert.deepEqual(idx.search(Float32Array.from([0, 0, 0, 0]), 3, 0.5).map((h) => h.id), ['a']);
  assert.throws(() => idx.search(Float32Array.from([0, 0]), 1), /INVALID|Expected/);
});
