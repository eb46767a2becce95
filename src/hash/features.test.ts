/**
 * ORB extraction (orb-v2): keypoints spread over the image instead of crowding into its most textured part, small
 * images upsampled, low-contrast images stretched — each checked on a generated image against the same extraction
 * with that step turned off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Raster } from '../image/decode.js';
import { extractFeatures, fitSimilarity, matchFeatures, nearestTwoJs, type Features } from './features.js';
import { nearestTwo } from './simd/hamming.js';

async function raster(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Left half: dense high-contrast checker noise; right half: a few sparse, larger and softer rectangles. */
async function lopsided(): Promise<Buffer> {
  const W = 800;
  const H = 500;
  const parts: string[] = [`<rect width="${W}" height="${H}" fill="#888"/>`];
  let s = 7;
  const r = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < 400; i++) parts.push(`<rect x="${Math.floor(r() * 390)}" y="${Math.floor(r() * H)}" width="6" height="6" fill="${r() < 0.5 ? '#000' : '#fff'}"/>`);
  for (let i = 0; i < 30; i++) parts.push(`<rect x="${420 + Math.floor(r() * 340)}" y="${20 + Math.floor(r() * 440)}" width="${10 + Math.floor(r() * 30)}" height="${10 + Math.floor(r() * 30)}" fill="#${r() < 0.5 ? '303030' : 'e0e0e0'}"/>`);
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`)).png().toBuffer();
}

test('keypoints are spread over the grid, not only where the texture is strongest', async () => {
  const r = await raster(await lopsided());
  const rightShare = (f: { count: number; xy: Float32Array }): number => {
    let n = 0;
    for (let i = 0; i < f.count; i++) if (f.xy[2 * i]! > 400) n++;
    return n / Math.max(1, f.count);
  };
  const spread = await extractFeatures(r);
  const crowded = await extractFeatures(r, { gridCell: 0 });
  assert.ok(spread.count >= 500, `only ${spread.count} keypoints`);
  assert.ok(rightShare(spread) > rightShare(crowded) + 0.03, `right-half share ${rightShare(spread).toFixed(3)} vs ${rightShare(crowded).toFixed(3)} without the grid`);
  // Strongest first is kept (the index takes a prefix): the output is in one order, no duplicates of a position.
  const seen = new Set<string>();
  for (let i = 0; i < spread.count; i++) seen.add(`${spread.xy[2 * i]},${spread.xy[2 * i + 1]}`);
  assert.ok(seen.size > spread.count * 0.95);
});

test('small and low-contrast images still give keypoints, and a half-size copy matches its original', async () => {
  const png = await lopsided();
  const small = await raster(await sharp(png).resize(300).png().toBuffer());
  const up = await extractFeatures(small);
  const native = await extractFeatures(small, { maxUpscale: 1 });
  assert.ok(up.count > native.count, `upsampled ${up.count} vs native ${native.count}`);
  // Coordinates stay in the image's own pixels.
  for (let i = 0; i < up.count; i++) assert.ok(up.xy[2 * i]! < 300 && up.xy[2 * i + 1]! < 188);
  // Contrast squeezed into 20 grey levels: FAST's fixed threshold sees little unless the levels are stretched.
  const flat = await raster(await sharp(png).linear(20 / 255, 118).png().toBuffer());
  const stretched = await extractFeatures(flat);
  const plain = await extractFeatures(flat, { stretch: false });
  assert.ok(stretched.count > plain.count * 1.5, `stretched ${stretched.count} vs ${plain.count}`);
  const m = await matchFeatures(up, await extractFeatures(await raster(png)));
  assert.ok(m.inliers >= 40 && m.homography, `inliers ${m.inliers}`);
});

test('a similarity fit recovers scale, rotation and shift among outliers, and finds no model in random matches', () => {
  const rand = ((seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296))(7);
  const a = 0.6 * Math.cos(0.1);
  const b = 0.6 * Math.sin(0.1);
  const src: number[] = [];
  const dst: number[] = [];
  for (let i = 0; i < 12; i++) {
    const x = rand() * 800;
    const y = rand() * 600;
    src.push(x, y);
    if (i < 7) dst.push(a * x - b * y + 40 + rand() - 0.5, b * x + a * y - 25 + rand() - 0.5);
    else dst.push(rand() * 500, rand() * 400);
  }
  const query = { width: 500, height: 400, count: 0, xy: new Float32Array(0), desc: new Uint8Array(0) };
  const m = fitSimilarity({ src, dst, count: 12 }, query);
  assert.equal(m.inliers, 7);
  const H = m.homography!;
  assert.ok(Math.abs(H[0]! - a) < 0.01 && Math.abs(H[3]! - b) < 0.01 && Math.abs(H[2]! - 40) < 2 && Math.abs(H[5]! + 25) < 2, JSON.stringify(H));
  const noise = { src: src.map(() => rand() * 800), dst: dst.map(() => rand() * 500), count: 12 };
  assert.ok(fitSimilarity(noise, query).inliers < 4);
});

test('the WebAssembly nearest-two scan gives the JS loop’s distances, ties and indices', () => {
  const rand = ((seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296))(11);
  const feats = (n: number, base?: Uint8Array): Features => {
    const desc = new Uint8Array(n * 32);
    for (let i = 0; i < desc.length; i++) desc[i] = Math.floor(rand() * 256);
    // Near-copies and exact duplicates of the base set: small distances and ties between candidates.
    if (base) for (let i = 0; i < n / 2; i++) {
      desc.set(base.subarray((i % (base.length / 32)) * 32, (i % (base.length / 32)) * 32 + 32), i * 32);
      if (i % 3 === 1) desc[i * 32 + (i % 32)]! ^= 1 << (i % 8);
    }
    return { width: 100, height: 100, count: n, xy: new Float32Array(n * 2), desc };
  };
  const q = feats(97);
  const c = feats(203, q.desc);
  const wasm = nearestTwo(q.desc, q.count, c.desc, c.count);
  assert.ok(wasm, 'WebAssembly SIMD is available on Node 20');
  assert.deepEqual([...wasm!], [...nearestTwoJs(q, c)]);
  assert.deepEqual([...nearestTwo(q.desc, q.count, c.desc, 0)!].slice(0, 3), [257, 257, -1]);
});
