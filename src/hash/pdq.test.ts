/** PDQ behaviour beyond the reference vectors (those are in test/pdq-vectors.test.ts): edge cases and robustness. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Raster } from '../image/decode.js';
import { hamming256 } from './hasher.js';
import { pdqDihedral, pdqHash, pdqHasher } from './pdq.js';

async function scene(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#3a6ea5"/><circle cx="${width * 0.3}" cy="${height * 0.4}" r="${height * 0.25}" fill="#f4d35e"/><rect x="${width * 0.55}" y="${height * 0.2}" width="${width * 0.3}" height="${height * 0.6}" fill="#ee964b"/><path d="M0 ${height} L${width * 0.5} ${height * 0.6} L${width} ${height}" fill="#0d3b66"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function raster(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

test('tiny images hash to zero with quality 0 (as the reference does)', () => {
  const r: Raster = { width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(200) };
  const { hash, quality } = pdqHash(r);
  assert.equal(quality, 0);
  assert.ok(hash.every((b) => b === 0));
});

test('a raster whose buffer is too short is rejected', () => {
  assert.throws(() => pdqHash({ width: 10, height: 10, channels: 3, data: new Uint8Array(10) }), /raster/);
});

test('hasher id is versioned and the first dihedral hash equals the plain hash', async () => {
  assert.equal(pdqHasher.id, 'pdq-v1');
  const r = await raster(await scene(640, 480));
  const d = pdqDihedral(r);
  assert.deepEqual(d.hashes[0], pdqHash(r).hash);
  assert.ok(d.quality > 50);
});

test('re-encoding and resizing move the hash by few bits; a mirror is found among the dihedral variants', async () => {
  const png = await scene(800, 600);
  const a = pdqHash(await raster(png)).hash;
  const small = pdqHash(await raster(await sharp(png).resize(320).jpeg({ quality: 50 }).toBuffer())).hash;
  assert.ok(hamming256(a, small) <= 16, `resize+jpeg distance ${hamming256(a, small)}`);
  const mirrored = pdqHash(await raster(await sharp(png).flop().toBuffer())).hash;
  assert.ok(hamming256(a, mirrored) > 31);
  const best = Math.min(...pdqDihedral(await raster(png)).hashes.map((h) => hamming256(h, mirrored)));
  assert.ok(best <= 31, `best dihedral distance ${best}`); // within the match radius (the 512-px nearest-neighbour step is not mirror-symmetric)
});
