import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { TracemarkError } from '../core/errors.js';
import { detectAlteration, type Homography, type RasterLike } from './alteration.js';

const W = 640;
const HEIGHT = 400;

/** A document-like test image: background waves, a face-like blob, text lines, drawn with sharp from SVG. */
async function documentImage(name = 'MUSTERMANN', number = 'L01X00T47'): Promise<RasterLike> {
  const waves = Array.from({ length: 14 }, (_, i) => `<path d="M 0 ${20 + i * 28} Q 160 ${i * 28} 320 ${20 + i * 28} T 640 ${20 + i * 28}" stroke="#9ab" fill="none" stroke-width="1"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${HEIGHT}"><rect width="${W}" height="${HEIGHT}" fill="#eef2f0"/>${waves}
<rect x="30" y="60" width="160" height="200" fill="#d8dde0"/><ellipse cx="110" cy="150" rx="50" ry="64" fill="#c89070"/><circle cx="92" cy="140" r="7" fill="#222"/><circle cx="128" cy="140" r="7" fill="#222"/>
<text x="220" y="110" font-family="DejaVu Sans" font-weight="bold" font-size="30" fill="#111">${name}</text>
<text x="220" y="170" font-family="DejaVu Sans" font-weight="bold" font-size="26" fill="#111">${number}</text>
<text x="30" y="340" font-family="DejaVu Sans Mono" font-size="28" fill="#111">IDD&lt;&lt;${number}&lt;&lt;&lt;&lt;&lt;&lt;</text></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

/** Resize by s and JPEG at quality q through sharp, returning the pixels and the pixel-centre homography. */
async function resizeJpeg(img: RasterLike, s: number, q: number, modulate?: { brightness: number; saturation: number }): Promise<{ img: RasterLike; H: Homography }> {
  const w = Math.round(img.width * s);
  const h = Math.round(img.height * s);
  let p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(w, h, { fit: 'fill' });
  if (modulate) p = p.modulate(modulate).gamma(1.3);
  const jpeg = await p.jpeg({ quality: q }).toBuffer();
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sx = w / img.width;
  const sy = h / img.height;
  return { img: { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) }, H: [sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1] };
}

function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const ih = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const u = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - iw * ih;
  return (iw * ih) / u;
}

test('benign changes are not alterations: resize + JPEG, colour/brightness/gamma shift', async () => {
  const orig = await documentImage();
  for (const [s, q, mod] of [[0.7, 40, undefined], [1, 85, { brightness: 1.15, saturation: 0.7 }], [0.55, 70, { brightness: 0.85, saturation: 1.2 }]] as const) {
    const { img, H } = await resizeJpeg(orig, s, q, mod);
    const r = detectAlteration(orig, img, H);
    assert.equal(r.altered, false, `scale ${s} q${q}: ${JSON.stringify(r.regions)}`);
    assert.equal(r.heatmap.data.length, r.heatmap.width * r.heatmap.height);
  }
});

test('rewritten text is found and boxed in leaked-image coordinates', async () => {
  const orig = await documentImage();
  const forged = await documentImage('MUSTERMANN', 'L01X93T47');
  // Only the printed number changed (the MRZ line was left alone, as a sloppy forger would).
  const doctored = { ...orig, data: new Uint8Array(orig.data) };
  for (let y = 140; y < 180; y++) for (let x = 210; x < 420; x++) for (let c = 0; c < 3; c++) doctored.data[(y * W + x) * 3 + c] = forged.data[(y * W + x) * 3 + c]!;
  const { img, H } = await resizeJpeg(doctored, 0.8, 75);
  const r = detectAlteration(orig, img, H);
  assert.equal(r.altered, true);
  // Truth: where the doctored pixels differ visibly, scaled into the leaked frame.
  let [x0, y0, x1, y1] = [W, HEIGHT, 0, 0];
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 3;
    if (Math.abs(doctored.data[i]! - orig.data[i]!) > 40) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
  }
  const truth = [x0 * 0.8, y0 * 0.8, x1 * 0.8, y1 * 0.8];
  const best = Math.max(...r.regions.map((g) => iou(g.bbox, truth)));
  assert.ok(best > 0.5, `IoU ${best.toFixed(2)} ${JSON.stringify(r.regions)}`);
  for (const g of r.regions) assert.ok(g.score > 0 && g.score <= 1);
});

test('a pasted patch is found; a plain resize works without a homography', async () => {
  const orig = await documentImage();
  const doctored = { ...orig, data: new Uint8Array(orig.data) };
  // Clone the wave background over the face (x 60–160, y 110–200) from the right-hand side.
  for (let y = 110; y < 200; y++) for (let x = 60; x < 160; x++) for (let c = 0; c < 3; c++) doctored.data[(y * W + x) * 3 + c] = orig.data[(y * W + x + 440) * 3 + c]!;
  const { img } = await resizeJpeg(doctored, 0.9, 80);
  const r = detectAlteration(orig, img, null);
  assert.equal(r.altered, true);
  const truth = [54, 99, 144, 180];
  assert.ok(Math.max(...r.regions.map((g) => iou(g.bbox, truth))) > 0.5, JSON.stringify(r.regions));
});

test('an alignment that drifts by pixels far from its centre is re-fitted, not flagged; an edit still is', async () => {
  const orig = await documentImage();
  const doctored = { ...orig, data: new Uint8Array(orig.data) };
  for (let y = 110; y < 200; y++) for (let x = 60; x < 160; x++) for (let c = 0; c < 3; c++) doctored.data[(y * W + x) * 3 + c] = orig.data[(y * W + x + 440) * 3 + c]!;
  // A feature homography fitted on one part of the frame: right by scale, but off by ~8 px toward one corner.
  const P: Homography = [1, 0, 0, 0, 1, 0, 3e-5, -2e-5, 1];
  const mul = (a: Homography, b: Homography): Homography => {
    const o: number[] = [];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) o.push(a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!);
    return o as unknown as Homography;
  };
  const benign = await resizeJpeg(orig, 0.8, 80);
  const r0 = detectAlteration(orig, benign.img, mul(P, benign.H));
  assert.equal(r0.altered, false, JSON.stringify(r0.regions));
  assert.equal(r0.stats.realigned, true);
  const edited = await resizeJpeg(doctored, 0.8, 80);
  const r1 = detectAlteration(orig, edited.img, mul(P, edited.H));
  assert.equal(r1.altered, true);
  assert.ok(Math.max(...r1.regions.map((g) => iou(g.bbox, [48, 88, 128, 160]))) > 0.5, JSON.stringify(r1.regions));
});

test('bad inputs give clear errors', async () => {
  const orig = await documentImage();
  assert.throws(() => detectAlteration(orig, orig, [0, 0, 0, 0, 0, 0, 0, 0, 0]), (e: unknown) => e instanceof TracemarkError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => detectAlteration(orig, { ...orig, data: new Uint8Array(10) }, null), (e: unknown) => e instanceof TracemarkError && e.code === 'INVALID_ARGUMENT');
  const square = { width: 100, height: 100, channels: 3, data: new Uint8Array(30000) };
  assert.throws(() => detectAlteration(orig, square, null), (e: unknown) => e instanceof TracemarkError && e.code === 'ALIGNMENT_REQUIRED');
  // A homography that maps the original entirely outside the leaked frame: nothing to compare, nothing altered.
  const r = detectAlteration(orig, orig, [1, 0, 5000, 0, 1, 0, 0, 0, 1]);
  assert.equal(r.altered, false);
  assert.equal(r.stats.validFraction, 0);
});
