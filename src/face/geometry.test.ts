import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eyeAspectRatio, meanEyeAspectRatio, yawProxy } from './geometry.js';
import { syntheticLandmarks } from './synthetic-landmarks.js';

test('eye aspect ratio: open ≈ 0.3, closed ≈ 0', () => {
  assert.ok(Math.abs(eyeAspectRatio(syntheticLandmarks(), 36) - 0.3) < 1e-9);
  assert.ok(meanEyeAspectRatio(syntheticLandmarks({ open: 0.1 })) < 0.05);
  // Scale-invariant.
  assert.ok(Math.abs(meanEyeAspectRatio(syntheticLandmarks({ scale: 3 })) - 0.3) < 1e-9);
});

test('yaw proxy: 0 frontal, positive when the nose moves to image right', () => {
  assert.equal(yawProxy(syntheticLandmarks()), 0);
  assert.ok(yawProxy(syntheticLandmarks({ noseX: 70 })) > 0.35);
  assert.ok(yawProxy(syntheticLandmarks({ noseX: 30 })) < -0.35);
});

test('geometry refuses too few landmarks', () => {
  assert.throws(() => yawProxy([{ x: 0, y: 0 }]), /landmark/);
});
