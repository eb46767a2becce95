/**
 * HTTP API on a real (temporary) vault, with a fake face engine and no OCR so it runs fast: API key auth and roles,
 * ownership (another customer's verification answers 404 like an unknown id), bad uploads rejected with precise
 * 4xx and nothing stored, the full flow to a decision stored on the subject and audited, a replayed challenge
 * refused, and the OpenAPI description served at /docs.
 */
import { codedImage, fakeFace } from './helpers/fake-faces.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/core/config.js';
import { initTracemark, openTracemark, type Tracemark } from '../src/app/tracemark.js';
import { ApiKeyStore } from '../src/api/keys.js';
import { kycApiFor } from '../src/api/wiring.js';
import type { Raster } from '../src/image/decode.js';
import type { DetectedFace, FaceEngine } from '../src/face/engine.js';

// Fake engine: the first pixel's red value names the face (see src/kyc/pipeline.test.ts for the idea).
const face = fakeFace;
const SCENES: Record<number, DetectedFace[]> = { 1: [face(1)], 2: [face(1, { d: 0.3 })], 4: [face(1, { d: 0.3, noseX: 75 })], 5: [face(1, { d: 0.3, noseX: 25 })], 6: [face(1, { d: 0.3, open: 0.1 })], 7: [face(1, { d: 0.3, scale: 1.5 })] };
const engine: FaceEngine = { id: 'fake-v1', modelVersion: 'fake', detect: async (r: Raster) => SCENES[r.data[0] as number] ?? [] };

const png = codedImage;

/** A multipart/form-data body: fields first, then files. */
function multipart(parts: Array<{ name: string; value?: string; file?: Buffer; type?: string; filename?: string }>): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----tmtest' + Math.random().toString(16).slice(2);
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if (p.file) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename ?? 'x.png'}"\r\nContent-Type: ${p.type ?? 'image/png'}\r\n\r\n`), p.file, Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value ?? ''}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

let dir: string;
let t: Tracemark;
let app: FastifyInstance;
const key: Record<string, string> = {};
const auth = (k: string) => ({ authorization: `Bearer ${key[k]}` });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tm-kyc-api-'));
  const cfg = loadConfig({ TRACEMARK_HOME: join(dir, 'home'), TRACEMARK_PASSPHRASE: '' });
  await initTracemark(cfg);
  t = await openTracemark(cfg);
  const keys = ApiKeyStore.memory();
  for (const [name, role] of [['app1', 'customer_app'], ['app2', 'customer_app'], ['agent', 'kyc_agent'], ['admin', 'admin']] as const) key[name] = (await keys.create(role)).token;
  app = await kycApiFor(t, { keys, engine, readMrz: null, maxUploadBytes: 200_000 });
});
after(async () => {
  await app?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(who = 'app1'): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/v1/verifications', headers: auth(who), payload: { typed: { full_name: 'Anna Maria Eriksson', date_of_birth: '1974-08-12' } } });
  assert.equal(r.statusCode, 201, r.body);
  return (r.json() as { verification_id: string }).verification_id;
}
const upload = async (id: string, what: string, file: Buffer, who = 'app1', type = 'image/png') => {
  const mp = multipart([{ name: 'file', file, type }]);
  return app.inject({ method: 'PUT', url: `/v1/verifications/${id}/${what}`, headers: { ...auth(who), ...mp.headers }, payload: mp.payload });
};

test('API keys and roles: missing, invalid, wrong role; other customers\' verifications look unknown', async () => {
  let r = await app.inject({ method: 'POST', url: '/v1/verifications', payload: {} });
  assert.equal(r.statusCode, 401);
  assert.equal(r.json().error.code, 'API_KEY_MISSING');
  r = await app.inject({ method: 'POST', url: '/v1/verifications', headers: { authorization: 'Bearer tmk_000000000000.nottherightsecretatall' }, payload: {} });
  assert.equal(r.statusCode, 401);
  assert.equal(r.json().error.code, 'API_KEY_INVALID');
  r = await app.inject({ method: 'POST', url: '/v1/verifications', headers: auth('agent'), payload: {} });
  assert.equal(r.statusCode, 403);
  assert.equal(r.json().error.code, 'FORBIDDEN_ROLE');
  const id = await start('app1');
  const other = await app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: auth('app2') });
  const unknown = await app.inject({ method: 'GET', url: '/v1/verifications/ver_doesnotexist', headers: auth('app2') });
  assert.equal(other.statusCode, 404);
  assert.deepEqual(other.json(), { error: { ...unknown.json().error, message: other.json().error.message } });
  assert.equal(other.json().error.code, unknown.json().error.code);
  assert.equal((await app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: auth('agent') })).statusCode, 200);
  assert.equal((await upload(id, 'selfie', await png(2), 'agent')).statusCode, 403);
  r = await app.inject({ method: 'POST', url: '/v1/verifications', headers: auth('app1'), payload: { typed: { date_of_birth: '12/08/1974' } } });
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().error.code, 'INVALID_REQUEST');
});

