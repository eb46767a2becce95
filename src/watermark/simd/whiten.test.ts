import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleAffine, boxMean } from '../../image/resample.js';
import { detectPixels } from '../detect.js';
import { fft2, nextPow2 } from '../fft.js';
import { autocorrelation, FLATTEN, type Mat2 } from '../sync.js';
import { sampleWhitenFold, whiten, whitenFold, WHITEN, WHITEN_SIMD } from '../whiten.js';
import { tileFft, TILE_FFT_SIMD } from './fft.js';
import { lumaBoxWasm } from './luma.js';
import { lumaBoxExact } from '../../image/planes.js';

/** Largest |a − b| relative to max(1, |a|) (the fast box means multiply by 1/n where the reference divides). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
  return worst;
}

/** Deterministic pseudo-random values (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function texture(W: number, H: number, seed: number): Float32Array {
  const r = rng(seed);
  const d = new Float32Array(W * H);
  for (let i = 0; i < d.length; i++) d[i] = 128 + 60 * Math.sin((i % W) * 0.05 + Math.floor(i / W) * 0.031) + 40 * (r() - 0.5);
  return d;
}

/** The whitening as first written, over image/resample.ts boxMean (the reference the fast paths must match). */
function referenceWhiten(data: Float32Array, W: number, H: number, valid: Uint8Array, power: number, radii = WHITEN.fold): Float32Array {
  const p = { width: W, height: H, data };
  const n = W * H;
  const m = boxMean(p, radii.mean);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = data[i]! - m[i]!;
  const sq = new Float32Array(n);
  for (let i = 0; i < n; i++) sq[i] = d[i]! * d[i]!;
  const e = boxMean({ width: W, height: H, data: sq }, radii.meanSquare);
  const keep = boxMean({ width: W, height: H, data: Float32Array.from(valid) }, 3);
  for (let i = 0; i < n; i++) {
    if (keep[i]! < 0.999) {
      d[i] = 0;
      continue;
    }
    const den = Math.sqrt(Math.max(0, e[i]!)) + WHITEN.eps;
    d[i] = Math.max(-WHITEN.clip, Math.min(WHITEN.clip, d[i]! / (power === 2 ? den * den : den)));
  }
  return d;
}

test('whitening of sampled canonical images: JS and WebAssembly folds are the same numbers, and match the reference', () => {
  for (const [W, H, seed] of [[300, 220, 1], [97, 131, 2], [64, 64, 3], [413, 367, 4]] as const) {
    const src = { width: W, height: H, data: texture(W, H, seed) };
    for (const deg of [0, 4, -9, 30]) {
      const th = (deg * Math.PI) / 180;
      const s = 0.93;
      const m: [number, number, number, number, number, number] = [s * Math.cos(th), -s * Math.sin(th), W * 0.1, s * Math.sin(th), s * Math.cos(th), H * 0.05];
      const w = Math.round(W * 0.9);
      const h = Math.round(H * 0.9) - (seed % 2); // odd heights too (the two-row sampler's last row)
      const { plane, valid } = sampleAffine(src, m, w, h);
      // Reference fold: the whitened copy, folded modulo 64.
      const ref = referenceWhiten(plane.data, w, h, valid, 2);
      const refFold = new Float64Array(4096);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) refFold[(y & 63) * 64 + (x & 63)]! += ref[y * w + x]!;
      const js = new Float64Array(4096);
      whitenFold(plane, valid, null, 2, js);
      assert.ok(maxRelDiff(js, refFold) < 1e-5, `JS fold ${W}×${H} at ${deg}°`);
      const simd = new Float64Array(4096);
      assert.ok(sampleWhitenFold(src, m, w, h, simd), 'WebAssembly SIMD runs in Node ≥ 20');
      assert.deepEqual(simd, js, `WebAssembly fold ${W}×${H} at ${deg}° equals the JS fold to the bit`);
      // The copy API (used for the synchronisation image) matches too, power 1 and 2.
      for (const power of [1, 2]) assert.ok(maxRelDiff(whiten(plane, valid, power), referenceWhiten(plane.data, w, h, valid, power, WHITEN.sync)) < 1e-5);
    }
  }
});

test('whitening with a mask that is not row spans falls back to the per-pixel window test', () => {
  const W = 120;
  const H = 90;
  const data = texture(W, H, 7);
  const r = rng(8);
  const valid = new Uint8Array(W * H).map(() => (r() < 0.02 ? 0 : 1));
  assert.ok(maxRelDiff(whiten({ width: W, height: H, data }, valid, 2), referenceWhiten(data, W, H, valid, 2, WHITEN.sync)) < 1e-5);
});

