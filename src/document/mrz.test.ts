import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMrz, normaliseMrzLines } from './mrz.js';
import { crossCheck, namesMatch, mrzNameTokens } from './crosscheck.js';
import { mrzCandidateLines, mrzLinesFromOcr, otsuThreshold, snapToGrid, type OcrSymbol } from './mrz-ocr.js';

// ICAO 9303 specimens with the fictional state UTO replaced by SWE (issuing state is outside every check digit).
const TD1 = ['I<SWED23145890<1233<<<<<<<<<<<', '7408122F1204159SWE<<<<<<<<<<<2', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
const TD2 = ['I<SWEERIKSSON<<ANNA<MARIA<<<<<<<<<<<', 'D231458907SWE7408122F1204159<<<<<<<6'];
const TD3 = ['P<SWEERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36SWE7408122F1204159ZE184226B<<<<<10'];

test('valid TD1, TD2 and TD3 parse with all check digits', () => {
  for (const [lines, fmt, num] of [[TD1, 'TD1', 'D23145890123'], [TD2, 'TD2', 'D23145890'], [TD3, 'TD3', 'L898902C3']] as const) {
    const m = parseMrz(lines);
    assert.equal(m.format, fmt);
    assert.equal(m.valid, true, `${fmt}: ${m.invalidFields.join(',')}`);
    assert.equal(m.documentNumber, num);
    assert.equal(m.surname, 'ERIKSSON');
    assert.equal(m.givenNames, 'ANNA MARIA');
    assert.equal(m.birthDate, '1974-08-12');
    assert.equal(m.expiryDate, '2012-04-15');
    assert.equal(m.sex, 'F');
  }
});

test('a tampered MRZ (date of birth changed) fails its check digits, and OCR repair cannot make it valid', () => {
  const tampered = [TD3[0] as string, (TD3[1] as string).replace('7408122', '7508122')];
  for (const repairOcr of [false, true]) {
    const m = parseMrz(tampered, { repairOcr });
    assert.equal(m.valid, false);
    assert.ok(m.invalidFields.includes('birthDateCheckDigit'), m.invalidFields.join(','));
  }
  const num = [(TD1[0] as string).replace('D23145890', 'D23145891'), TD1[1] as string, TD1[2] as string];
  assert.equal(parseMrz(num, { repairOcr: true }).valid, false);
});

test('OCR repair: confusable characters are fixed only where check digits prove it', () => {
  const ocr = [TD3[0] as string, (TD3[1] as string).replace('7408122F1204159', '74O8122F12O4159')];
  const m = parseMrz(ocr, { repairOcr: true });
  assert.equal(m.valid, true);
  assert.equal(m.birthDate, '1974-08-12');
  assert.ok(m.corrections.length >= 1);
  // Lines with stray spaces or too short/long are normalised to the format length.
  const n = normaliseMrzLines([' P<SWEERIKSSON<<ANNA<MARIA<<<<<<<<<<<<< ', TD3[1] as string]);
  assert.equal(n?.format, 'TD3');
  assert.equal(n?.lines[0]?.length, 44);
  assert.throws(() => parseMrz(['hello']), /MRZ/);
});

test('cross-check: names with diacritics, DOB, number, expiry', () => {
  const m = parseMrz(TD1);
  assert.deepEqual(crossCheck(m, { full_name: 'Anna Maria Eriksson', date_of_birth: '1974-08-12', document_number: 'D23145890123' }, '2010-01-01'), []);
  const issues = crossCheck(m, { full_name: 'Anna Eriksen', date_of_birth: '1974-08-13', document_number: 'X1' }, '2010-01-01').map((i) => i.code);
  assert.deepEqual(issues, ['NAME_MISMATCH', 'DOB_MISMATCH', 'DOCUMENT_NUMBER_MISMATCH']);
  assert.ok(namesMatch('Jürgen Müller', 'JUERGEN MUELLER'));
  assert.ok(namesMatch('Jürgen Müller', 'JURGEN MULLER'));
  assert.ok(namesMatch('Åke Åberg', 'AAKE AABERG'));
  assert.ok(namesMatch('Łukasz Wiśniewski', 'LUKASZ WISNIEWSKI'));
  assert.deepEqual(mrzNameTokens("O'Brien-Smith"), ['O', 'BRIEN', 'SMITH']);
  assert.ok(!namesMatch('Anna', 'ERIKSSON'));
});

test('an expired document is flagged', () => {
  const m = parseMrz(TD1);
  assert.deepEqual(crossCheck(m, undefined, '2026-11-25').map((i) => i.code), ['DOCUMENT_EXPIRED']);
  assert.deepEqual(crossCheck(m, undefined, '2012-04-15'), []);
});

test('MRZ candidate lines and Otsu threshold', () => {
  assert.deepEqual(mrzCandidateLines('1I\nI<NGA1832932714<<<<<<<<<<<<<<<\nHELLO WORLD\n'), ['I<NGA1832932714<<<<<<<<<<<<<<<']);
  const g = new Uint8Array(1000);
  for (let i = 0; i < 1000; i++) g[i] = i < 300 ? 20 : 230;
  const t = otsuThreshold(g);
  assert.ok(t >= 20 && t < 230);
});

test('OCR symbols snap to the MRZ grid: a doubled character keeps the confident one, a missing one becomes <', () => {
  const sym = (text: string, cell: number, confidence = 99, shift = 0): OcrSymbol => ({ text, confidence, x0: cell * 20 + 2 + shift, x1: cell * 20 + 18 + shift });
  const line = 'POL<<'.split('').map((c, i) => sym(c, i));
  line.splice(2, 0, sym('0', 1, 80, 6)); // "PO0L": an extra 0 overlapping the O
  assert.equal(snapToGrid(line, 5), 'POL<<');
  assert.equal(snapToGrid([sym('A', 0), sym('B', 2), sym('C', 3)], 4), 'A<BC');
  const text = (s: string) => ({ text: s, symbols: [] as OcrSymbol[] });
  assert.deepEqual(mrzLinesFromOcr([text('HELLO'), text(TD3[0] as string), text(TD3[1] as string)]), TD3);
  assert.equal(mrzLinesFromOcr([text(TD3[0] as string)]), null);
});
