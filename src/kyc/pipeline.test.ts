import { test } from 'node:test';
import { codedImage, fakeFace } from '../../test/helpers/fake-faces.js';
import assert from 'node:assert/strict';
import type { Raster } from '../image/decode.js';
import type { DetectedFace, DetectOptions, FaceEngine } from '../face/engine.js';
import { parseMrz } from '../document/mrz.js';
import type { MrzReadResult } from '../document/mrz-ocr.js';
import { verifyKyc, type KycDeps, type KycInput } from './pipeline.js';
import { MemoryDuplicateLookup } from './duplicates.js';
import { LivenessChallenges, MemoryChallengeStore } from './liveness.js';

// Images are textured noise (so the quality checks pass) whose first pixel's red value names the scene the fake
// engine returns: the pipeline's logic is tested without a face model.
const image = codedImage;

const face = fakeFace;

const SCENES: Record<number, DetectedFace[]> = {
  1: [face(1)], // document portrait of person 1
  2: [face(1, { d: 0.3 })], // selfie of person 1 (distance 0.3)
  3: [face(2)], // selfie of person 2
  4: [face(1, { d: 0.3, noseX: 75 })], // frame: turned to their left
  5: [face(1, { d: 0.3, noseX: 25 })], // frame: turned to their right
  6: [face(1, { d: 0.3, open: 0.1 })], // frame: eyes closed
  7: [face(1, { d: 0.3, scale: 1.5 })], // frame: closer
  8: [face(1, { d: 0.55 })], // selfie, borderline distance
};

class FakeEngine implements FaceEngine {
  readonly id = 'fake-v1';
  readonly modelVersion = 'fake';
  async detect(r: Raster, _o: DetectOptions): Promise<DetectedFace[]> {
    return SCENES[r.data[0] as number] ?? [];
  }
}

