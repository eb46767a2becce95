/**
 * The KYC pipeline end to end with the real face model and the real MRZ OCR on generated ID cards that carry a real
 * portrait from ../shared/faces: same person → face match and valid MRZ; another person → reject; a document number
 * already enrolled → review; the CLI prints the documented JSON and refuses a "printed photo" liveness attempt.
 * Skips plainly when the face set or the OCR model is absent.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { makePerson, renderIdCard, type SynthPerson } from './fixtures/synth/index.js';
import { faceApiEngine } from '../src/face/faceapi-engine.js';
import { closeMrzOcr, readMrz, DEFAULT_TESSDATA } from '../src/document/mrz-ocr.js';
import { verifyKyc, type KycDeps } from '../src/kyc/pipeline.js';
import { MemoryDuplicateLookup } from '../src/kyc/duplicates.js';

const FACES = join(process.cwd(), '..', 'shared', 'faces');
const ready = existsSync(join(FACES, 'identities')) && existsSync(join(DEFAULT_TESSDATA, 'ocrb_int.traineddata'));
const skip = !ready && 'face set ../shared/faces or the OCR-B model (vendor/tessdata) is absent';
after(closeMrzOcr);

function idCardPerson(): SynthPerson {
  for (let s = 1; ; s++) {
    const p = makePerson(s);
    if (p.document_type === 'id_card') return p;
  }
}

async function cardWith(p: SynthPerson, portraitPath: string): Promise<Buffer> {
  return renderIdCard(p, await sharp(portraitPath).resize(240, 300).png().toBuffer());
}

const deps = (dup = new MemoryDuplicateLookup()): KycDeps => ({ engine: faceApiEngine(), readMrz: (r) => readMrz(r), duplicates: dup, limits: { maxPixels: 50e6 }, now: () => new Date('2026-06-01') });
const decisive = (r: { reasons: Array<{ code: string; severity?: string }> }) => r.reasons.filter((x) => x.severity !== 'info').map((x) => x.code);

test('same person on card and selfie: face match, valid MRZ, typed fields agree; a reused document number is flagged', { skip, timeout: 120_000 }, async () => {
  const p = idCardPerson();
  const card = await cardWith(p, join(FACES, 'identities', 'person_a', '1.jpg'));
  const selfie = readFileSync(join(FACES, 'identities', 'person_a', '3.jpg'));
  const typed = { full_name: p.full_name, date_of_birth: p.date_of_birth, document_number: p.document_number };
  const r = await verifyKyc({ document: { bytes: card, label: 'card.png' }, selfie: { bytes: selfie, label: 'selfie.jpg' }, typed }, deps());
  console.log(`# face distance ${r.face.score}, timings ${JSON.stringify(r.timings_ms)}`);
  assert.equal(r.face.match, true);
  assert.equal(r.document.mrz_valid, true);
  assert.equal(r.document.mrz?.documentNumber, p.document_number);
  assert.deepEqual(decisive(r), ['LIVENESS_NOT_PERFORMED']);
  assert.equal(r.decision, 'review');
  const dup = new MemoryDuplicateLookup();
  dup.enrol('sub_earlier', { documentNumber: p.document_number });
  const again = await verifyKyc({ document: { bytes: card, label: 'card.png' }, selfie: { bytes: selfie, label: 'selfie.jpg' }, typed }, deps(dup));
  assert.ok(decisive(again).includes('DUPLICATE_DOCUMENT'));
  assert.deepEqual(again.duplicates.document_number, ['sub_earlier']);
});

test('another person on the selfie is rejected', { skip, timeout: 120_000 }, async () => {
  const p = idCardPerson();
  const card = await cardWith(p, join(FACES, 'identities', 'person_a', '1.jpg'));
  const r = await verifyKyc({ document: { bytes: card, label: 'card.png' }, selfie: { bytes: readFileSync(join(FACES, 'identities', 'person_b', '1.jpg')), label: 'selfie.jpg' } }, deps());
  assert.equal(r.decision, 'reject');
  assert.ok(decisive(r).includes('FACE_MISMATCH'), decisive(r).join(','));
  assert.equal(r.face.match, false);
});

test('CLI: kyc verify --json prints the documented object; a still photo as liveness frames is refused', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-kyc-cli-'));
  try {
    const p = idCardPerson();
    writeFileSync(join(dir, 'card.png'), await cardWith(p, join(FACES, 'identities', 'person_a', '1.jpg')));
    writeFileSync(join(dir, 'typed.json'), JSON.stringify({ full_name: p.full_name, date_of_birth: p.date_of_birth }));
    const frames = join(dir, 'frames');
    mkdirSync(frames);
    const still = readFileSync(join(FACES, 'identities', 'person_a', '3.jpg'));
    for (let i = 1; i <= 4; i++) writeFileSync(join(frames, `${i}.jpg`), still);
    writeFileSync(join(frames, 'challenge.json'), JSON.stringify({ steps: ['turn_left', 'blink'] }));
    const run = spawnSync(process.execPath, ['bin/tracemark.js', '--home', join(dir, 'no-vault'), '--json', 'kyc', 'verify', '--document', join(dir, 'card.png'), '--selfie', join(FACES, 'identities', 'person_a', '3.jpg'), '--typed', join(dir, 'typed.json'), '--frames', frames], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { decision: string; reasons: Array<{ code: string; message: string }>; face: { match: boolean; score: number; threshold: number }; document: { mrz: unknown; mrz_valid: boolean | null }; liveness: { failure: string } };
    assert.equal(out.decision, 'reject');
    assert.equal(out.face.match, true);
    assert.equal(typeof out.face.score, 'number');
    assert.equal(typeof out.face.threshold, 'number');
    assert.equal(out.document.mrz_valid, true);
    assert.ok(out.document.mrz);
    assert.equal(out.liveness.failure, 'STEP_NOT_OBSERVED');
    const codes = out.reasons.map((r) => r.code);
    assert.ok(codes.includes('LIVENESS_FAILED') && codes.includes('DUPLICATES_NOT_CHECKED'), codes.join(','));
    assert.ok(out.reasons.every((r) => typeof r.message === 'string' && r.message.length > 0));
    // Bad input: an empty selfie gives exit 2 and a message naming the file.
    writeFileSync(join(dir, 'empty.jpg'), '');
    const bad = spawnSync(process.execPath, ['bin/tracemark.js', '--home', join(dir, 'no-vault'), 'kyc', 'verify', '--document', join(dir, 'card.png'), '--selfie', join(dir, 'empty.jpg')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /empty\.jpg: the file is empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
