import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, TEXTURE, psnrCap, textureWeight, workingSize } from './embed.js';
import { embed } from './api.js';
import { psnr, ssim } from './metrics.js';
import { TILE } from './pattern.js';

const key = { id: 'wmk_test', secret: new Uint8Array(32).map((_, i) => (i * 37 + 11) & 255) };
const payload = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

/** A histogram of `n` σ values, all equal to `sd`. */
function histAt(sd: number, n: number): Uint32Array {
  const h = new Uint32Array(TEXTURE.bins);
  h[Math.min(TEXTURE.bins - 1, Math.floor(sd / TEXTURE.binWidth))] = n;
  return h;
}

/** Grey image from a per-pixel function (RGB equal). */
function grey(width: number, height: number, f: (x: number, y: number) => number): { width: number; height: number; channels: 3; data: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = Math.max(0, Math.min(255, Math.round(f(x, y))));
      data.set([v, v, v], (y * width + x) * 3);
    }
  return { width, height, channels: 3, data };
}

test('texture weight: 0 for flat images, 1 for strong texture, smaller when the fold has many tiles', () => {
  const n = 10 * TILE * TILE; // 10 tiles: no tile discount
  assert.equal(textureWeight(histAt(1, n), n), 0);
  assert.equal(textureWeight(histAt(TEXTURE.lo - 0.5, n), n), 0);
  assert.equal(textureWeight(histAt(30, n), n), 1);
  const mid = textureWeight(histAt(10, n), n);
  assert.ok(mid > 0.4 && mid < 0.6, `τ(10) = ${mid}`);
  // 25 % flat pixels are enough to keep τ at 0 (text on a flat background).
  const h = histAt(30, n);
  h[0] = Math.ceil(0.26 * n);
  assert.equal(textureWeight(h, n), 0);
  // 40 tiles: the quantile counts half (√(10/40)).
  const n4 = 4 * n;
  assert.ok(Math.abs(textureWeight(histAt(20, n4), n4) - textureWeight(histAt(10, n), n)) < 0.02);
  assert.equal(psnrCap(0), MASK.psnr);
  assert.equal(psnrCap(1), MASK.psnrFloor);
});

test('document-like image (text strokes on a flat background) keeps the 42.15 dB cap', () => {
  // Dark 3-px strokes on a light background, in "lines" of text.
  const img = grey(1012, 638, (x, y) => ((y % 40) < 14 && (x % 9) < 3 && ((x * 7 + y) % 23) > 5 ? 30 : 235));
  const m = embed(img, payload, key);
  const p = psnr(img, m);
  assert.ok(p >= MASK.psnr - 0.05, `PSNR ${p.toFixed(2)}`);
});

test('close-up texture spends more energy, down to the floor, and keeps SSIM ≥ 0.97', () => {
  // Grass-like texture: smoothed noise with local σ ≈ 25 grey levels at the chip scale.
  let s = 12345;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const W = 512;
  const noise = new Float32Array(W * W).map(() => rnd() * 2 - 1);
  const img = grey(W, W, (x, y) => {
    let a = 0;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) a += noise[Math.min(W - 1, y + dy) * W + Math.min(W - 1, x + dx)]!;
    return 128 + 30 * a;
  });
  const { w, h } = workingSize(W, W);
  assert.ok((w * h) / (TILE * TILE) <= TEXTURE.refTiles + 1);
  const m = embed(img, payload, key);
  const p = psnr(img, m);
  const q = ssim(img, m);
  assert.ok(p >= MASK.psnrFloor - 0.05 && p < MASK.psnr - 2, `PSNR ${p.toFixed(2)}`);
  assert.ok(q >= 0.97, `SSIM ${q.toFixed(4)}`);
});