test('bad uploads get precise 4xx answers and nothing is stored', async () => {
  const id = await start();
  const subjectId = (await app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: auth('admin') })).json().subject_id as string;
  const cases: Array<[string, Buffer, string, number, string]> = [
    ['not an image', Buffer.from('hello, I am text'), 'image/jpeg', 415, 'IMAGE_UNREADABLE'],
    ['wrong declared type', await png(2), 'application/pdf', 415, 'UPLOAD_WRONG_TYPE'],
    ['too large', Buffer.concat([await png(2), Buffer.alloc(300_000)]), 'image/png', 413, 'UPLOAD_TOO_LARGE'],
    ['empty', Buffer.alloc(0), 'image/png', 400, 'IMAGE_EMPTY'],
  ];
  for (const [name, bytes, type, status, code] of cases) {
    const r = await upload(id, 'document', bytes, 'app1', type);
    assert.equal(r.statusCode, status, `${name}: ${r.body}`);
    assert.equal(r.json().error.code, code, name);
    assert.ok(r.json().error.message.length > 10);
  }
  const cut = multipart([{ name: 'file', file: await png(1) }]);
  const truncated = await app.inject({ method: 'PUT', url: `/v1/verifications/${id}/document`, headers: { ...auth('app1'), ...cut.headers }, payload: cut.payload.subarray(0, 300) });
  assert.equal(truncated.statusCode, 400, truncated.body);
  assert.equal(truncated.json().error.code, 'UPLOAD_MALFORMED');
  const notMultipart = await app.inject({ method: 'PUT', url: `/v1/verifications/${id}/document`, headers: { ...auth('app1'), 'content-type': 'image/png' }, payload: await png(1) });
  assert.equal(notMultipart.statusCode, 415, notMultipart.body);
  assert.deepEqual(await t.stores.records.listImages(subjectId), [], 'nothing stored');
  const unknown = await upload('ver_nope', 'document', await png(1));
  assert.equal(unknown.statusCode, 404);
  const incomplete = await app.inject({ method: 'POST', url: `/v1/verifications/${id}/submit`, headers: auth('app1') });
  assert.equal(incomplete.statusCode, 400);
  assert.equal(incomplete.json().error.code, 'VERIFICATION_INCOMPLETE');
});

