/** Descriptor vote index: equal to a brute-force tally of the same rule; template descriptors drop out; deletes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DescriptorVoteIndex, SIGNATURE_SLACK, type ImageVote } from './descriptor-index.js';

/** Deterministic generator (tests must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomDesc(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n * 32);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  return out;
}

function flip(src: Uint8Array, bits: number, r: () => number): Uint8Array {
  const out = src.slice();
  for (let k = 0; k < bits; k++) {
    const b = Math.floor(r() * 256);
    out[b >> 3]! ^= 1 << (b & 7);
  }
  return out;
}

function dist(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  let d = 0;
  for (let i = 0; i < 32; i++) {
    let x = a[ai * 32 + i]! ^ b[bi * 32 + i]!;
    for (; x; x &= x - 1) d++;
  }
  return d;
}

/**
 * The rule the index implements, by brute force: a match is within the radius AND equal in some 16-bit chunk c whose
 * next chunk (c+1 mod 16) differs in at most 5 bits.
 */
function bruteVote(images: Map<string, { kind: string; desc: Uint8Array }>, query: Uint8Array, radius: number, cap: number): ImageVote[] {
  const acc = new Map<string, { votes: number; voters: number; kind: string }>();
  for (let q = 0; q < query.length / 32; q++) {
    const hit: string[] = [];
    for (const [id, im] of images) {
      for (let i = 0; i < im.desc.length / 32; i++) {
        let chunk = false;
        for (let c = 0; c < 16 && !chunk; c++) {
          const sc = (c + 1) % 16;
          let sigDiff = 0;
          for (let x = ((query[q * 32 + 2 * sc]! << 8) | query[q * 32 + 2 * sc + 1]!) ^ ((im.desc[i * 32 + 2 * sc]! << 8) | im.desc[i * 32 + 2 * sc + 1]!); x; x &= x - 1) sigDiff++;
          chunk = query[q * 32 + 2 * c] === im.desc[i * 32 + 2 * c] && query[q * 32 + 2 * c + 1] === im.desc[i * 32 + 2 * c + 1] && sigDiff <= SIGNATURE_SLACK;
        }
        if (chunk && dist(query, q, im.desc, i) <= radius) {
          hit.push(id);
          break;
        }
      }
    }
    if (hit.length === 0 || hit.length > cap) continue;
    for (const id of hit) {
      const a = acc.get(id) ?? { votes: 0, voters: 0, kind: images.get(id)!.kind };
      a.votes += 1 / hit.length;
      a.voters++;
      acc.set(id, a);
    }
  }
  return [...acc.entries()]
    .filter(([, a]) => a.voters >= 2)
    .map(([imageId, a]) => ({ imageId, kind: a.kind, votes: a.votes, voters: a.voters }))
    .sort((x, y) => y.votes - x.votes || (x.imageId < y.imageId ? -1 : 1));
}

function approxEqual(a: ImageVote[], b: ImageVote[]): void {
  assert.deepEqual(a.map((v) => [v.imageId, v.voters]), b.map((v) => [v.imageId, v.voters]));
  a.forEach((v, i) => assert.ok(Math.abs(v.votes - b[i]!.votes) < 1e-9));
}

