import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hypergeometricUpperTail, logGamma, rankAttribution } from './attribution.js';

test('log-gamma matches factorials', () => {
  assert.ok(Math.abs(logGamma(6) - Math.log(120)) < 1e-10);
  assert.ok(Math.abs(logGamma(0.5) - Math.log(Math.sqrt(Math.PI))) < 1e-10);
});

test('hypergeometric tail against hand-computed values', () => {
  // N=10, K=4, n=3: P(X≥2) = [C(4,2)C(6,1) + C(4,3)C(6,0)] / C(10,3) = (36 + 4) / 120 = 1/3
  assert.ok(Math.abs(hypergeometricUpperTail(10, 4, 3, 2) - 1 / 3) < 1e-12);
  assert.equal(hypergeometricUpperTail(10, 4, 3, 0), 1);
  assert.equal(hypergeometricUpperTail(10, 4, 3, 4), 0);
  // All 20 leaked among the 50 a vendor held, vault of 100 000: astronomically unlikely, still a positive number.
  const p = hypergeometricUpperTail(100_000, 50, 20, 20);
  assert.ok(p > 0 && p < 1e-60, String(p));
});

test('watermark evidence outranks overlap; overlap explained in words', () => {
  const leaked = ['s1', 's2', 's3', 's4'];
  const ranked = rankAttribution({
    vaultSize: 1000,
    leaked,
    recordDates: new Map(leaked.map((s) => [s, '2021-03-01'])),
    recipients: [
      { name: 'Big Vendor', kind: 'vendor', held: ['s1', 's2', 's3', 's4', ...Array.from({ length: 500 }, (_, i) => `x${i}`)], windows: [{ start: '2020-01-01', end: '2022-01-01' }], watermarkHits: 0 },
      { name: 'Small Vendor', kind: 'vendor', held: ['s1', 's2', 's3', 's4', 'y1'], windows: [{ start: '2020-01-01', end: '2022-01-01' }], watermarkHits: 0 },
      { name: 'Late Vendor', kind: 'vendor', held: ['s1', 's2', 's3'], windows: [{ start: '2018-01-01', end: '2019-01-01' }], watermarkHits: 0 },
      { name: 'Marked Staff', kind: 'staff', held: ['s1'], windows: [], watermarkHits: 1 },
      { name: 'Uninvolved', kind: 'vendor', held: ['z1'], windows: [], watermarkHits: 0 },
    ],
  });
  assert.deepEqual(ranked.map((r) => r.recipient), ['Marked Staff', 'Small Vendor', 'Big Vendor', 'Late Vendor']);
  assert.ok(ranked[1]!.p_value < ranked[2]!.p_value, 'holding few but exactly the leaked subjects is more surprising');
  assert.equal(ranked[3]!.dates_fit, false);
  assert.match(ranked[1]!.explanation, /held 4 of the 4 leaked subject/);
});

test('hypergeometric tails in log space: hand-computed values and no underflow', async () => {
  const { logHypergeometricUpperTail } = await import('./attribution.js');
  // N=60, K=8, n=20, all 8 leaked: C(52,12)/C(60,20) = 4.923355496230236e-5 (exact integer arithmetic).
  assert.ok(Math.abs(hypergeometricUpperTail(60, 8, 20, 8) / 4.923355496230236e-5 - 1) < 1e-9);
  // N=60, K=30, n=20, P(X≥15) = Σ_{k=15..20} C(30,k)C(30,20−k)/C(60,20) = 0.006349473145896315.
  assert.ok(Math.abs(hypergeometricUpperTail(60, 30, 20, 15) / 0.006349473145896315 - 1) < 1e-9);
  // log10 of C(50,20)/C(100000,20) = −67.93975998929747.
  assert.ok(Math.abs(logHypergeometricUpperTail(100_000, 50, 20, 20) / Math.LN10 + 67.93975998929747) < 1e-8);
  // Far below double range: the log stays finite and monotone in x.
  const a = logHypergeometricUpperTail(1_000_000, 300, 300, 300);
  const b = logHypergeometricUpperTail(1_000_000, 300, 300, 299);
  assert.ok(Number.isFinite(a) && a / Math.LN10 < -900 && b > a, `${a} ${b}`);
  assert.equal(hypergeometricUpperTail(1_000_000, 300, 300, 300), 0);
  // Support edges.
  assert.equal(hypergeometricUpperTail(10, 8, 5, 3), 1, 'at least 3 of 5 draws must be successes when 8 of 10 are');
  assert.equal(hypergeometricUpperTail(10, 0, 5, 1), 0);
});