test('detection gives the same statistic for every lattice candidate with and without WebAssembly', () => {
  const W = 420;
  const H = 330;
  const lum = texture(W, H, 11);
  const img = { width: W, height: H, channels: 3 as const, data: new Uint8Array(W * H * 3) };
  for (let i = 0; i < W * H; i++) img.data.fill(Math.max(0, Math.min(255, Math.round(lum[i]!))), 3 * i, 3 * i + 3);
  const secret = new Uint8Array(32).map((_, i) => i * 7 + 1);
  const runs: { B: Mat2; t: number }[][] = [];
  for (const on of [false, true]) {
    WHITEN_SIMD.enabled = on;
    TILE_FFT_SIMD.enabled = on;
    const trace: { B: Mat2; t: number }[] = [];
    detectPixels(img, secret, { trace });
    runs.push(trace);
  }
  WHITEN_SIMD.enabled = true;
  TILE_FFT_SIMD.enabled = true;
  assert.equal(runs[0]!.length, runs[1]!.length);
  assert.ok(runs[0]!.length > 1, 'the unmarked image runs the whole candidate list');
  assert.deepEqual(runs[1]!.map((x) => x.t), runs[0]!.map((x) => x.t));
});

test('the half-spectrum autocorrelation equals one computed with full complex 2-D FFTs', () => {
  const W = 150;
  const H = 110;
  const d = texture(W, H, 5).map((v) => (v - 128) / 40);
  const maxLag = 90;
  const acf = autocorrelation(d, W, H, maxLag);
  // Reference: full forward FFT, power, the same flattening (through the exported function's own path is not
  // possible, so flattening is switched off for the comparison), full inverse.
  const saved = FLATTEN.radius;
  FLATTEN.radius = 0;
  const plain = autocorrelation(d, W, H, maxLag);
  FLATTEN.radius = saved;
  const nx = nextPow2(W + maxLag);
  const ny = nextPow2(H + maxLag);
  const re = new Float64Array(nx * ny);
  const im = new Float64Array(nx * ny);
  let power = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      re[y * nx + x] = d[y * W + x]!;
      power += d[y * W + x]! ** 2;
    }
  power /= W * H;
  fft2(re, im, nx, ny, false);
  for (let i = 0; i < nx * ny; i++) {
    re[i] = re[i]! ** 2 + im[i]! ** 2;
    im[i] = 0;
  }
  fft2(re, im, nx, ny, true);
  const side = 2 * maxLag + 1;
  let worst = 0;
  for (let vy = -maxLag; vy <= maxLag; vy++)
    for (let vx = -maxLag; vx <= maxLag; vx++) {
      const count = (W - Math.abs(vx)) * (H - Math.abs(vy));
      const want = count > 64 ? (re[((vy + ny) % ny) * nx + ((vx + nx) % nx)]! / (nx * ny)) / (power * Math.sqrt(count) + 1e-9) : 0;
      worst = Math.max(worst, Math.abs(plain.z[(vy + maxLag) * side + (vx + maxLag)]! - want));
    }
  assert.ok(worst < 1e-4, `max difference ${worst}`);
  assert.equal(acf.z.length, side * side);
});

test('the WebAssembly 64×64 tile FFT gives the same numbers as fft2 (forward and inverse)', () => {
  const t = tileFft();
  const r = rng(21);
  for (const inverse of [false, true]) {
    const a = new Float64Array(4096).map(() => r() - 0.5);
    const b = new Float64Array(4096).map(() => (inverse ? r() - 0.5 : 0));
    const wantRe = a.slice();
    const wantIm = b.slice();
    fft2(wantRe, wantIm, 64, 64, inverse);
    if (inverse) {
      t.zRe.set(a);
      t.zIm.set(b);
      t.inverse();
      assert.deepEqual([t.zRe, t.zIm], [wantRe, wantIm]);
    } else {
      t.re.set(a);
      t.im.set(b);
      t.forward();
      assert.deepEqual([t.re, t.im], [wantRe, wantIm]);
    }
  }
});

test('the WebAssembly box-average luma equals lumaBoxExact (RGB and RGBA, k = 1 … 4, odd sizes)', () => {
  const r = rng(31);
  for (const [W, H, C, k] of [[301, 203, 3, 1], [257, 191, 4, 2], [401, 299, 3, 3], [160, 121, 4, 4]] as const) {
    const img = { width: W, height: H, channels: C, data: new Uint8Array(W * H * C).map(() => Math.floor(r() * 256)) };
    const got = lumaBoxWasm(img, k);
    assert.ok(got, 'WebAssembly runs in Node ≥ 20');
    assert.deepEqual(got, lumaBoxExact(img, k));
  }
});