const TD1 = ['I<SWED23145890<1233<<<<<<<<<<<', '7408122F3004157SWE<<<<<<<<<<<8', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
function mrzReader(lines: string[] | null): (r: Raster) => Promise<MrzReadResult> {
  return async () => ({ mrz: lines ? parseMrz(lines, { now: new Date('2026-01-01') }) : null, rawLines: lines ?? [], ocrVersion: 'fake-ocr' });
}

const NOW = () => new Date('2026-06-01T12:00:00Z');
function deps(over: Partial<KycDeps> = {}): KycDeps {
  return { engine: new FakeEngine(), readMrz: mrzReader(TD1), duplicates: new MemoryDuplicateLookup(), limits: { maxPixels: 50e6 }, now: NOW, liveness: new LivenessChallenges(new MemoryChallengeStore()), ...over };
}

async function input(selfie: number, over: Partial<KycInput> = {}): Promise<KycInput> {
  return { document: { bytes: await image(1), label: 'doc.png' }, selfie: { bytes: await image(selfie), label: 'selfie.png' }, typed: { full_name: 'Anna Maria Eriksson', date_of_birth: '1974-08-12', document_number: 'D23145890123' }, ...over };
}

const frameCodes: Record<string, number> = { turn_left: 4, turn_right: 5, blink: 6, move_closer: 7 };
async function framesFor(steps: string[]): Promise<Array<{ bytes: Uint8Array; label: string }>> {
  const codes = [2];
  for (const s of steps) codes.push(frameCodes[s] as number, 2);
  return Promise.all(codes.map(async (c, i) => ({ bytes: await image(c), label: `frame-${i}.png` })));
}

/** Codes of the reasons that decide (info reasons only explain). */
const codes = (r: { reasons: Array<{ code: string; severity?: string }> }) => r.reasons.filter((x) => x.severity !== 'info').map((x) => x.code);

test('approve: matching faces, valid MRZ, typed fields agree, liveness passed, no duplicates', async () => {
  const d = deps();
  const ch = await (d.liveness as LivenessChallenges).issue('ver_1');
  const r = await verifyKyc(await input(2, { frames: await framesFor(ch.steps), challenge: { id: ch.challenge_id, nonce: ch.nonce }, verificationId: 'ver_1' }), d);
  assert.deepEqual(codes(r), []);
  assert.equal(r.decision, 'approve');
  assert.equal(r.face.match, true);
  assert.equal(r.face.score, 0.3);
  assert.equal(r.document.mrz_valid, true);
  assert.equal(r.liveness.passed, true);
  assert.equal(r.liveness.nonce_checked, true);
  assert.equal(r.versions.face_engine, 'fake-v1');
  // The same challenge again: refused as a replay, whatever the frames show.
  const again = await verifyKyc(await input(2, { frames: await framesFor(ch.steps), challenge: { id: ch.challenge_id, nonce: ch.nonce }, verificationId: 'ver_1' }), d);
  assert.equal(again.decision, 'reject');
  assert.deepEqual(codes(again), ['LIVENESS_REPLAYED']);
});

test('reject: another person on the selfie; review: borderline match or no liveness', async () => {
  const r = await verifyKyc(await input(3), deps({ requireLiveness: false }));
  assert.equal(r.decision, 'reject');
  assert.ok(codes(r).includes('FACE_MISMATCH'));
  assert.equal(r.face.match, false);
  const b = await verifyKyc(await input(8), deps({ requireLiveness: false }));
  assert.equal(b.decision, 'review');
  assert.ok(codes(b).includes('FACE_MATCH_UNCERTAIN'));
  const n = await verifyKyc(await input(2), deps());
  assert.equal(n.decision, 'review');
  assert.deepEqual(codes(n), ['LIVENESS_NOT_PERFORMED']);
});

test('reject: expired document and tampered MRZ; review: typed fields disagree, no MRZ', async () => {
  const expired = ['I<SWED23145890<1233<<<<<<<<<<<', '7408122F1204159SWE<<<<<<<<<<<2', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
  const e = await verifyKyc(await input(2), deps({ readMrz: mrzReader(expired), requireLiveness: false }));
  assert.equal(e.decision, 'reject');
  assert.ok(codes(e).includes('DOCUMENT_EXPIRED'));
  assert.equal(e.document.expired, true);
  const tampered = [TD1[0] as string, (TD1[1] as string).replace('7408122', '7508122'), TD1[2] as string];
  const t = await verifyKyc(await input(2), deps({ readMrz: mrzReader(tampered), requireLiveness: false }));
  assert.equal(t.decision, 'reject');
  assert.ok(codes(t).includes('MRZ_INVALID'));
  assert.equal(t.document.mrz_valid, false);
  const typed = await verifyKyc(await input(2, { typed: { full_name: 'Someone Else', date_of_birth: '1974-08-12' } }), deps({ requireLiveness: false }));
  assert.equal(typed.decision, 'review');
  assert.deepEqual(codes(typed), ['NAME_MISMATCH']);
  const none = await verifyKyc(await input(2), deps({ readMrz: mrzReader(null), requireLiveness: false }));
  assert.deepEqual(codes(none), ['MRZ_NOT_FOUND']);
});

test('review: duplicate document number and duplicate face under another subject; skipped lookup is said', async () => {
  const dup = new MemoryDuplicateLookup();
  dup.enrol('sub_other', { documentNumber: 'd2314-5890123' });
  const r = await verifyKyc(await input(2), deps({ duplicates: dup, requireLiveness: false }));
  assert.equal(r.decision, 'review');
  assert.deepEqual(codes(r), ['DUPLICATE_DOCUMENT']);
  assert.deepEqual(r.duplicates.document_number, ['sub_other']);
  const faces = new MemoryDuplicateLookup();
  faces.enrol('sub_ring', { descriptor: face(1, { d: 0.35 }).descriptor });
  faces.enrol('sub_far', { descriptor: face(9).descriptor });
  const f = await verifyKyc(await input(2), deps({ duplicates: faces, requireLiveness: false }));
  assert.deepEqual(codes(f), ['DUPLICATE_FACE']);
  assert.deepEqual(f.duplicates.faces.map((h) => h.id), ['sub_ring']);
  // The subject itself is not its own duplicate.
  const self = await verifyKyc(await input(2, { subjectId: 'sub_ring' }), deps({ duplicates: faces, requireLiveness: false }));
  assert.deepEqual(codes(self), []);
  const skipped = await verifyKyc(await input(2), deps({ duplicates: null, duplicatesSkipped: 'no vault', requireLiveness: false }));
  assert.deepEqual(codes(skipped), ['DUPLICATES_NOT_CHECKED']);
});

test('quality: no face on the selfie rejects; bad image bytes throw a clear error', async () => {
  const r = await verifyKyc(await input(99), deps({ requireLiveness: false }));
  assert.equal(r.decision, 'reject');
  assert.ok(r.reasons.some((x) => x.code === 'NO_FACE' && x.source === 'selfie'));
  await assert.rejects(verifyKyc({ ...(await input(2)), selfie: { bytes: new Uint8Array(0), label: 'empty.jpg' } }, deps()), /empty\.jpg: the file is empty/);
  await assert.rejects(verifyKyc({ ...(await input(2)), document: { bytes: Buffer.from('not an image'), label: 'doc.txt' } }, deps()), /doc\.txt: not an image/);
});
