/**
 * Image-quality metrics used by the benchmark and tests to check invisibility: PSNR over RGB and SSIM (Wang et al.
 * 2004: 11×11 Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03) over BT.601 luma.
 */
import { lumaBoxExact, type Pixels } from '../image/planes.js';

/** PSNR in dB over the colour channels (alpha ignored); Infinity for identical images. */
export function psnr(a: Pixels, b: Pixels): number {
  let se = 0;
  let n = 0;
  const c = a.channels;
  for (let i = 0; i < a.data.length; i += c)
    for (let k = 0; k < 3; k++) {
      const d = a.data[i + k]! - b.data[i + k]!;
      se += d * d;
      n++;
    }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * n) / se);
}

function gaussBlur(src: Float32Array, w: number, h: number): Float32Array {
  const r = 5;
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) {
    k[i + r] = Math.exp(-(i * i) / (2 * 1.5 * 1.5));
    s += k[i + r]!;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= s;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = r; x < w - r; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * src[y * w + x + i]!;
      tmp[y * w + x] = acc;
    }
  for (let y = r; y < h - r; y++)
    for (let x = r; x < w - r; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * tmp[(y + i) * w + x]!;
      out[y * w + x] = acc;
    }
  return out;
}

/** Mean SSIM over luma (valid window positions only). */
export function ssim(a: Pixels, b: Pixels): number {
  const la = lumaBoxExact(a, 1);
  const lb = lumaBoxExact(b, 1);
  const w = la.width;
  const h = la.height;
  const n = w * h;
  const aa = new Float32Array(n);
  const bb = new Float32Array(n);
  const ab = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = la.data[i]!;
    const y = lb.data[i]!;
    aa[i] = x * x;
    bb[i] = y * y;
    ab[i] = x * y;
  }
  const ma = gaussBlur(la.data, w, h);
  const mb = gaussBlur(lb.data, w, h);
  const saa = gaussBlur(aa, w, h);
  const sbb = gaussBlur(bb, w, h);
  const sab = gaussBlur(ab, w, h);
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let acc = 0;
  let cnt = 0;
  for (let y = 5; y < h - 5; y++)
    for (let x = 5; x < w - 5; x++) {
      const i = y * w + x;
      const mx = ma[i]!;
      const my = mb[i]!;
      const vx = saa[i]! - mx * mx;
      const vy = sbb[i]! - my * my;
      const cxy = sab[i]! - mx * my;
      acc += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      cnt++;
    }
  return cnt ? acc / cnt : 1;
}
