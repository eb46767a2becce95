import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODED_BITS, INFO_BITS, convEncode, crc24, infoBitsToPayload, listViterbiDecode, payloadToInfoBits, viterbiDecode } from './payload.js';
import { fft2 } from './fft.js';

test('CRC-24/OpenPGP check value', () => {
  assert.equal(crc24(new TextEncoder().encode('123456789')), 0x21cf02);
});

test('payload → info bits → payload; a flipped bit fails the CRC', () => {
  const p = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 255]);
  const bits = payloadToInfoBits(p);
  assert.equal(bits.length, INFO_BITS);
  assert.deepEqual(infoBitsToPayload(bits), p);
  bits[10] = bits[10]! ^ 1;
  assert.equal(infoBitsToPayload(bits), null);
});

test('soft Viterbi corrects noisy coded bits', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
  let ok = 0;
  for (let trial = 0; trial < 20; trial++) {
    const p = new Uint8Array(8).map(() => Math.floor(rnd() * 256));
    const coded = convEncode(payloadToInfoBits(p));
    assert.equal(coded.length, CODED_BITS);
    // Es/N0 ≈ 0 dB per coded bit (about 8% raw bit errors).
    const soft = Float64Array.from(coded, (c) => 1 - 2 * c + gauss() * 0.7);
    const got = infoBitsToPayload(viterbiDecode(soft, INFO_BITS));
    if (got && Buffer.from(got).equals(Buffer.from(p))) ok++;
  }
  assert.ok(ok >= 19, `decoded ${ok}/20`);
});

test('list Viterbi: its first path is the Viterbi path, paths are distinct and ranked, and the list reads words Viterbi misses', () => {
  let seed = 11;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
  // The path metric of an info word: the correlation of its code word's signs with the soft values.
  const score = (soft: Float64Array, info: Uint8Array): number => convEncode(info).reduce((acc, c, i) => acc + (1 - 2 * c) * soft[i]!, 0);
  let viterbiOk = 0;
  let listOk = 0;
  for (let trial = 0; trial < 40; trial++) {
    const p = new Uint8Array(8).map(() => Math.floor(rnd() * 256));
    const coded = convEncode(payloadToInfoBits(p));
    // Es/N0 ≈ −3.5 dB per coded bit: the single Viterbi path often fails its CRC here.
    const soft = Float64Array.from(coded, (c) => 1 - 2 * c + gauss() * 1.5);
    const list = listViterbiDecode(soft, INFO_BITS, 32);
    assert.equal(list.length, 32);
    assert.deepEqual(list[0], viterbiDecode(soft, INFO_BITS));
    const keys = new Set(list.map((b) => Buffer.from(b).toString('hex')));
    assert.equal(keys.size, list.length, 'distinct paths');
    for (let i = 1; i < list.length; i++) assert.ok(score(soft, list[i - 1]!) >= score(soft, list[i]!) - 1e-9, 'ranked by metric');
    const first = infoBitsToPayload(list[0]!);
    if (first && Buffer.from(first).equals(Buffer.from(p))) viterbiOk++;
    if (list.some((b) => { const q = infoBitsToPayload(b); return q !== null && Buffer.from(q).equals(Buffer.from(p)); })) listOk++;
  }
  assert.ok(listOk > viterbiOk, `list ${listOk} vs Viterbi ${viterbiOk} of 40`);
});

test('2-D FFT round trip', () => {
  const re = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3);
  const im = new Float64Array(64);
  const orig = Float64Array.from(re);
  fft2(re, im, 8, 8, false);
  fft2(re, im, 8, 8, true);
  for (let i = 0; i < 64; i++) assert.ok(Math.abs(re[i]! / 64 - orig[i]!) < 1e-9);
});
