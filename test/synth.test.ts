import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { cardLayout, makePerson, mrzCheckDigit, mrzLines, renderIdCard, renderPortrait, renderSelfie, td1, td3, writeImportFolder } from './fixtures/synth/index.js';

test('ICAO 9303 specimen MRZs are reproduced exactly (check digits, composite)', () => {
  const f = { issuer: 'UTO', documentNumber: 'D23145890', dateOfBirth: '1974-08-12', sex: 'F' as const, dateOfExpiry: '2012-04-15', nationality: 'UTO', surname: 'Eriksson', givenNames: 'Anna Maria' };
  assert.deepEqual(td1({ ...f, documentCode: 'I' }), ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<']);
  assert.deepEqual(td3({ ...f, documentCode: 'P', documentNumber: 'L898902C3', optional: 'ZE184226B' }), [
    'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
    'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
  ]);
  assert.equal(mrzCheckDigit('<<<<<<'), '0');
});

test('makePerson is deterministic, varied and well-formed', () => {
  assert.deepEqual(makePerson(7), makePerson(7));
  const people = Array.from({ length: 200 }, (_, i) => makePerson(i));
  assert.ok(new Set(people.map((p) => p.issuer)).size >= 8, 'several issuers');
  assert.ok(people.some((p) => /[^\x00-\x7f]/.test(p.full_name)), 'some names have diacritics');
  assert.equal(new Set(people.map((p) => p.ref)).size, 200);
  for (const p of people) {
    assert.match(p.date_of_birth, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(p.nationality, /^[A-Z]{3}$/);
    assert.ok(p.date_of_expiry > p.created_at.slice(0, 10), 'document valid when the record was created');
    for (const line of mrzLines(p)) assert.match(line, /^[A-Z0-9<]+$/);
    const lines = mrzLines(p);
    assert.equal(lines.length, p.document_type === 'passport' ? 2 : 3);
    assert.equal(lines[0]!.length, p.document_type === 'passport' ? 44 : 30);
  }
});

/** Mean absolute difference of two same-sized greyscale renders, within a box. */
async function meanDiff(a: Buffer, b: Buffer, box: [number, number, number, number]): Promise<number> {
  const [x0, y0, x1, y1] = box;
  const ga = await sharp(a).extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }).greyscale().raw().toBuffer();
  const gb = await sharp(b).extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }).greyscale().raw().toBuffer();
  let s = 0;
  for (let i = 0; i < ga.length; i++) s += Math.abs(ga[i]! - gb[i]!);
  return s / ga.length;
}

test('cards of one issuer share the design and differ in record-specific content', async () => {
  const a = makePerson(11, { issuer: 'DEU' });
  const b = makePerson(12, { issuer: 'DEU' });
  const ca = await renderIdCard(a, await renderPortrait(a));
  const cb = await renderIdCard(b, await renderPortrait(b));
  const meta = await sharp(ca).metadata();
  assert.equal(meta.width, 1012);
  assert.equal(meta.height, 638);
  const L = cardLayout();
  const header: [number, number, number, number] = [0, 0, 1012, 96];
  assert.ok((await meanDiff(ca, cb, header)) < 6, 'same issuer header');
  assert.ok((await meanDiff(ca, cb, L.portrait)) > 15, 'different portraits');
  assert.ok((await meanDiff(ca, cb, L.mrz)) > 8, 'different MRZ');
  // Deterministic rendering.
  const ca2 = await renderIdCard(a, await renderPortrait(a));
  assert.ok((await meanDiff(ca, ca2, [0, 0, 1012, 638])) < 0.01);
});

test('writeImportFolder writes the vault import layout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-synth-'));
  try {
    const people = [makePerson(21), makePerson(22)];
    const written = await writeImportFolder(dir, people, { idBack: true });
    assert.deepEqual((await readdir(dir)).sort(), ['C-000021', 'C-000022']);
    const files = (await readdir(join(dir, 'C-000021'))).sort();
    assert.deepEqual(files, ['id_back.png', 'id_front.png', 'record.json', 'selfie.jpg']);
    const rec = JSON.parse(await readFile(join(dir, 'C-000021', 'record.json'), 'utf8')) as Record<string, string>;
    assert.equal(rec.full_name, people[0]!.full_name);
    assert.equal(rec.ref, undefined, 'ref is the folder name, not a field');
    const selfieMeta = await sharp(await readFile(join(dir, 'C-000021', 'selfie.jpg'))).metadata();
    assert.equal(selfieMeta.format, 'jpeg');
    assert.equal(written[0]!.selfieCard?.quad.length, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('selfie shows the card where the recorded quad says', async () => {
  const p = makePerson(31);
  const card = await renderIdCard(p, await renderPortrait(p));
  const s = await renderSelfie(p, card);
  const xs = s.cardQuad.map((q) => q[0]);
  const ys = s.cardQuad.map((q) => q[1]);
  assert.ok(Math.min(...xs) >= 0 && Math.max(...xs) <= s.width && Math.min(...ys) >= 0 && Math.max(...ys) <= s.height);
  assert.ok(Math.max(...xs) - Math.min(...xs) > 400, 'card is large enough to read');
});
