/**
 * End-to-end retrieval on generated images: PDQ finds re-encoded and mirrored copies, local features find a heavy
 * crop with rotation and return a homography that maps original → copy coordinates; unrelated images and an empty
 * index give no candidates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import type { Raster } from '../image/decode.js';
import { SqliteHashStore } from '../storage/hashes/sqlite.js';
import { ImageMatcher } from './retrieval.js';
import { deserializeFeatures, extractFeatures, serializeFeatures } from '../hash/features.js';

function rnd(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A textured "document": random shapes and words, distinct per seed. */
async function doc(seed: number): Promise<Buffer> {
  const r = rnd(seed);
  const W = 900;
  const H = 600;
  const parts: string[] = [`<rect width="${W}" height="${H}" fill="hsl(${Math.floor(r() * 360)},30%,85%)"/>`];
  for (let i = 0; i < 40; i++) {
    const x = Math.floor(r() * W);
    const y = Math.floor(r() * H);
    const c = `hsl(${Math.floor(r() * 360)},60%,${20 + Math.floor(r() * 50)}%)`;
    if (i % 3 === 0) parts.push(`<circle cx="${x}" cy="${y}" r="${10 + Math.floor(r() * 50)}" fill="${c}"/>`);
    else if (i % 3 === 1) parts.push(`<rect x="${x}" y="${y}" width="${20 + Math.floor(r() * 120)}" height="${10 + Math.floor(r() * 60)}" fill="${c}" transform="rotate(${Math.floor(r() * 90)} ${x} ${y})"/>`);
    else parts.push(`<text x="${x}" y="${y}" font-size="${18 + Math.floor(r() * 30)}" font-family="DejaVu Sans" fill="${c}">W${Math.floor(r() * 1e6)}</text>`);
  }
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`)).png().toBuffer();
}

async function raster(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

test('features serialise round-trip', async () => {
  const f = await extractFeatures(await raster(await doc(1)));
  assert.ok(f.count > 100, `only ${f.count} keypoints`);
  const g = deserializeFeatures(serializeFeatures(f));
  assert.equal(g.count, f.count);
  assert.deepEqual(g.desc, f.desc);
  assert.deepEqual(g.xy, f.xy);
  assert.throws(() => deserializeFeatures(new Uint8Array(10)), /features/);
});

test('retrieval: PDQ for re-encodes and mirrors, features for crop+rotation, nothing for unrelated or empty', async () => {
  const store = new SqliteHashStore(new Database(':memory:'));
  store.migrate();
  const empty = new ImageMatcher(store);
  assert.deepEqual(await empty.match(await raster(await doc(1))), []);

  const matcher = new ImageMatcher(store);
  const docs = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => doc(s)));
  for (const [i, d] of docs.entries()) await matcher.ingest(`img-${i}`, 'id_front', await raster(d));
  // Reload from the tables, as `tracemark index rebuild` does.
  const m = new ImageMatcher(store);
  assert.equal(m.load().pdq, 6);

  const jpeg = await m.match(await raster(await sharp(docs[2]!).resize(450).jpeg({ quality: 60 }).toBuffer()));
  assert.equal(jpeg[0]?.imageId, 'img-2');
  assert.ok(jpeg[0]!.distance !== null && jpeg[0]!.distance <= 31);

  const mirrored = await m.match(await raster(await sharp(docs[3]!).flop().toBuffer()));
  assert.equal(mirrored[0]?.imageId, 'img-3');
  assert.notEqual(mirrored[0]?.variant, 'original');

  // 60 % crop, rotated 8°, re-encoded: invisible to PDQ, found by local features with a homography.
  const left = 200;
  const top = 100;
  const cropped = await sharp(docs[4]!).extract({ left, top, width: 540, height: 360 }).rotate(8, { background: '#000' }).jpeg({ quality: 80 }).toBuffer();
  const hits = await m.match(await raster(cropped));
  assert.equal(hits.length, 1, JSON.stringify(hits.map((h) => [h.imageId, h.inliers])));
  const h = hits[0]!;
  assert.equal(h.imageId, 'img-4');
  assert.equal(h.method, 'features');
  assert.ok(h.homography);
  // The original's point (left, top) lands where the rotation put the crop's corner: check a round trip of the centre.
  const H = h.homography!;
  const cx = left + 270;
  const cy = top + 180;
  const w = H[6]! * cx + H[7]! * cy + H[8]!;
  const qx = (H[0]! * cx + H[1]! * cy + H[2]!) / w;
  const qy = (H[3]! * cx + H[4]! * cy + H[5]!) / w;
  const meta = await sharp(cropped).metadata();
  assert.ok(Math.abs(qx - meta.width! / 2) < 6 && Math.abs(qy - meta.height! / 2) < 6, `centre mapped to ${qx.toFixed(1)},${qy.toFixed(1)}`);

  const unrelated = await m.match(await raster(await doc(99)));
  assert.deepEqual(unrelated, []);

  assert.equal(m.remove(['img-4']), 2, 'the PDQ and canonical PDQ rows (descriptors are one packed blob)');
  assert.ok(!store.descriptorImages('orb-desc-v2').has('img-4'));
  assert.ok(!(await m.match(await raster(cropped))).some((c) => c.imageId === 'img-4'));
});

test('retrieval: look-alikes of one design come back as runner-ups (confident: false) when none stands out', async () => {
  const store = new SqliteHashStore(new Database(':memory:'));
  store.migrate();
  const m = new ImageMatcher(store);
  // Two "cards" of one design that differ only in a small record-specific patch.
  const design = await doc(7);
  const card = async (text: string): Promise<Buffer> =>
    sharp(design).composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40"><rect width="160" height="40" fill="#fff"/><text x="6" y="30" font-size="26" font-family="DejaVu Sans">${text}</text></svg>`), left: 20, top: 20 }]).png().toBuffer();
  const a = await card('K81734');
  await m.ingest('card-a', 'id_front', await raster(a));
  await m.ingest('card-b', 'id_front', await raster(await card('Q20965')));
  for (const s of [11, 12, 13]) await m.ingest(`other-${s}`, 'id_front', await raster(await doc(s)));
  const q = await raster(await sharp(a).extract({ left: 100, top: 60, width: 640, height: 420 }).rotate(6, { background: '#000' }).jpeg({ quality: 70 }).toBuffer());
  const all = await m.match(q);
  const ids = all.map((c) => c.imageId);
  assert.ok(ids.includes('card-a') && ids.includes('card-b'), JSON.stringify(all.map((c) => [c.imageId, c.inliers, c.confident])));
  assert.ok(all.every((c) => !c.confident));
  assert.ok(!ids.some((id) => id.startsWith('other-')));
  assert.deepEqual(await m.match(q, { confidentOnly: true }), []);
});

