import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Pixels } from '../image/planes.js';
import type { Mat3 } from '../image/homography.js';
import { subsumes, verifyCandidates, type VerifyCandidate, type VerifyScore } from './verify.js';
import { accepted, pickSource } from './investigate-service.js';
import { pixelKey } from '../image/pixel-key.js';

const W = 640;
const H = 400;

/** A card of one design (waves, header) with one person's portrait, name, number and MRZ-like line. */
async function card(name: string, number: string, face: string, blurSigma = 0): Promise<Pixels> {
  const waves = Array.from({ length: 14 }, (_, i) => `<path d="M 0 ${20 + i * 28} Q 160 ${i * 28} 320 ${20 + i * 28} T 640 ${20 + i * 28}" stroke="#9ab" fill="none" stroke-width="1"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#eef2f0"/>${waves}
<rect width="${W}" height="44" fill="#3a2a7a"/><text x="20" y="32" font-family="DejaVu Sans" font-weight="bold" font-size="24" fill="#fff">REPUBLIC OF TESTING</text>
<rect x="30" y="60" width="160" height="200" fill="#d8dde0"/><ellipse cx="110" cy="150" rx="50" ry="64" fill="${face}"/><circle cx="92" cy="140" r="7" fill="#222"/><circle cx="128" cy="140" r="7" fill="#222"/>
<text x="220" y="110" font-family="DejaVu Sans" font-weight="bold" font-size="30" fill="#111">${name}</text>
<text x="220" y="170" font-family="DejaVu Sans" font-weight="bold" font-size="26" fill="#111">${number}</text>
<text x="30" y="340" font-family="DejaVu Sans Mono" font-size="28" fill="#111">IDT&lt;&lt;${number}&lt;&lt;${name.slice(0, 4)}&lt;&lt;</text></svg>`;
  let p = sharp(Buffer.from(svg)).removeAlpha();
  if (blurSigma > 0) p = p.blur(blurSigma);
  const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

const I = [1, 0, 0, 0, 1, 0, 0, 0, 1] as const;
const cand = (imageId: string, group: string, original: Pixels, reference = false): VerifyCandidate => ({ imageId, kind: 'id_front', group, original, homography: [...I] as unknown as Mat3, reference });

test('verification: the source card is accepted even blurred; a same-design card of someone else is not, with or without look-alikes', async () => {
  const a = await card('MUSTERMANN', 'L01X00T47', '#c89070');
  const b = await card('ROSSI', 'Q77Z12K90', '#8a5a40');
  const c = await card('NAKAMURA', 'B55W31P02', '#e0b090');
  const blurred = await card('MUSTERMANN', 'L01X00T47', '#c89070', 1.6);
  const [self] = verifyCandidates(blurred, [cand('a', 'A', a), cand('b', 'B', b, true)]);
  assert.ok(self && accepted(self), `blurred source accepted: ${JSON.stringify({ ...self, blocks: undefined })}`);
  // A distractor: C's card, compared with A's original — once with B as a look-alike, once with no look-alike at all.
  for (const refs of [[cand('b', 'B', b, true)], []]) {
    const [s] = verifyCandidates(c, [cand('a', 'A', a), ...refs]);
    assert.ok(s && !accepted(s), `same-design card of someone else rejected (${refs.length} look-alikes): ${JSON.stringify({ ...s, blocks: undefined })}`);
    assert.ok(s.strongAgreement < 0.75);
  }
});

const score = (kind: string, blocks: Float32Array, coverage: number, ok = true): VerifyScore => ({
  imageId: kind, kind, agreement: ok ? 0.9 : 0.2, winShare: null, meanMargin: null, specificBlocks: 0, templateShare: 0, coverage, overlap: 1,
  templateAgreement: null, specificAgreement: null, meanNcc: 0.8, strongAgreement: ok ? 1 : 0, blocks, gridWidth: 8,
});

/** An 8×8 block grid: `card` on the inner 4×4 blocks, `rest` elsewhere (NaN = outside the aligned original). */
function grid(cardNcc: number, rest: number): Float32Array {
  const g = new Float32Array(64);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) g[y * 8 + x] = x >= 2 && x < 6 && y >= 2 && y < 6 ? cardNcc : rest;
  return g;
}

test('kind: the id_front explains a leaked card better than the selfie holding it; the selfie wins a frame showing more', () => {
  const idFront = grid(0.95, Number.NaN);
  // The selfie aligned on a leaked card: a softer copy of the card, its rim agreeing, nothing else.
  const selfieOnCard = grid(0.7, 0.1);
  selfieOnCard[1 * 8 + 3] = 0.65;
  const s1 = [score('id_front', idFront, 0.25), score('selfie', selfieOnCard, 0.3)];
  assert.equal(subsumes(s1[0]!, s1[1]!), true);
  assert.equal(subsumes(s1[1]!, s1[0]!), false);
  assert.equal(pickSource(s1, ['A', 'A']), 0);
  // The id_front rejected: the selfie, whose only agreeing content is that card, cannot rescue the match.
  assert.equal(pickSource([score('id_front', idFront, 0.25, false), s1[1]!], ['A', 'A']), -1);
  // A real selfie leak: face and scene around the card agree too.
  const s2 = [score('id_front', idFront, 0.25), score('selfie', grid(0.97, 0.9), 1)];
  assert.equal(subsumes(s2[0]!, s2[1]!), false);
  assert.equal(pickSource(s2, ['A', 'A']), 1);
});

test('verification reuses work across calls about one leaked copy without changing any score', async () => {
  const a = await card('MUSTERMANN', 'L01X00T47', '#c89070');
  const b = await card('ROSSI', 'Q77Z12K90', '#8a5a40');
  const c = await card('NAKAMURA', 'B55W31P02', '#e0b090');
  const leaked = await card('MUSTERMANN', 'L01X00T47', '#c89070', 1.2);
  const shifted = (x: VerifyCandidate, dx: number): VerifyCandidate => ({ ...x, homography: [1, 0, dx, 0, 1, 0, 0, 0, 1] as unknown as Mat3 });
  // Two calls sharing a content key, the second with one more candidate and look-alike (as an investigation does) …
  const first = [cand('a', 'A', a), cand('b', 'B', b, true)];
  const second = [...first, shifted(cand('a2', 'A', a), 3), cand('c', 'C', c, true)];
  verifyCandidates(leaked, first, { leakedKey: 'reuse' });
  const reused = verifyCandidates(leaked, second, { leakedKey: 'reuse' });
  // … score exactly as a call that starts from nothing (a key never seen: nothing to reuse).
  const fresh = verifyCandidates(leaked, second, { leakedKey: 'fresh' });
  assert.deepStrictEqual(reused, fresh);
  assert.equal(reused.length, 2);
  // Keys are content hashes: an edited copy never shares one.
  const edited = { ...leaked, data: new Uint8Array(leaked.data) };
  edited.data[12345] = edited.data[12345]! ^ 1;
  assert.notEqual(pixelKey(edited), pixelKey(leaked));
  assert.equal(pixelKey({ ...leaked, data: new Uint8Array(leaked.data) }), pixelKey(leaked));
});
