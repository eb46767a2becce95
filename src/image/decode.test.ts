import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noiseImage, pngBomb } from '../../test/helpers/images.js';
import { decodeImage, inspectImage } from './decode.js';

const limits = { maxPixels: 50_000_000 };
const failsWith = (code: string, words: RegExp) => (e: Error & { code?: string; hint?: string }) => {
  assert.equal(e.code, code);
  assert.match(e.message, words);
  assert.match(e.message, /^upload\.bin:/, 'message names the file');
  return true;
};

test('valid JPEG, PNG and WebP decode to RGB', async () => {
  for (const f of ['png', 'jpeg', 'webp'] as const) {
    const r = await decodeImage(await noiseImage(64, 48, 1, f), 'x', limits);
    assert.equal(r.width, 64);
    assert.equal(r.height, 48);
    assert.equal(r.data.length, 64 * 48 * r.channels);
  }
});

test('zero bytes', async () => {
  await assert.rejects(decodeImage(Buffer.alloc(0), 'upload.bin', limits), failsWith('IMAGE_EMPTY', /empty/));
});

test('not an image', async () => {
  await assert.rejects(decodeImage(Buffer.from('%PDF-1.4 just text, not pixels'), 'upload.bin', limits), failsWith('IMAGE_UNREADABLE', /not an image/));
});

test('truncated or corrupt image', async () => {
  const jpg = await noiseImage(256, 256, 2, 'jpeg');
  await assert.rejects(decodeImage(jpg.subarray(0, Math.floor(jpg.length / 2)), 'upload.bin', limits), failsWith('IMAGE_CORRUPT', /truncated or corrupt/));
  const png = await noiseImage(256, 256, 3, 'png');
  await assert.rejects(decodeImage(png.subarray(0, Math.floor(png.length * 0.7)), 'upload.bin', limits), failsWith('IMAGE_CORRUPT', /truncated or corrupt/));
});

test('decompression bomb refused from the header, before decoding', async () => {
  const bomb = pngBomb();
  assert.ok(bomb.length < 10_000, 'the bomb file itself is tiny');
  const t0 = Date.now();
  await assert.rejects(inspectImage(bomb, 'upload.bin', limits), failsWith('IMAGE_TOO_LARGE', /3600\.0 MP exceeds the limit of 50\.0 MP/));
  await assert.rejects(decodeImage(bomb, 'upload.bin', limits), failsWith('IMAGE_TOO_LARGE', /exceeds/));
  assert.ok(Date.now() - t0 < 2000, 'refused without decoding');
});

test('configurable pixel limit', async () => {
  await assert.rejects(decodeImage(await noiseImage(100, 100, 4), 'upload.bin', { maxPixels: 5000 }), failsWith('IMAGE_TOO_LARGE', /exceeds/));
});

test('unsupported format (SVG) is named', async () => {
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
  await assert.rejects(decodeImage(svg, 'upload.bin', limits), failsWith('IMAGE_UNSUPPORTED', /svg images are not supported/));
});
