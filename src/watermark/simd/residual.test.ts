import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addResidual } from '../embed.js';
import { addWideResidualSimd } from './residual.js';

/** Independent scalar reference: bilinear (pixel-centre aligned) upsampling, round to nearest, add, clamp. */
function reference(src: Uint8Array, W: number, H: number, c: number, res: Float32Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(src.length);
  const at = (x: number, y: number): number => res[y * w + x]!;
  for (let Y = 0; Y < H; Y++) {
    const y = Math.max(0, Math.min(h - 1, (Y + 0.5) * (h / H) - 0.5));
    const y0 = Math.min(Math.floor(y), Math.max(0, h - 2));
    const y1 = Math.min(h - 1, y0 + 1);
    for (let X = 0; X < W; X++) {
      const x = Math.max(0, Math.min(w - 1, (X + 0.5) * (w / W) - 0.5));
      const x0 = Math.min(Math.floor(x), Math.max(0, w - 2));
      const x1 = Math.min(w - 1, x0 + 1);
      const r0 = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * (x - x0);
      const r1 = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * (x - x0);
      const d = Math.round(r0 + (r1 - r0) * (y - y0));
      const p = (Y * W + X) * c;
      for (let k = 0; k < c; k++) out[p + k] = k < 3 ? Math.max(0, Math.min(255, src[p + k]! + d)) : src[p + k]!;
    }
  }
  return out;
}

test('the SIMD residual add equals the scalar reference (RGB and RGBA, odd widths, clamping at 0 and 255)', () => {
  for (const [W, H, c, w, h] of [[1013, 641, 3, 401, 254], [517, 389, 4, 233, 175], [33, 17, 3, 33, 17], [160, 96, 4, 64, 40]] as const) {
    const src = new Uint8Array(W * H * c);
    for (let i = 0; i < src.length; i++) src[i] = i % 7 === 0 ? 0 : i % 11 === 0 ? 255 : (Math.imul(i, 2654435761) >>> 23) & 255;
    // ±20 grey levels, with values near half-integers avoided so that rounding ties cannot differ.
    const res = new Float32Array(w * h).map((_, i) => Math.round(Math.sin(i * 0.7) * 40) / 2 + 0.13);
    const got = addResidual({ width: W, height: H, channels: c, data: src }, w, h, res);
    const want = reference(src, W, H, c, res, w, h);
    let mismatches = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) mismatches++;
    assert.equal(mismatches, 0, `${W}×${H}×${c}: ${mismatches} bytes differ`);
    assert.equal(got.length, src.length);
  }
});

test('WebAssembly SIMD is available on this Node (the fast path above is the one tested)', () => {
  const out = addWideResidualSimd(new Uint8Array(16 * 2 * 3).fill(100), 16, 2, 3, 1, (wide) => wide.fill(2.2));
  assert.ok(out, 'WebAssembly SIMD unavailable: embedding falls back to the JS loop');
  assert.equal(out[0], 102);
});
