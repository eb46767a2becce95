/**
 * Attacks for the watermark benchmark and tests, made with sharp/libvips (never with the watermark code). Three
 * pixel-level operations sharp lacks are done here in plain code and say so: additive Gaussian noise, a gamma power
 * law and a perspective warp. Each attack takes a decoded RGB image and returns encoded bytes, as a leaked file would be.
 */
import sharp, { type Sharp } from 'sharp';

/** Decoded RGB pixels. */
export interface Rgb {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** A tiny deterministic PRNG (mulberry32) so benchmark runs are reproducible. */
export class AttackRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  range(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  gauss(): number {
    const u = Math.max(1e-12, this.next());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

function s(img: Rgb): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

async function raw(p: Sharp): Promise<Rgb> {
  const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

const png = (p: Sharp): Promise<Buffer> => p.png({ compressionLevel: 1 }).toBuffer();

function addNoise(img: Rgb, sigma: number, rng: AttackRng): Rgb {
  const out = new Uint8ClampedArray(img.data.length);
  for (let i = 0; i < img.data.length; i++) out[i] = img.data[i]! + sigma * rng.gauss();
  return { ...img, data: new Uint8Array(out.buffer) };
}

function gamma(img: Rgb, g: number): Rgb {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = Math.round(255 * (i / 255) ** g);
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) out[i] = lut[img.data[i]!]!;
  return { ...img, data: out };
}

/** Largest axis-aligned rectangle inside a w×h image rotated by `deg` (to crop rotations back to a rectangle). */
function inscribed(w: number, h: number, deg: number): { w: number; h: number } {
  const a = Math.abs((deg * Math.PI) / 180);
  const sin = Math.sin(a);
  const cos = Math.cos(a);
  const long = Math.max(w, h);
  const short = Math.min(w, h);
  let wr: number;
  let hr: number;
  if (short <= 2 * sin * cos * long || Math.abs(sin - cos) < 1e-10) {
    const x = 0.5 * short;
    [wr, hr] = w >= h ? [x / sin, x / cos] : [x / cos, x / sin];
  } else {
    const cos2 = cos * cos - sin * sin;
    wr = (w * cos - h * sin) / cos2;
    hr = (h * cos - w * sin) / cos2;
  }
  return { w: Math.floor(wr) - 2, h: Math.floor(hr) - 2 };
}

/**
 * Perspective warp (plain code: sharp/libvips exposes no homography). The image plane is rotated by `tiltDeg` about
 * an in-plane axis at `axisDeg` through its centre and viewed by a pinhole camera whose focal length is the image
 * diagonal (a phone's standard lens), then rotated in-plane by `rollDeg` and scaled by `zoom`; the result is drawn
 * on a black canvas of the original size by inverse mapping with bilinear interpolation.
 */
export function perspective(img: Rgb, tiltDeg: number, axisDeg: number, rollDeg: number, zoom: number): Rgb {
  const { width: W, height: H, channels: C, data } = img;
  const f = Math.hypot(W, H);
  const t = (tiltDeg * Math.PI) / 180;
  const ax = (axisDeg * Math.PI) / 180;
  const ro = (rollDeg * Math.PI) / 180;
  // Rotation of the plane about the unit axis u = (cos ax, sin ax, 0) by t (Rodrigues).
  const ux = Math.cos(ax);
  const uy = Math.sin(ax);
  const c = Math.cos(t);
  const sn = Math.sin(t);
  const R = [
    [c + ux * ux * (1 - c), ux * uy * (1 - c), uy * sn],
    [ux * uy * (1 - c), c + uy * uy * (1 - c), -ux * sn],
    [-uy * sn, ux * sn, c],
  ];
  // Forward map of a centred source point (x, y): X = R·(x, y, 0) + (0, 0, f), projected onto the image plane z = f,
  // i.e. the homography G = [[f·a0, f·b0, 0], [f·a1, f·b1, 0], [a2, b2, f]] (a = R e1, b = R e2), then roll + zoom.
  // Each output pixel undoes roll/zoom to (px, py) and maps it back through G⁻¹ (adjugate over determinant).
  const a0 = R[0]![0]!, a1 = R[1]![0]!, a2 = R[2]![0]!;
  const b0 = R[0]![1]!, b1 = R[1]![1]!, b2 = R[2]![1]!;
  const g = [f * a0, f * b0, 0, f * a1, f * b1, 0, a2, b2, f];
  const inv = [
    g[4]! * g[8]! - g[5]! * g[7]!, g[2]! * g[7]! - g[1]! * g[8]!, g[1]! * g[5]! - g[2]! * g[4]!,
    g[5]! * g[6]! - g[3]! * g[8]!, g[0]! * g[8]! - g[2]! * g[6]!, g[2]! * g[3]! - g[0]! * g[5]!,
    g[3]! * g[7]! - g[4]! * g[6]!, g[1]! * g[6]! - g[0]! * g[7]!, g[0]! * g[4]! - g[1]! * g[3]!,
  ];
  const cr = Math.cos(-ro) / zoom;
  const sr = Math.sin(-ro) / zoom;
  const out = new Uint8Array(W * H * C);
  for (let yo = 0; yo < H; yo++) {
    for (let xo = 0; xo < W; xo++) {
      const dx = xo + 0.5 - W / 2;
      const dy = yo + 0.5 - H / 2;
      const px = cr * dx - sr * dy;
      const py = sr * dx + cr * dy;
      const w = inv[6]! * px + inv[7]! * py + inv[8]!;
      const x = (inv[0]! * px + inv[1]! * py + inv[2]!) / w + W / 2 - 0.5;
      const y = (inv[3]! * px + inv[4]! * py + inv[5]!) / w + H / 2 - 0.5;
      if (x < 0 || y < 0 || x > W - 1 || y > H - 1) continue;
      const x0 = Math.min(W - 2, Math.floor(x));
      const y0 = Math.min(H - 2, Math.floor(y));
      const fx = x - x0;
      const fy = y - y0;
      const o = (yo * W + xo) * C;
      const i00 = (y0 * W + x0) * C;
      const i10 = i00 + C;
      const i01 = i00 + W * C;
      const i11 = i01 + C;
      for (let ch = 0; ch < C; ch++) {
        const top = data[i00 + ch]! + fx * (data[i10 + ch]! - data[i00 + ch]!);
        const bot = data[i01 + ch]! + fx * (data[i11 + ch]! - data[i01 + ch]!);
        out[o + ch] = Math.round(top + fy * (bot - top));
      }
    }
  }
  return { width: W, height: H, channels: C, data: out };
}

async function cropFraction(img: Rgb, area: number, rng: AttackRng): Promise<Sharp> {
  // Random aspect within [0.6, 1.6] of the original, random offset.
  const ar = rng.range(Math.log(0.6), Math.log(1.6));
  let cw = Math.round(img.width * Math.sqrt(area) * Math.exp(ar / 2));
  let ch = Math.round((img.width * img.height * area) / cw);
  cw = Math.min(img.width, cw);
  ch = Math.min(img.height, ch);
  const left = Math.floor(rng.range(0, img.width - cw + 1));
  const top = Math.floor(rng.range(0, img.height - ch + 1));
  return s(img).extract({ left, top, width: cw, height: ch });
}

/** One attack: a name, the class it belongs to and a function producing the leaked file's bytes. */
export interface Attack {
  cls: string;
  name: string;
  run: (img: Rgb, rng: AttackRng) => Promise<Buffer>;
}

/** The attack classes of issue 3 item 4, each with its variants (one variant is drawn per image and class). */
export const ATTACKS: Attack[] = [
  { cls: 'none (PNG)', name: 'none', run: (img) => png(s(img)) },
  { cls: 'JPEG q50–90', name: 'jpeg', run: (img, r) => s(img).jpeg({ quality: r.pick([50, 60, 75, 90]) }).toBuffer() },
  { cls: 'JPEG q30', name: 'jpeg30', run: (img) => s(img).jpeg({ quality: 30 }).toBuffer() },
  { cls: 'WebP q60–90', name: 'webp', run: (img, r) => s(img).webp({ quality: r.pick([60, 75, 90]) }).toBuffer() },
  { cls: 'resize 0.4–2×', name: 'resize', run: (img, r) => { const f = r.pick([0.4, 0.5, 0.7, 1.3, 2.0]); return png(s(img).resize(Math.round(img.width * f), Math.round(img.height * f))); } },
  { cls: 'resize 0.4–2× + JPEG q75', name: 'resize+jpeg', run: (img, r) => { const f = r.pick([0.4, 0.5, 0.7, 1.3, 2.0]); return s(img).resize(Math.round(img.width * f), Math.round(img.height * f)).jpeg({ quality: 75 }).toBuffer(); } },
  { cls: 'crop 50% area', name: 'crop50', run: async (img, r) => png(await cropFraction(img, 0.5, r)) },
  { cls: 'crop 25% area', name: 'crop25', run: async (img, r) => png(await cropFraction(img, 0.25, r)) },
  { cls: 'rotate ±1–10°', name: 'rotate', run: async (img, r) => {
    const deg = r.pick([-1, 1]) * r.range(1, 10);
    if (r.next() < 0.5) return png(s(img).rotate(deg, { background: '#000000' }));
    const rot = await raw(s(img).rotate(deg, { background: '#000000' }));
    const ins = inscribed(img.width, img.height, deg);
    return png(s(rot).extract({ left: Math.floor((rot.width - ins.w) / 2), top: Math.floor((rot.height - ins.h) / 2), width: ins.w, height: ins.h }));
  } },
  { cls: 'rotate 90/180/270, mirror', name: 'dihedral', run: (img, r) => {
    const k = r.pick([0, 1, 2, 3, 4, 5]);
    const p = s(img);
    return png(k === 0 ? p.rotate(90) : k === 1 ? p.rotate(180) : k === 2 ? p.rotate(270) : k === 3 ? p.flop() : k === 4 ? p.flip() : p.rotate(90).flop());
  } },
  { cls: 'photometric', name: 'photometric', run: async (img, r) => {
    const k = r.pick(['brightness', 'contrast', 'gamma', 'saturation', 'grayscale', 'blur', 'noise', 'sharpen'] as const);
    switch (k) {
      case 'brightness': return png(s(img).modulate({ brightness: r.pick([0.75, 1.25]) }));
      case 'contrast': { const c = r.pick([0.75, 1.25]); return png(s(img).linear(c, 128 * (1 - c))); }
      case 'gamma': return png(s(gamma(img, r.pick([0.75, 1.25]))));
      case 'saturation': return png(s(img).modulate({ saturation: r.pick([0.5, 1.5]) }));
      case 'grayscale': return png(s(img).grayscale());
      case 'blur': return png(s(img).blur(1));
      case 'noise': return png(s(addNoise(img, 5, r)));
      default: return png(s(img).sharpen({ sigma: 1 }));
    }
  } },
  { cls: 'screenshot', name: 'screenshot', run: async (img, r) => {
    const f = r.range(0.6, 0.9);
    const w = Math.round(img.width * f);
    const h = Math.round(img.height * f);
    const bar = Math.round(r.range(24, 60));
    const side = Math.round(r.range(0, 80));
    const p = s(img).resize(w, h).extend({ top: bar, bottom: Math.round(r.range(0, 40)), left: side, right: Math.round(r.range(0, 80)), background: r.pick(['#f0f0f0', '#202124', '#ffffff']) });
    return r.next() < 0.5 ? png(p) : p.jpeg({ quality: r.pick([75, 85, 92]) }).toBuffer();
  } },
  { cls: 'combined: crop 80% + resize 0.6 + rot 2° + JPEG q70', name: 'combined', run: async (img, r) => {
    const c = await raw(await cropFraction(img, 0.8, r));
    const z = await raw(s(c).resize(Math.round(c.width * 0.6), Math.round(c.height * 0.6)));
    return s(z).rotate(r.pick([-2, 2]), { background: '#000000' }).jpeg({ quality: 70 }).toBuffer();
  } },
  { cls: 'stretch: perspective "phone photo" + blur + noise + JPEG', name: 'stretch', run: async (img, r) => {
    // A phone photo of a screen: the image plane tilted by up to 10° about a random axis and seen through a pinhole
    // (perspective warp, plain code below: sharp has none), slightly rotated and rescaled, then lens blur, sensor
    // noise and the phone's JPEG.
    const warped = perspective(img, r.range(0, 10), r.range(0, 180), r.range(-3, 3), r.range(0.85, 1.1));
    const a = await raw(s(warped).blur(0.8));
    return s(addNoise(a, 3, r)).jpeg({ quality: 80 }).toBuffer();
  } },
];
