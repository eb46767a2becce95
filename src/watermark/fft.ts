/**
 * A small in-place radix-2 complex FFT over Float64Array (real and imaginary parts in separate arrays).
 * Written here rather than imported so the watermark stays dependency-free and deterministic across platforms.
 */

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array; rev: Uint32Array }>();

/** Twiddles (cos, −sin for k < n/2) and the bit-reversal permutation of an n-point FFT, cached. */
export function tables(n: number): { cos: Float64Array; sin: Float64Array; rev: Uint32Array } {
  let t = twiddleCache.get(n);
  if (t) return t;
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = -Math.sin((2 * Math.PI * i) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.round(Math.log2(n));
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  t = { cos, sin, rev };
  twiddleCache.set(n, t);
  return t;
}

/** True when n is a power of two (the only sizes this FFT accepts). */
export function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Smallest power of two ≥ n. */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * In-place FFT of `n` complex values starting at `off` with `stride` (so rows and columns of a 2-D array can be
 * transformed without copying). `inverse` computes the unnormalised inverse transform.
 */
export function fft1(re: Float64Array, im: Float64Array, n: number, off: number, stride: number, inverse: boolean): void {
  const { cos, sin, rev } = tables(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      const a = off + i * stride;
      const b = off + j * stride;
      const tr = re[a]!;
      re[a] = re[b]!;
      re[b] = tr;
      const ti = im[a]!;
      im[a] = im[b]!;
      im[b] = ti;
    }
  }
  const sgn = inverse ? -1 : 1;
  // The butterflies of a stage are independent, so the twiddle loop is the outer one (each twiddle read once per
  // stage); the arithmetic of every butterfly is unchanged, so the result is the same to the bit.
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    const hs = half * stride;
    const ss = size * stride;
    const end = off + n * stride;
    for (let k = 0; k < half; k++) {
      const wr = cos[k * step]!;
      const wi = sgn * sin[k * step]!;
      for (let a = off + k * stride; a < end; a += ss) {
        const b = a + hs;
        const br = re[b]!;
        const bi = im[b]!;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        const ar = re[a]!;
        const ai = im[a]!;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
}

const scratchCache = new Map<number, Float64Array>();

/** In-place transpose of an n×m row-major array into m×n (via a scratch copy). */
function transpose(a: Float64Array, w: number, h: number, scratch: Float64Array): void {
  scratch.set(a.subarray(0, w * h));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[x * h + y] = scratch[y * w + x]!;
}

/**
 * In-place 2-D FFT of a w×h complex array stored row-major (w and h powers of two). Columns are transformed as rows
 * of the transposed array (cache friendly). `rowsUsed` (forward only) skips rows known to be zero.
 */
export function fft2(re: Float64Array, im: Float64Array, w: number, h: number, inverse: boolean, rowsUsed = h): void {
  for (let y = 0; y < rowsUsed; y++) fft1(re, im, w, y * w, 1, inverse);
  if (w * h <= 64 * 64) {
    // Small arrays stay in cache: columns in place with a stride (the same butterflies as after a transpose).
    for (let x = 0; x < w; x++) fft1(re, im, h, x, w, inverse);
    return;
  }
  let scratch = scratchCache.get(w * h);
  if (!scratch) {
    scratch = new Float64Array(w * h);
    if (scratchCache.size > 8) scratchCache.clear();
    scratchCache.set(w * h, scratch);
  }
  transpose(re, w, h, scratch);
  transpose(im, w, h, scratch);
  for (let x = 0; x < w; x++) fft1(re, im, h, x * h, 1, inverse);
  transpose(re, h, w, scratch);
  transpose(im, h, w, scratch);
}

const rowScratch = new Map<number, { re: Float64Array; im: Float64Array }>();

/**
 * DFTs of `rows` real rows of length n (row y at src[y·srcStride …], n values; forward or unnormalised inverse), two
 * rows per complex FFT (row y in the real part, row y+1 in the imaginary part, separated by the symmetry
 * X(−k) = conj X(k) of a real row's spectrum). Writes bins k = 0 … keep−1 (keep ≤ n/2 + 1 — the rest follow from
 * that symmetry) column-major: bin k of row y at out[k·outStride + y]. Half the FFTs of transforming each row alone.
 */
export function realRowsFft(src: Float64Array, srcStride: number, n: number, rows: number, inverse: boolean, keep: number, outRe: Float64Array, outIm: Float64Array, outStride: number): void {
  let s = rowScratch.get(n);
  if (!s) {
    s = { re: new Float64Array(n), im: new Float64Array(n) };
    rowScratch.set(n, s);
  }
  const { re, im } = s;
  for (let y = 0; y < rows; y += 2) {
    const a = y * srcStride;
    re.set(src.subarray(a, a + n));
    if (y + 1 < rows) im.set(src.subarray(a + srcStride, a + srcStride + n));
    else im.fill(0);
    fft1(re, im, n, 0, 1, inverse);
    const two = y + 1 < rows;
    for (let k = 0; k < keep; k++) {
      const m = k === 0 ? 0 : n - k;
      const zr = re[k]!, zi = im[k]!, wr = re[m]!, wi = im[m]!;
      // X_y = (Z(k) + conj Z(−k)) / 2, X_{y+1} = (Z(k) − conj Z(−k)) / 2i.
      const o = k * outStride + y;
      outRe[o] = 0.5 * (zr + wr);
      outIm[o] = 0.5 * (zi - wi);
      if (two) {
        outRe[o + 1] = 0.5 * (zi + wi);
        outIm[o + 1] = -0.5 * (zr - wr);
      }
    }
  }
}
