import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equalErrorRate, pairDistances, ratesAt, roc } from './calibration.js';
import { compareFaces } from './match.js';
import { FACE_MATCH_THRESHOLDS } from './thresholds.js';

test('rates, ROC and EER on a toy distribution', () => {
  const genuine = [0.3, 0.4, 0.5, 0.6];
  const impostor = [0.55, 0.7, 0.8, 0.9];
  assert.deepEqual(ratesAt(genuine, impostor, 0.5), { threshold: 0.5, fmr: 0, fnmr: 0.25 });
  const e = equalErrorRate(roc(genuine, impostor));
  assert.ok(e.threshold >= 0.55 && e.threshold < 0.6, String(e.threshold));
  assert.equal(e.eer, 0.25);
});

test('pairDistances splits same-label and different-label pairs', () => {
  const v = (x: number) => Float32Array.from([x]);
  const { genuine, impostor } = pairDistances([{ label: 'a', descriptor: v(0) }, { label: 'a', descriptor: v(1) }, { label: 'b', descriptor: v(3) }], (a, b) => Math.abs((a[0] as number) - (b[0] as number)));
  assert.deepEqual(genuine, [1]);
  assert.deepEqual(impostor.sort(), [2, 3]);
});

test('compareFaces applies the three-way band', () => {
  const t = FACE_MATCH_THRESHOLDS;
  assert.ok(t.accept < t.match && t.match < t.reviewUpper);
  const a = new Float32Array(128);
  const at = (d: number) => { const b = new Float32Array(128); b[0] = d; return compareFaces(a, b); };
  assert.equal(at(t.accept - 0.01).verdict, 'same');
  assert.equal(at((t.accept + t.reviewUpper) / 2).verdict, 'review');
  assert.equal(at(t.reviewUpper + 0.01).verdict, 'different');
  assert.equal(at(t.match + 0.01).match, false);
});