test('the smallest holding that explains the leak ranks first, not the vendor that holds everything', () => {
  const vault = Array.from({ length: 1000 }, (_, i) => `s${i}`);
  const leakerHeld = vault.slice(0, 40);
  const leaked = [...vault.slice(0, 14), 's999']; // 14 from the leaker, one false match
  const ranked = rankAttribution({
    vaultSize: 1000,
    leaked,
    recordDates: new Map(leaked.map((s) => [s, '2022-05-01'])),
    recipients: [
      { name: 'Everything Archive', kind: 'vendor', held: vault, windows: [{ start: '2019-01-01', end: '2025-12-31' }], watermarkHits: 0 },
      { name: 'Half Vendor', kind: 'vendor', held: vault.filter((_, i) => i % 2 === 0 || i === 999), windows: [{ start: '2019-01-01', end: '2025-12-31' }], watermarkHits: 0 },
      { name: 'Leaker Ltd', kind: 'vendor', held: leakerHeld, windows: [{ start: '2021-01-01', end: '2023-01-01' }], watermarkHits: 0 },
    ],
  });
  assert.deepEqual(ranked.map((r) => r.recipient), ['Leaker Ltd', 'Half Vendor', 'Everything Archive']);
  const leaker = ranked[0]!;
  assert.equal(leaker.overlap_count, 14);
  assert.equal(leaker.overlap_share, Math.round((14 / 15) * 1000) / 1000);
  assert.equal(leaker.dates_fit, true);
  // P(X ≥ 14), N=1000, K=40, n=15 = [C(40,14)C(960,1) + C(40,15)] / C(1000,15).
  const expected = Math.log10(23206929840 * 960 + 40225345056) - Math.log10(6.881410309943993e32);
  assert.ok(Math.abs(leaker.log10_p_value - expected) < 2e-3, `${leaker.log10_p_value} vs ${expected}`);
  assert.match(leaker.explanation, /held 14 of the 15 leaked subjects \(93% of the leak\) while holding 40 of the vault's 1000 subjects/);
  assert.match(leaker.explanation, /would happen by chance with probability/);
  const all = ranked[2]!;
  assert.equal(all.p_value, 1);
  assert.match(all.explanation, /unremarkable by chance/);
  assert.ok(ranked.every((r) => r.score >= 0 && r.score <= 1));
});

test('records created after a contract ended are not evidence; duplicates and empty leaks are handled', () => {
  const ranked = rankAttribution({
    vaultSize: 100,
    leaked: ['a', 'b', 'b', 'c'],
    recordDates: new Map([['a', '2024-02-01'], ['b', '2024-03-01'], ['c', null]]),
    recipients: [{ name: 'Old Contract', kind: 'vendor', held: ['a', 'b', 'c'], windows: [{ start: '2019-01-01', end: '2020-01-01' }], watermarkHits: 0 }],
  });
  assert.equal(ranked[0]!.overlap_count, 3, 'duplicates counted once');
  assert.equal(ranked[0]!.dates_fit, false);
  assert.match(ranked[0]!.explanation, /2 of the leaked records it held were created after its contract window ended/);
  const empty = rankAttribution({ vaultSize: 100, leaked: [], recordDates: new Map(), recipients: [{ name: 'Staff A', kind: 'staff', held: [], windows: [], watermarkHits: 2 }] });
  assert.equal(empty.length, 1);
  assert.ok(empty[0]!.score >= 0.9);
  assert.match(empty[0]!.explanation, /2 leaked files carry the watermark/);
});