test('full flow: uploads, liveness challenge, decision stored on the subject and audited; replay refused', { timeout: 60_000 }, async () => {
  const id = await start();
  assert.equal((await upload(id, 'document', await png(1))).statusCode, 200);
  assert.equal((await upload(id, 'selfie', await png(2))).statusCode, 200);
  const ch = (await app.inject({ method: 'POST', url: `/v1/verifications/${id}/liveness/challenge`, headers: auth('app1') })).json() as { challenge_id: string; nonce: string; steps: string[] };
  assert.equal(ch.steps.length, 3);
  const codes: Record<string, number> = { turn_left: 4, turn_right: 5, blink: 6, move_closer: 7 };
  const frames = [2];
  for (const s of ch.steps) frames.push(codes[s] as number, 2);
  const parts = [{ name: 'challenge_id', value: ch.challenge_id }, { name: 'nonce', value: ch.nonce }, ...(await Promise.all(frames.map(async (c, i) => ({ name: 'frame', file: await png(c), filename: `${i}.png` }))))];
  const mp = multipart(parts);
  const lv = await app.inject({ method: 'POST', url: `/v1/verifications/${id}/liveness`, headers: { ...auth('app1'), ...mp.headers }, payload: mp.payload });
  assert.equal(lv.statusCode, 200, lv.body);
  const sub = await app.inject({ method: 'POST', url: `/v1/verifications/${id}/submit`, headers: auth('app1') });
  assert.equal(sub.statusCode, 200, sub.body);
  const out = sub.json() as { decision: string; reasons: Array<{ code: string }> };
  // No OCR configured in this test, so the MRZ is not checked → review; everything else passed.
  assert.equal(out.decision, 'review');
  assert.deepEqual(out.reasons.map((r) => r.code), ['MRZ_NOT_CHECKED']);
  const full = (await app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: auth('agent') })).json() as { subject_id: string; result: { liveness: { passed: boolean; nonce_checked: boolean }; face: { score: number } } };
  assert.equal(full.result.liveness.passed, true);
  assert.equal(full.result.liveness.nonce_checked, true);
  const subject = await t.stores.records.getSubject(full.subject_id);
  assert.equal(subject?.kycStatus, 'review');
  const audit = await t.stores.audit.listAudit({ subjectId: full.subject_id, limit: 100 });
  const actions = audit.map((a: { action: string }) => a.action);
  assert.ok(actions.includes('kyc.decision') && actions.includes('api.call') && actions.includes('kyc.read-image'), actions.join(','));
  assert.ok(!JSON.stringify(audit).includes('Eriksson'), 'no personal data in the audit log');
  // Decided: no more uploads; and the same challenge on a new verification is refused as a replay.
  assert.equal((await upload(id, 'selfie', await png(2))).statusCode, 409);
  const id2 = await start();
  await upload(id2, 'document', await png(1));
  await upload(id2, 'selfie', await png(2));
  const mp2 = multipart(parts);
  await app.inject({ method: 'POST', url: `/v1/verifications/${id2}/liveness`, headers: { ...auth('app1'), ...mp2.headers }, payload: mp2.payload });
  const again = (await app.inject({ method: 'POST', url: `/v1/verifications/${id2}/submit`, headers: auth('app1') })).json() as { decision: string; reasons: Array<{ code: string }> };
  assert.equal(again.decision, 'reject');
  assert.ok(again.reasons.some((r) => r.code === 'LIVENESS_REPLAYED'), JSON.stringify(again.reasons));
  // The same face as the first verification's subject: flagged as a possible duplicate identity.
  assert.ok(again.reasons.some((r) => r.code === 'DUPLICATE_FACE'), JSON.stringify(again.reasons));
  // The enrolled face is persisted encrypted with the subject's key, so a restarted server still finds it.
  const stored = await t.stores.records.listFaceDescriptors('fake-v1');
  assert.ok(stored.some((r) => r.subjectId === full.subject_id), 'descriptor persisted');
  const restarted = await t.records.faceDescriptors('fake-v1', 'test: restart');
  assert.ok(restarted.some((r) => r.subjectId === full.subject_id && r.descriptor.length === 128));
});

test('a document number already held by another subject is found through the vault\'s blind index', async () => {
  const other = await t.records.createSubject({ ref: 'earlier-customer', fields: { document_number: 'X1234567' }, source: 'test' });
  const r = await app.inject({ method: 'POST', url: '/v1/verifications', headers: auth('app1'), payload: { typed: { document_number: 'x123-4567' } } });
  const id = (r.json() as { verification_id: string }).verification_id;
  await upload(id, 'document', await png(1));
  await upload(id, 'selfie', await png(2));
  await app.inject({ method: 'POST', url: `/v1/verifications/${id}/submit`, headers: auth('app1') });
  const full = (await app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: auth('agent') })).json() as { result: { reasons: Array<{ code: string }>; duplicates: { document_number: string[] } } };
  assert.deepEqual(full.result.duplicates.document_number, [other.id]);
  assert.ok(full.result.reasons.some((x) => x.code === 'DUPLICATE_DOCUMENT'));
});

test('OpenAPI description at /docs', async () => {
  const spec = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(spec.statusCode, 200);
  const paths = Object.keys((spec.json() as { paths: Record<string, unknown> }).paths);
  assert.ok(paths.includes('/v1/verifications/{id}/liveness/challenge'), paths.join(','));
  assert.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true);
});
