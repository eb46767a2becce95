/**
 * MRZ OCR end to end on generated identity documents (test/fixtures/synth, MRZ in DejaVu Sans Mono): the MRZ is read
 * offline with the OCR-B model, validates, and agrees with the person's data; a doctored MRZ does not validate.
 * Skips plainly when the OCR model was not installed (vendor/tessdata, made by `npm ci`).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makePerson, renderIdCard, renderPortrait, type SynthPerson } from './fixtures/synth/index.js';
import { mrzLines } from './fixtures/synth/card.js';
import { decodeImage } from '../src/image/decode.js';
import { readMrz, closeMrzOcr, DEFAULT_TESSDATA } from '../src/document/mrz-ocr.js';
import { crossCheck } from '../src/document/crosscheck.js';
import { mrzDocumentNumber, rectifyOnto } from '../src/investigate/investigate-service.js';
import { warpPlane, type Mat3 } from '../src/image/homography.js';
import { lumaBlocks } from '../src/image/planes.js';

const model = existsSync(join(DEFAULT_TESSDATA, 'ocrb_int.traineddata'));
const skip = !model && 'OCR-B model not installed in vendor/tessdata (run `node scripts/install-ocr-model.mjs`)';
after(closeMrzOcr);

async function card(p: SynthPerson, mrz?: string[]) {
  const png = await renderIdCard(p, await renderPortrait(p), mrz ? { text: { mrz } } : {});
  return decodeImage(png, 'card.png', { maxPixels: 50e6 });
}

function personOfType(type: 'passport' | 'id_card', from: number): SynthPerson {
  for (let s = from; s < from + 200; s++) {
    const p = makePerson(s);
    if (p.document_type === type) return p;
  }
  throw new Error(`no ${type} person found`);
}

test('MRZ is read from a generated ID card (TD1) and a passport (TD3) and matches the person', { skip, timeout: 60_000 }, async () => {
  for (const p of [personOfType('id_card', 1), personOfType('passport', 1)]) {
    const t0 = performance.now();
    const r = await readMrz(await card(p), { now: new Date('2026-01-01') });
    console.log(`# ${p.document_type}: ${(performance.now() - t0).toFixed(0)} ms, corrections ${r.mrz?.corrections.join(' ') ?? '-'}`);
    assert.ok(r.mrz, 'an MRZ was found');
    assert.equal(r.mrz.format, p.document_type === 'passport' ? 'TD3' : 'TD1');
    assert.equal(r.mrz.valid, true, `invalid: ${r.mrz.invalidFields.join(',')}`);
    assert.equal(r.mrz.lines.join('\n'), mrzLines(p).join('\n'));
    assert.equal(r.mrz.documentNumber, p.document_number);
    assert.equal(r.mrz.birthDate, p.date_of_birth);
    assert.deepEqual(crossCheck(r.mrz, { full_name: p.full_name, date_of_birth: p.date_of_birth, document_number: p.document_number, date_of_expiry: p.date_of_expiry }, '2026-01-01').filter((i) => i.code !== 'DOCUMENT_EXPIRED'), []);
  }
});

test('a card whose MRZ date of birth was altered is read but does not validate', { skip, timeout: 60_000 }, async () => {
  const p = personOfType('id_card', 1);
  const lines = mrzLines(p);
  const l2 = lines[1] as string;
  const digit = l2[0] === '9' ? '8' : String(Number(l2[0]) + 1);
  const doctored = [lines[0] as string, digit + l2.slice(1), lines[2] as string];
  const r = await readMrz(await card(p, doctored));
  assert.ok(r.mrz);
  assert.equal(r.mrz.valid, false);
  assert.ok(r.mrz.invalidFields.includes('birthDateCheckDigit'), r.mrz.invalidFields.join(','));
});

test('a card photographed at an angle is rectified onto its original frame and its MRZ read (investigation cross-check)', { skip, timeout: 60_000 }, async () => {
  const p = personOfType('id_card', 300);
  const original = await card(p);
  const a = (7 * Math.PI) / 180;
  // Original → copy: scale 1.2, rotation 7°, a shift and a little perspective (a phone held slightly off-axis).
  const H: Mat3 = [1.2 * Math.cos(a), -1.2 * Math.sin(a), 160, 1.2 * Math.sin(a), 1.2 * Math.cos(a), 40, 1e-5, -1e-5, 1];
  const W = Math.round(original.width * 1.5) + 200;
  const Hh = Math.round(original.height * 1.6) + 150;
  const { plane } = warpPlane(lumaBlocks(original, 1), H, W, Hh);
  const copy = new Uint8Array(W * Hh * 3);
  for (let i = 0; i < W * Hh; i++) copy[3 * i] = copy[3 * i + 1] = copy[3 * i + 2] = Math.round(plane.data[i]!) || 40;
  const leaked = { width: W, height: Hh, channels: 3 as const, data: copy };
  const upright = rectifyOnto(leaked, H, original.width, original.height);
  assert.equal(upright.width, original.width);
  const r = await readMrz(upright, { now: new Date('2026-01-01') });
  assert.ok(r.mrz?.valid, JSON.stringify(r.rawLines));
  assert.equal(mrzDocumentNumber(r.mrz), p.document_number, JSON.stringify(r.mrz));
});

test('an MRZ document number repaired on its own line, or with a gap, never contradicts a match', () => {
  const read = { format: 'TD1' as const, valid: true, documentCode: 'I', issuingState: 'CZE', documentNumber: 'X85Z04694', surname: 'SIMOES', givenNames: 'JOAO', nationality: 'PRT', birthDate: '1972-12-26', expiryDate: '2030-01-15', sex: 'M' as const, invalidFields: [], corrections: ['1:10 2→Z'], lines: [] };
  assert.equal(mrzDocumentNumber(read), null);
  assert.equal(mrzDocumentNumber({ ...read, corrections: ['2:11 O→0'] }), 'X85Z04694');
  assert.equal(mrzDocumentNumber({ ...read, corrections: [], documentNumber: 'X 85Z0469' }), null);
  assert.equal(mrzDocumentNumber({ ...read, corrections: [], valid: false }), null);
});