test('votes equal a brute-force tally of the same rule, with pending rows and after rebuild, over random clustered sets', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const r = rng(seed);
    const idx = new DescriptorVoteIndex();
    const images = new Map<string, { kind: string; desc: Uint8Array }>();
    // A "design" shared by a group of images (template descriptors), person-specific ones random.
    const design = randomDesc(r, 20);
    for (let i = 0; i < 60; i++) {
      const desc = randomDesc(r, 40);
      if (i % 2 === 0) for (let d = 0; d < 20; d++) desc.set(flip(design.subarray(d * 32, d * 32 + 32), 2 + Math.floor(r() * 8), r), d * 32);
      const kind = i % 3 === 0 ? 'selfie' : 'id_front';
      images.set(`img-${i}`, { kind, desc });
      idx.addImage(`img-${i}`, kind, desc, Number.POSITIVE_INFINITY, { deferMerge: i < 30 });
      if (i === 29) idx.rebuild();
    }
    // Query: a noisy copy of one image's descriptors plus the design plus noise.
    const src = images.get('img-10')!.desc;
    const parts: Uint8Array[] = [];
    for (let d = 0; d < 40; d++) parts.push(flip(src.subarray(d * 32, d * 32 + 32), Math.floor(r() * 30), r));
    parts.push(randomDesc(r, 10));
    const query = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      query.set(p, at);
      at += p.length;
    }
    for (const cap of [8, 32]) {
      const got = idx.vote(query, { radius: 31, maxImagesPerDescriptor: cap, limit: 1000 });
      approxEqual(got, bruteVote(images, query, 31, cap));
      assert.equal(got[0]?.imageId, 'img-10');
    }
    idx.rebuild();
    approxEqual(idx.vote(query, { limit: 1000 }), bruteVote(images, query, 31, 32));
  }
});

test('template descriptors shared by many images give no vote; person-specific ones decide', () => {
  const r = rng(9);
  const idx = new DescriptorVoteIndex();
  const design = randomDesc(r, 30);
  for (let i = 0; i < 100; i++) {
    const own = randomDesc(r, 30);
    const desc = new Uint8Array(60 * 32);
    for (let d = 0; d < 30; d++) desc.set(flip(design.subarray(d * 32, d * 32 + 32), 3, r), d * 32);
    desc.set(own, 30 * 32);
    idx.addImage(`card-${i}`, 'id_front', desc);
  }
  idx.rebuild();
  assert.deepEqual(idx.vote(new Uint8Array(0)), []);
  // A card not in the vault, of the same design: every descriptor hits all 100 cards and is dropped.
  const q = new Uint8Array(60 * 32);
  for (let d = 0; d < 30; d++) q.set(flip(design.subarray(d * 32, d * 32 + 32), 2, r), d * 32);
  const votes = idx.vote(q);
  assert.equal(idx.lastStats.dropped, 30);
  assert.deepEqual(votes, []);
});

test('kinds filter, removal, replacement and compaction', () => {
  const r = rng(3);
  const idx = new DescriptorVoteIndex();
  const descs: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    descs.push(randomDesc(r, 40));
    idx.addImage(`img-${i}`, i % 2 ? 'selfie' : 'id_front', descs[i]!);
  }
  const q = (i: number): Uint8Array => descs[i]!.map((b, k) => (k % 32 === 31 ? b ^ 1 : b));
  assert.equal(idx.vote(q(7))[0]?.imageId, 'img-7');
  assert.deepEqual(idx.vote(q(7), { kinds: ['id_front'] }), []);
  assert.equal(idx.vote(q(8), { kinds: ['id_front'] })[0]?.imageId, 'img-8');
  assert.equal(idx.removeImage('img-7'), true);
  assert.equal(idx.removeImage('img-7'), false);
  assert.deepEqual(idx.vote(q(7)), []);
  // Replace img-8's descriptors: its old ones no longer vote for it.
  idx.addImage('img-8', 'id_front', descs[9]!);
  assert.deepEqual(idx.vote(q(8)), []);
  assert.deepEqual(new Set(idx.vote(q(9)).map((v) => v.imageId)), new Set(['img-8', 'img-9']));
  // Remove most images: compaction runs, the rest still vote, the index shrinks.
  for (let i = 10; i < 190; i++) idx.removeImage(`img-${i}`);
  assert.equal(idx.images, 200 - 1 - 180);
  assert.equal(idx.size, idx.images * 40);
  assert.equal(idx.vote(q(195))[0]?.imageId, 'img-195');
  assert.throws(() => idx.addImage('bad', 'x', new Uint8Array(31)), /multiple of 32/);
});
