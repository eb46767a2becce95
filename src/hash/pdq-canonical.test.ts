import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaDownsample, CANONICAL_SIDE } from './pdq-canonical.js';

test('area downsampling keeps the aspect ratio and the mean, and leaves small images alone', () => {
  const width = 1000;
  const height = 333;
  const data = new Uint8Array(width * height * 3);
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] = (i * 37 + (i >> 7)) % 256;
  const out = areaDownsample({ width, height, channels: 3, data });
  assert.equal(out.width, CANONICAL_SIDE);
  assert.equal(out.height, Math.round((333 * CANONICAL_SIDE) / 1000));
  const mean = out.data.reduce((a, v) => a + v, 0) / out.data.length;
  assert.ok(Math.abs(mean - sum / data.length) < 1, `${mean} vs ${sum / data.length}`);
  const flat = areaDownsample({ width: 517, height: 300, channels: 3, data: new Uint8Array(517 * 300 * 3).fill(200) });
  assert.ok(flat.data.every((v) => v === 200));
  const small = { width: 100, height: 60, channels: 3 as const, data: new Uint8Array(100 * 60 * 3) };
  assert.equal(areaDownsample(small), small);
});
