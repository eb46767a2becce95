import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TracemarkError } from '../core/errors.js';
import type { DetectedFace } from '../face/engine.js';
import { syntheticLandmarks } from '../face/synthetic-landmarks.js';
import { LivenessChallenges, MemoryChallengeStore, checkLivenessFrames, parseSteps, randomSteps, type LivenessStep } from './liveness.js';

/** A fake detected face: synthetic landmarks + a descriptor chosen by the test. */
function fakeFace(opts: { noseX?: number; open?: number; scale?: number; id?: number; jitter?: number } = {}): DetectedFace {
  const scale = opts.scale ?? 1;
  const descriptor = new Float32Array(128);
  descriptor[opts.id ?? 0] = 1;
  descriptor[127] = opts.jitter ?? 0;
  return { box: { x: 0, y: 0, width: 100 * scale, height: 100 * scale }, score: 0.99, landmarks: syntheticLandmarks(opts), descriptor, detector: 'fake' };
}

const straight = () => [fakeFace()];
const left = () => [fakeFace({ noseX: 75 })];
const right = () => [fakeFace({ noseX: 25 })];
const closed = () => [fakeFace({ open: 0.1 })];
const closer = () => [fakeFace({ scale: 1.5 })];
const selfie = fakeFace().descriptor;

test('frames following the steps in order pass', () => {
  const steps: LivenessStep[] = ['turn_left', 'blink', 'move_closer'];
  const r = checkLivenessFrames(steps, [straight(), left(), straight(), closed(), straight(), closer()], selfie);
  assert.deepEqual(r, { passed: true, failure: null, detail: null, completedAt: [1, 4, 5] });
  assert.equal(checkLivenessFrames(['turn_right', 'turn_left'], [straight(), right(), straight(), left()], selfie).passed, true);
});

test('wrong order, a still photo, a changed face and a different person fail', () => {
  const r = checkLivenessFrames(['turn_right', 'turn_left'], [straight(), left(), straight(), right()], selfie);
  assert.equal(r.failure, 'STEP_NOT_OBSERVED');
  // A printed photo in front of the camera: the same frontal face in every frame.
  assert.equal(checkLivenessFrames(['blink', 'turn_left'], [straight(), straight(), straight(), straight()], selfie).failure, 'STEP_NOT_OBSERVED');
  assert.equal(checkLivenessFrames(['turn_left'], [straight(), [fakeFace({ noseX: 75, id: 5 })], straight()], selfie).failure, 'FACE_CHANGED');
  const other = fakeFace({ id: 9 }).descriptor;
  assert.equal(checkLivenessFrames(['turn_left'], [straight(), left(), straight()], other).failure, 'NOT_SELFIE_FACE');
  assert.equal(checkLivenessFrames(['turn_left'], [straight(), [], straight()], selfie).failure, 'FRAME_NO_FACE');
  assert.equal(checkLivenessFrames(['turn_left'], [straight(), [fakeFace({ noseX: 75 }), fakeFace({ noseX: 75, id: 3 })], straight()], selfie).failure, 'FRAME_MULTIPLE_FACES');
  assert.equal(checkLivenessFrames(['turn_left', 'blink'], [straight(), left()], selfie).failure, 'TOO_FEW_FRAMES');
  assert.equal(checkLivenessFrames(['turn_left'], [left(), left(), straight()], selfie).failure, 'NOT_FRONTAL_AT_START');
});

test('move_closer is not faked by turning back to frontal', () => {
  // Turned frames have a shorter inter-ocular distance; turning back must not count as "closer".
  const turnedSmall = [fakeFace({ noseX: 80, scale: 0.8 })];
  assert.equal(checkLivenessFrames(['turn_left', 'move_closer'], [straight(), turnedSmall, straight()], selfie).failure, 'STEP_NOT_OBSERVED');
});

test('challenges are random, single-use and expire; a replay is refused', async () => {
  let now = 1_000_000;
  const svc = new LivenessChallenges(new MemoryChallengeStore(() => now), { ttlMs: 60_000, now: () => now });
  const c = await svc.issue('ver_1');
  assert.equal(c.steps.length, 3);
  assert.equal(c.instructions.length, 3);
  assert.deepEqual(await svc.redeem(c.challenge_id, c.nonce, 'ver_1'), c.steps);
  await assert.rejects(svc.redeem(c.challenge_id, c.nonce, 'ver_1'), (e: unknown) => e instanceof TracemarkError && e.code === 'LIVENESS_REPLAYED');
  const d = await svc.issue();
  await assert.rejects(svc.redeem(d.challenge_id, 'wrong-nonce'), (e: unknown) => e instanceof TracemarkError && e.code === 'LIVENESS_BAD_NONCE');
  const e2 = await svc.issue('ver_2');
  await assert.rejects(svc.redeem(e2.challenge_id, e2.nonce, 'ver_3'), (e: unknown) => e instanceof TracemarkError && e.code === 'LIVENESS_BAD_NONCE');
  const x = await svc.issue();
  now += 61_000;
  await assert.rejects(svc.redeem(x.challenge_id, x.nonce), (e: unknown) => e instanceof TracemarkError && e.code === 'LIVENESS_EXPIRED');
  await assert.rejects(svc.redeem('lvc_nope', 'n'), (e: unknown) => e instanceof TracemarkError && e.code === 'LIVENESS_UNKNOWN_CHALLENGE');
  // Randomness: many challenges are not all the same, and never repeat a step twice in a row.
  const seqs = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const s = randomSteps(3);
    seqs.add(s.join(','));
    assert.ok(s[0] !== s[1] && s[1] !== s[2]);
  }
  assert.ok(seqs.size > 5);
  assert.deepEqual(parseSteps(['blink', 'turn_left']), ['blink', 'turn_left']);
  assert.throws(() => parseSteps(['smile']), /Expected one of/);
});