test('index rebuild: images hashed by an older feature algorithm are not up to date', async () => {
  const store = new SqliteHashStore(new Database(':memory:'));
  store.migrate();
  const m = new ImageMatcher(store);
  await m.ingest('new', 'id_front', await raster(await doc(21)));
  // What an orb-v1 ingest stored: PDQ, v1 descriptor rows and a v1 features blob.
  store.put({ imageId: 'old', kind: 'id_front', hashes: [{ algo: 'pdq-v1', hash: new Uint8Array(32), quality: 100 }, { algo: 'orb-desc-v1', hash: new Uint8Array(32), quality: 0 }], features: { algo: 'orb-v1', data: new Uint8Array(16) } });
  assert.deepEqual([...m.upToDate()], ['new']);
  // Nor is one without the canonical-rendition PDQ (added later): rebuild computes it.
  assert.deepEqual([...new ImageMatcher(store, { features: false }).upToDate()].sort(), ['new']);
  store.put({ imageId: 'old', kind: 'id_front', hashes: [{ algo: 'pdq-v1', hash: new Uint8Array(32), quality: 100 }, { algo: 'pdq-c128-v1', hash: new Uint8Array(32), quality: 100 }] });
  assert.deepEqual([...new ImageMatcher(store, { features: false }).upToDate()].sort(), ['new', 'old']);
  // Old descriptor rows are not loaded into the index.
  let stored = 0;
  store.scanDescriptors('orb-desc-v2', (_id, _kind, data) => (stored += data.length / 32));
  assert.ok(stored > 0);
  assert.equal(new ImageMatcher(store).load().descriptors, stored);
});

test('retrieval: a halved copy of a small text image is found by the canonical-rendition PDQ, and erased with it', async () => {
  const store = new SqliteHashStore(new Database(':memory:'));
  store.migrate();
  const m = new ImageMatcher(store, { features: false });
  const lines = ['Region-based segmentation', 'Let us first determine markers of the coins and the', 'background. These markers are pixels that we can label', 'unambiguously as either object or background. Here,', 'the markers are found at the two extreme parts of the'];
  const text = (seed: number): Promise<Buffer> =>
    sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="384" height="191"><rect width="384" height="191" fill="#f4f4f4"/>${lines.map((l, i) => `<text x="6" y="${22 + i * 18}" font-size="${i ? 12 : 18}" font-family="DejaVu Sans" fill="#222">${i === 2 ? `${l} ${seed}` : l}</text>`).join('')}</svg>`)).png().toBuffer();
  const src = await text(1);
  await m.ingest('doc', 'other', await raster(src));
  for (const s of [2, 3, 4]) await m.ingest(`other-${s}`, 'other', await raster(await doc(s)));
  const reloaded = new ImageMatcher(store, { features: false });
  reloaded.load();
  const halved = await raster(await sharp(src).resize(192).jpeg({ quality: 90 }).toBuffer());
  const hits = await reloaded.match(halved);
  // The reference PDQ of this copy is beyond the radius (checked: with the canonical search off it is not found).
  assert.equal(hits[0]?.imageId, 'doc', JSON.stringify(hits));
  assert.ok(hits[0]!.distance! <= 16);
  assert.ok(!hits.some((h) => h.imageId.startsWith('other-')));
  reloaded.remove(['doc']);
  assert.deepEqual(await reloaded.match(halved), []);
  assert.deepEqual(await new ImageMatcher(store, { features: false }).match(halved), []);
});
