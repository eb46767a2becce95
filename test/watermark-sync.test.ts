/**
 * Synchronisation cases that once failed: unscaled crops of large images (whose tile period is set by the period
 * ladder, not by the crop's size) and geometric attacks on strongly periodic images (dot grids), whose own lattice
 * dominates an unflattened autocorrelation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type Sharp } from 'sharp';
import { decodeImage } from '../src/image/decode.js';
import { detect, embed, parsePayloadHex } from '../src/watermark/index.js';
import { PERIOD_LADDER, workingSize } from '../src/watermark/embed.js';
import { TILE } from '../src/watermark/pattern.js';
import { perspective, type Rgb } from '../bench/attacks.js';

const LIMITS = { maxPixels: 50_000_000 };
const key = { id: 'wmk_sync', secret: new Uint8Array(32).map((_, i) => (i * 29 + 3) & 255) };
const payload = parsePayloadHex('0123456789abcdef');

async function raw(p: Sharp): Promise<Rgb> {
  const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * A dot-grid wallpaper: soft round dots every `pitch` px, a colour gradient and a little sensor noise. (Measured: with
 * the autocorrelation unflattened, resized and rotated copies of this image are not read at all.)
 */
function dotGrid(w: number, h: number, pitch: number): Rgb {
  let s = 7;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const data = new Uint8Array(w * h * 3);
  const sig2 = (pitch * 0.22) ** 2;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const dx = (x % pitch) - pitch / 2;
      const dy = (y % pitch) - pitch / 2;
      const v = 70 + 40 * Math.exp(-(dx * dx + dy * dy) / (2 * sig2)) + (rnd() - 0.5) * 8;
      const i = (y * w + x) * 3;
      data[i] = Math.max(0, Math.min(255, v * 0.5 + (50 * x) / w));
      data[i + 1] = Math.max(0, Math.min(255, v * 0.8));
      data[i + 2] = Math.max(0, Math.min(255, v * 1.2));
    }
  return { width: w, height: h, channels: 3, data };
}

const ok = (r: { detected: boolean; payload: Uint8Array | null }): boolean => r.detected && r.payload !== null && Buffer.from(r.payload).equals(Buffer.from(payload));

test('tile periods lie on the period ladder for every image size', () => {
  for (const [w, h] of [[300, 200], [512, 512], [1012, 638], [2048, 1365], [4000, 3000], [7000, 5000]] as const) {
    const ws = workingSize(w, h);
    assert.ok(ws.w * ws.h <= 260_000 && ws.w <= w && ws.h <= h, `${w}×${h} → ${ws.w}×${ws.h}`);
    if (ws.w === w) continue; // never upsampled: tiny images keep their own period
    const period = (TILE * w) / ws.w;
    const k = Math.log(period / PERIOD_LADDER.base) / Math.log(PERIOD_LADDER.ratio);
    assert.ok(Math.abs(k - Math.round(k)) * Math.log(PERIOD_LADDER.ratio) < 0.005, `${w}×${h}: period ${period.toFixed(1)} px is not on the ladder`);
  }
});

test('an unscaled crop of a large marked image (a quarter of its area) is read', async () => {
  const big = await raw(sharp(await sharp(dotGrid(640, 480, 31).data, { raw: { width: 640, height: 480, channels: 3 } }).png().toBuffer()).resize(2400, 1800).modulate({ hue: 40 }));
  const marked = embed(big, payload, key);
  const crop = await sharp(marked.data, { raw: { width: marked.width, height: marked.height, channels: 3 } }).extract({ left: 517, top: 389, width: 1200, height: 900 }).png().toBuffer();
  const r = detect(await decodeImage(crop, 'crop.png', LIMITS), key);
  assert.ok(ok(r), `statistic ${r.statistic.toFixed(2)}`);
});

test('a dot-grid image survives resizing and rotation (its own lattice does not win the synchronisation)', async () => {
  const grid = dotGrid(1200, 900, 23);
  const marked = embed(grid, payload, key);
  const src = sharp(marked.data, { raw: { width: marked.width, height: marked.height, channels: 3 } });
  const resized = await src.clone().resize(780, 585).jpeg({ quality: 85 }).toBuffer();
  const enlarged = await src.clone().resize(1680, 1260).png().toBuffer();
  const rotated = await src.clone().rotate(6, { background: '#808080' }).png().toBuffer();
  for (const [name, bytes] of [['resize 0.65 + JPEG', resized], ['resize 1.4', enlarged], ['rotate 6°', rotated]] as const) {
    const r = detect(await decodeImage(bytes, name, LIMITS), key);
    assert.ok(ok(r), `${name}: statistic ${r.statistic.toFixed(2)}`);
  }
});

test('a sheared, anisotropically scaled ID card (a phone-photo stand-in) is read: sheared lattices are proposed', async () => {
  const synth = await import('./fixtures/synth/index.js');
  const person = synth.makePerson(1004);
  const card = await decodeImage(await synth.renderIdCard(person, await synth.renderPortrait(person)), 'card.png', LIMITS);
  const marked = embed({ width: card.width, height: card.height, channels: 3, data: card.data }, payload, key);
  const bytes = await sharp(marked.data, { raw: { width: marked.width, height: marked.height, channels: 3 } })
    .affine([[0.93, -0.08], [0.06, 1.07]], { background: '#000' }).blur(0.8).jpeg({ quality: 80 }).toBuffer();
  const r = detect(await decodeImage(bytes, 'stretched.jpg', LIMITS), key);
  assert.ok(ok(r), `statistic ${r.statistic.toFixed(2)}`);
});

test('a phone photo of an ID card (perspective tilt 7° and 9°, blur, JPEG) is read', async () => {
  const synth = await import('./fixtures/synth/index.js');
  const person = synth.makePerson(1005);
  const card = await decodeImage(await synth.renderIdCard(person, await synth.renderPortrait(person)), 'card.png', LIMITS);
  const marked = embed({ width: card.width, height: card.height, channels: 3, data: card.data }, payload, key);
  for (const [tilt, axis] of [[7, 30], [9, 80]] as const) {
    const warped = perspective({ ...marked, channels: 3 }, tilt, axis, 2, 0.95);
    const bytes = await sharp(warped.data, { raw: { width: warped.width, height: warped.height, channels: 3 } }).blur(0.8).jpeg({ quality: 80 }).toBuffer();
    const r = detect(await decodeImage(bytes, 'photographed.jpg', LIMITS), key);
    assert.ok(ok(r), `tilt ${tilt}° about ${axis}°: statistic ${r.statistic.toFixed(2)}`);
  }
});
