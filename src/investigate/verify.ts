/**
 * Discriminative verification of match candidates. Retrieval (PDQ, local features) finds vault images that *look
 * like* a leaked copy — but ID cards of one issuer share background, header and MRZ layout, so a different person's
 * card looks alike too. Here each candidate original is aligned onto the leaked frame and compared block by block
 * (normalised correlation with a small shift search, so re-compression, scaling, colour changes and a few pixels of
 * misregistration do not matter). Look-alikes — other subjects' images of the same template, aligned the same way —
 * show which blocks are template and which are record-specific (portrait, name, number, MRZ characters,
 * signature); a candidate is the source only if, on the record-specific blocks, it agrees with the leaked copy
 * clearly better than every look-alike does. Coverage says how much of the leaked frame a candidate explains: a
 * selfie explains the whole frame, the card inside it only part. Pure over pixels: no storage, no I/O.
 */
import { lumaBlocks, type Pixels, type Plane } from '../image/planes.js';
import { resize } from '../image/resample.js';
import { mul3, scale3, warpPlane, type Mat3 } from '../image/homography.js';
import { pixelKey } from '../image/pixel-key.js';

/** A candidate vault original with its alignment onto the leaked copy. */
export interface VerifyCandidate {
  imageId: string;
  kind: string;
  /** Candidates of the same group (subject) never count as each other's look-alikes (a selfie contains its own card). */
  group: string;
  original: Pixels;
  /** Original pixel coords → leaked pixel coords. */
  homography: Mat3;
  /**
   * A look-alike used only as a reference (another subject's document of the same template, aligned like the
   * candidate it resembles): it shows which blocks are template, and is never itself a match.
   */
  reference?: boolean;
  /** {@link pixelKey} of `original` when the caller has it (computed otherwise): equal keys promise equal pixels. */
  originalKey?: string;
}

/** How well one candidate explains the leaked copy. */
export interface VerifyScore {
  imageId: string;
  kind: string;
  /** Share of the leaked copy's textured blocks inside the aligned original that agree with it (NCC ≥ 0.6). */
  agreement: number;
  /**
   * Share of the record-specific blocks (where look-alikes differ from this original) on which this original agrees
   * with the leaked copy clearly better than every look-alike; null when no look-alike shared its template.
   */
  winShare: number | null;
  /** Mean of (this original's correlation − the best look-alike's) over the record-specific blocks; null as winShare. */
  meanMargin: number | null;
  /** Number of record-specific blocks behind {@link winShare}. */
  specificBlocks: number;
  /** Share of the candidate's compared blocks that look-alikes share (template). */
  templateShare: number;
  /** Share of all textured blocks of the leaked frame this original explains. */
  coverage: number;
  /** Fraction of the leaked frame covered by the aligned original. */
  overlap: number;
  /** Share of the template blocks (shared with look-alikes) that agree with the leaked copy; null without look-alikes. */
  templateAgreement: number | null;
  /** Share of the record-specific blocks that agree with the leaked copy (NCC ≥ agree); null as winShare. */
  specificAgreement: number | null;
  /** Mean NCC over the candidate's compared (inside, textured) blocks: how faithfully it reproduces the frame. */
  meanNcc: number;
  /**
   * Share of the candidate's most contrasted quarter of non-template blocks that agree with the leaked copy. Benign
   * changes (blur, moiré, re-compression) hurt faint texture first and bold content (text, portrait edges) last, so a
   * true source keeps its strongest record-specific blocks; another person's card of the same design differs exactly
   * there. Unlike {@link winShare} it needs no look-alike in the vault.
   */
  strongAgreement: number;
  /** Per block of the comparison grid: NCC with the leaked copy where textured and inside the original, else NaN. */
  blocks: Float32Array;
  /** Block-grid width (blocks per row), for {@link blocks}. */
  gridWidth: number;
}

/** Standard deviation of a block of a plane (grey levels). */
function blockStd(p: Plane, x0: number, y0: number): number {
  let s = 0, ss = 0;
  for (let y = y0; y < y0 + B; y++) for (let x = x0; x < x0 + B; x++) {
    const v = p.data[y * p.width + x]!;
    s += v;
    ss += v * v;
  }
  const n = B * B;
  return Math.sqrt(Math.max(0, ss / n - (s / n) ** 2));
}

/** Working resolution (longest side) of the comparison: enough to keep document text legible. */
const WORK = 640;
/** Block size in working pixels. */
const B = 20;
/** Shift search radius in working pixels (absorbs residual misregistration). */
const S = 2;
/** Tunable thresholds (defaults calibrated on make-leak-case). */
export const VERIFY_PARAMS = {
  /** A block agrees when its normalised correlation reaches this. */
  agree: Number(process.env.TM_VERIFY_AGREE ?? 0.6),
  /** A record-specific block is won when the candidate beats every look-alike by this margin. */
  winMargin: Number(process.env.TM_VERIFY_MARGIN ?? 0.15),
};
/** Blocks where an original and a look-alike correlate this much are template. */
const TEMPLATE = 0.7;

interface Blocks {
  bw: number;
  bh: number;
}

/** Summed-area tables of a plane, its square and its invalid pixels: any shifted block's sums in O(1). */
interface Integral {
  s: Float64Array;
  ss: Float64Array;
  inv: Int32Array | null;
  /** Row stride (plane width + 1). */
  stride: number;
}

function integral(p: Plane, valid: Uint8Array | null): Integral {
  const W = p.width, H = p.height, stride = W + 1;
  const s = new Float64Array(stride * (H + 1));
  const ss = new Float64Array(stride * (H + 1));
  const inv = valid ? new Int32Array(stride * (H + 1)) : null;
  const d = p.data;
  for (let y = 0; y < H; y++) {
    let rs = 0, rss = 0, ri = 0;
    const row = y * W;
    const o0 = (y + 1) * stride + 1;
    for (let x = 0; x < W; x++) {
      const v = d[row + x]!;
      rs += v;
      rss += v * v;
      const o = o0 + x;
      s[o] = s[o - stride]! + rs;
      ss[o] = ss[o - stride]! + rss;
    }
    if (inv && valid) {
      for (let x = 0; x < W; x++) {
        if (!valid[row + x]) ri++;
        const o = o0 + x;
        inv[o] = inv[o - stride]! + ri;
      }
    }
  }
  return { s, ss, inv, stride };
}

/** Sum over the B×B block at (x0, y0) of a summed-area table. */
function rect(t: Float64Array | Int32Array, stride: number, x0: number, y0: number): number {
  const a = y0 * stride + x0, b = (y0 + B) * stride + x0;
  return t[b + B]! - t[a + B]! - t[b]! + t[a]!;
}

/**
 * Sum and centred sum of squares (n·variance) of every block of the grid, summed in the order blockNcc always used,
 * so the per-block statistics of one plane are computed once instead of once per comparison.
 */
function blockStats(a: Plane, g: Blocks): { sum: Float64Array; vari: Float64Array } {
  const W = a.width;
  const ad = a.data;
  const n = B * B;
  const sum = new Float64Array(g.bw * g.bh);
  const vari = new Float64Array(g.bw * g.bh);
  for (let by = 0; by < g.bh; by++) for (let bx = 0; bx < g.bw; bx++) {
    const x0 = bx * B, y0 = by * B;
    let sa = 0, saa = 0;
    for (let y = y0; y < y0 + B; y++) for (let x = x0; x < x0 + B; x++) {
      const v = ad[y * W + x]!;
      sa += v;
      saa += v * v;
    }
    sum[by * g.bw + bx] = sa;
    vari[by * g.bw + bx] = saa - (sa * sa) / n;
  }
  return { sum, vari };
}

/**
 * Best normalised correlation between block (x0, y0) of `a` (sum `sa`, centred sum of squares `va`) and the same
 * block of `b` shifted by up to ±S pixels; NaN when either side is flat or the shifted block leaves `b`'s valid
 * area. `bi` is `b`'s {@link integral}, so each shift costs one pass of products, not three. With `stopAt`, returns
 * as soon as a shift reaches it (enough for a yes/no threshold test; the value is then not the maximum).
 */
function blockNcc(a: Plane, sa: number, va: number, b: Plane, bi: Integral, x0: number, y0: number, stopAt = Infinity): number {
  const W = a.width;
  const H = a.height;
  const ad = a.data;
  const bd = b.data;
  const n = B * B;
  if (va < n * 9) return Number.NaN; // flat block (σ < 3 grey levels): says nothing
  let best = Number.NaN;
  for (let dy = -S; dy <= S; dy++) {
    const yy0 = y0 + dy;
    if (yy0 < 0 || yy0 + B > H) continue;
    for (let dx = -S; dx <= S; dx++) {
      const xx0 = x0 + dx;
      if (xx0 < 0 || xx0 + B > W) continue;
      if (bi.inv && rect(bi.inv, bi.stride, xx0, yy0) > n * 0.1) continue;
      const sb = rect(bi.s, bi.stride, xx0, yy0);
      const vb = rect(bi.ss, bi.stride, xx0, yy0) - (sb * sb) / n;
      if (vb < n * 4) {
        if (Number.isNaN(best)) best = 0;
        continue;
      }
      // B = 20 products per row, unrolled; the sum is taken in the same order as a plain loop.
      let sab = 0;
      for (let y = 0; y < B; y++) {
        const ra = (y0 + y) * W + x0;
        const rb = (yy0 + y) * W + xx0;
        for (let x = 0; x < B; x += 4) {
          sab += ad[ra + x]! * bd[rb + x]!;
          sab += ad[ra + x + 1]! * bd[rb + x + 1]!;
          sab += ad[ra + x + 2]! * bd[rb + x + 2]!;
          sab += ad[ra + x + 3]! * bd[rb + x + 3]!;
        }
      }
      const r = (sab - (sa * sb) / n) / Math.sqrt(va * vb);
      if (Number.isNaN(best) || r > best) best = r;
      if (best >= stopAt) return best;
    }
  }
  return best;
}

function strongShare(xs: { sd: number; r: number }[]): number {
  if (xs.length === 0) return 0;
  xs.sort((a, b) => b.sd - a.sd);
  const top = xs.slice(0, Math.max(1, Math.ceil(xs.length / 4)));
  return top.filter((x) => x.r >= VERIFY_PARAMS.agree).length / top.length;
}

/** One original warped into one leaked copy's working frame under one homography, and what was derived from it. */
interface WarpWork {
  plane: Plane;
  valid: Uint8Array;
  validPx: number;
  /** Correlation with the leaked copy per block (filled on demand: `leakDone` marks computed blocks). */
  leak: Float32Array;
  leakDone: Uint8Array;
  /** This plane's block statistics (when it is the first side of a template test), on demand. */
  stats: { sum: Float64Array; vari: Float64Array } | null;
  /** Summed-area tables, on demand and only during a call (they are 5× the plane's size). */
  int: Integral | null;
}

/** A leaked copy at the working resolution, with the warps and comparisons of every call about it so far. */
interface LeakWork {
  w: number;
  h: number;
  g: Blocks;
  toWork: Mat3;
  L: Plane;
  Lstats: { sum: Float64Array; vari: Float64Array };
  textured: Uint8Array;
  texturedTotal: number;
  /** By original content key and homography. */
  warps: Map<string, WarpWork>;
  /** Template test of warp A against warp B (keys joined): 1 where they correlate ≥ TEMPLATE, on A's compared blocks. */
  pairs: Map<string, Uint8Array>;
}

/**
 * Recent leaked copies' work. An investigation verifies one leaked file two or three times (candidates, then the
 * matched subject's other images, then the alignment refinement before alteration detection) with mostly the same
 * candidates: their warps and block correlations are computed once. Keyed by pixel content, so reuse cannot mix
 * files up; two files are in flight at a time, so a few entries suffice.
 */
const leakCache = new Map<string, LeakWork>();
const LEAK_CACHE_ENTRIES = 4;

function leakWork(leaked: Pixels, key: string): LeakWork {
  const hit = leakCache.get(key);
  if (hit) {
    leakCache.delete(key);
    leakCache.set(key, hit);
    return hit;
  }
  const s = Math.min(1, WORK / Math.max(leaked.width, leaked.height));
  const w = Math.max(B, Math.round(leaked.width * s));
  const h = Math.max(B, Math.round(leaked.height * s));
  const L = resize(lumaBlocks(leaked, 1), w, h);
  const g: Blocks = { bw: Math.floor(w / B), bh: Math.floor(h / B) };
  const nb = g.bw * g.bh;
  const Li = integral(L, null);
  // Textured blocks of the leaked copy (where any comparison is informative).
  const textured = new Uint8Array(nb);
  let texturedTotal = 0;
  for (let by = 0; by < g.bh; by++) for (let bx = 0; bx < g.bw; bx++) {
    const sum = rect(Li.s, Li.stride, bx * B, by * B);
    if (rect(Li.ss, Li.stride, bx * B, by * B) - (sum * sum) / (B * B) >= B * B * 9) { // σ ≥ 3 grey levels, as blockNcc
      textured[by * g.bw + bx] = 1;
      texturedTotal++;
    }
  }
  const lw: LeakWork = { w, h, g, toWork: scale3(w / leaked.width, h / leaked.height), L, Lstats: blockStats(L, g), textured, texturedTotal, warps: new Map(), pairs: new Map() };
  leakCache.set(key, lw);
  while (leakCache.size > LEAK_CACHE_ENTRIES) leakCache.delete(leakCache.keys().next().value!);
  return lw;
}

function warpWork(lw: LeakWork, c: VerifyCandidate, key: string): WarpWork {
  const hit = lw.warps.get(key);
  if (hit) return hit;
  const x = warpPlane(originalLuma(c.original, key.slice(0, key.indexOf('|'))), mul3(lw.toWork, c.homography), lw.w, lw.h);
  let validPx = 0;
  for (let i = 0; i < x.valid.length; i++) validPx += x.valid[i]!;
  const nb = lw.g.bw * lw.g.bh;
  const ww: WarpWork = { plane: x.plane, valid: x.valid, validPx, leak: new Float32Array(nb), leakDone: new Uint8Array(nb), stats: null, int: null };
  lw.warps.set(key, ww);
  return ww;
}

/**
 * Full-resolution luma of recent originals, by content key: look-alike cards and a leaked subject's images recur
 * across the files of one investigation, each time under a new homography. Bounded by bytes, least recent out first.
 */
const lumaCache = new Map<string, Plane>();
let lumaBytes = 0;
const LUMA_CACHE_BYTES = 64e6;

function originalLuma(original: Pixels, key: string): Plane {
  const hit = lumaCache.get(key);
  if (hit) {
    lumaCache.delete(key);
    lumaCache.set(key, hit);
    return hit;
  }
  const p = lumaBlocks(original, 1);
  lumaCache.set(key, p);
  lumaBytes += p.data.byteLength;
  for (const [k, v] of lumaCache) {
    if (lumaBytes <= LUMA_CACHE_BYTES || k === key) break;
    lumaCache.delete(k);
    lumaBytes -= v.data.byteLength;
  }
  return p;
}

const intOf = (x: WarpWork): Integral => (x.int ??= integral(x.plane, x.valid));

/** Correlation of leaked block b with the warp (computed once per block). */
function leakAt(lw: LeakWork, x: WarpWork, b: number): number {
  if (x.leakDone[b]) return x.leak[b]!;
  const bx0 = (b % lw.g.bw) * B, by0 = Math.floor(b / lw.g.bw) * B;
  const v = blockNcc(lw.L, lw.Lstats.sum[b]!, lw.Lstats.vari[b]!, x.plane, intOf(x), bx0, by0);
  x.leak[b] = v;
  x.leakDone[b] = 1;
  return x.leak[b]!; // as stored (float32), like every later read

}

/**
 * Scores every non-reference candidate against the leaked copy. Pass look-alikes (other subjects' images of the
 * same template, flagged `reference`) so the shared template cancels out. `leakedKey` / `originalKey` are
 * {@link pixelKey}s of the pixels, when the caller already has them; work is reused across calls by these keys.
 */
export function verifyCandidates(leaked: Pixels, cands: VerifyCandidate[], opts: { minAgreement?: number; leakedKey?: string } = {}): VerifyScore[] {
  const lw = leakWork(leaked, opts.leakedKey ?? pixelKey(leaked));
  try {
    return scoreAll(lw, cands, opts.minAgreement ?? 0);
  } finally {
    // Summed-area tables are 5× a plane's size and cheap to rebuild: not kept between calls (keeping them for the
    // files in flight cost about 100 MB and saved no measurable time).
    for (const x of lw.warps.values()) x.int = null;
  }
}

/**
 * Drops the work kept for reuse (recent leaked copies' warps and correlations, originals' luma). Worker threads lose
 * it when they stop; a thread that ran verification inline calls this when its investigation ends.
 */
export function releaseVerifyWork(): void {
  leakCache.clear();
  lumaCache.clear();
  lumaBytes = 0;
}


function scoreAll(lw: LeakWork, cands: VerifyCandidate[], minAgreement: number): VerifyScore[] {
  const { g, w, h, textured, texturedTotal } = lw;
  const nb = g.bw * g.bh;
  const keys = cands.map((c) => `${c.originalKey ?? pixelKey(c.original)}|${c.homography.join(',')}`);
  const warped = cands.map((c, k) => warpWork(lw, c, keys[k]!));
  const out: VerifyScore[] = [];
  cands.forEach((c, k) => {
    if (c.reference) return;
    const me = warped[k]!;
    // A candidate that agrees on too few blocks to be accepted needs no comparison with look-alikes (the costly part).
    let pre = 0, preAgree = 0;
    for (let b = 0; b < nb; b++) {
      if (!textured[b]) continue;
      const r = leakAt(lw, me, b);
      if (Number.isNaN(r)) continue;
      pre++;
      if (r >= VERIFY_PARAMS.agree) preAgree++;
    }
    const hopeless = (pre ? preAgree / pre : 0) < minAgreement;
    const others = hopeless ? [] : cands.map((o, j) => ({ o, j })).filter(({ o, j }) => j !== k && o.group !== c.group);
    // Template blocks: where some look-alike's original correlates strongly with this original (tested only on the
    // blocks this candidate is compared on: textured in the leaked copy and inside the aligned original).
    const template = new Uint8Array(nb);
    for (const { j } of others) {
      const pk = `${keys[k]}\n${keys[j]}`;
      let m = lw.pairs.get(pk);
      if (!m) {
        m = new Uint8Array(nb);
        me.stats ??= blockStats(me.plane, g);
        const other = warped[j]!;
        const oi = intOf(other);
        for (let b = 0; b < nb; b++) {
          if (!textured[b] || Number.isNaN(me.leak[b]!)) continue;
          const r = blockNcc(me.plane, me.stats.sum[b]!, me.stats.vari[b]!, other.plane, oi, (b % g.bw) * B, Math.floor(b / g.bw) * B, TEMPLATE);
          if (r >= TEMPLATE) m[b] = 1;
        }
        lw.pairs.set(pk, m);
      }
      for (let b = 0; b < nb; b++) if (m[b]) template[b] = 1;
    }
    let inside = 0, agree = 0, covered = 0, specific = 0, wins = 0, templ = 0, margin = 0, templAgree = 0, specAgree = 0, nccSum = 0;
    const validPx = me.validPx;
    const strong: { sd: number; r: number }[] = [];
    const blocks = new Float32Array(nb).fill(Number.NaN);
    for (let b = 0; b < nb; b++) {
      if (!textured[b]) continue;
      const r = me.leak[b]!;
      if (Number.isNaN(r)) continue; // outside the aligned original
      blocks[b] = r;
      inside++;
      // Blocks on the original's edge are left out: outside it the warped plane is black, a step as contrasted as
      // any text but nothing the leaked copy has to reproduce.
      const bx0 = (b % g.bw) * B, by0 = Math.floor(b / g.bw) * B;
      if (!template[b]) {
        const mi = intOf(me);
        if (rect(mi.inv!, mi.stride, bx0, by0) === 0) strong.push({ sd: blockStd(me.plane, bx0, by0), r });
      }
      if (r >= VERIFY_PARAMS.agree) {
        agree++;
        covered++;
      }
      nccSum += r;
      if (template[b]) {
        templ++;
        if (r >= VERIFY_PARAMS.agree) templAgree++;
      }
      if (others.length === 0 || template[b]) continue;
      let bestOther = 0;
      let seen = false;
      for (const { j } of others) {
        const v = leakAt(lw, warped[j]!, b);
        if (Number.isNaN(v)) continue;
        seen = true;
        if (v > bestOther) bestOther = v;
      }
      if (!seen) continue;
      specific++;
      if (r >= VERIFY_PARAMS.agree) specAgree++;
      margin += Math.max(-0.5, Math.min(0.5, r - bestOther));
      if (r >= VERIFY_PARAMS.agree && r > bestOther + VERIFY_PARAMS.winMargin) wins++;
    }
    out.push({
      imageId: c.imageId,
      kind: c.kind,
      agreement: inside ? agree / inside : 0,
      winShare: specific >= 6 ? wins / specific : null,
      meanMargin: specific >= 6 ? margin / specific : null,
      specificBlocks: specific,
      templateShare: inside ? templ / inside : 0,
      coverage: texturedTotal ? covered / texturedTotal : 0,
      overlap: validPx / (w * h),
      templateAgreement: others.length && templ ? templAgree / templ : null,
      specificAgreement: specific >= 6 ? specAgree / specific : null,
      meanNcc: inside ? nccSum / inside : 0,
      strongAgreement: strongShare(strong),
      blocks,
      gridWidth: g.bw,
    });
  });
  return out;
}

/** Share of `b`'s agreeing blocks that lie outside `a`'s footprint grown by one block (its rim). */
function exclusiveShare(a: VerifyScore, b: VerifyScore): number {
  const w = a.gridWidth;
  const n = a.blocks.length;
  const h = Math.floor(n / w);
  let agreeing = 0, own = 0;
  for (let i = 0; i < n; i++) {
    const rb = b.blocks[i]!;
    if (Number.isNaN(rb) || rb < VERIFY_PARAMS.agree) continue;
    agreeing++;
    const x = i % w, y = Math.floor(i / w);
    let near = false;
    for (let dy = -1; dy <= 1 && !near; dy++) for (let dx = -1; dx <= 1 && !near; dx++) {
      const xx = x + dx, yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < w && yy < h && !Number.isNaN(a.blocks[yy * w + xx]!)) near = true;
    }
    if (!near) own++;
  }
  return agreeing ? own / agreeing : 0;
}

/** When this share of an image's agreeing blocks lies outside the other's footprint, it shows content the other lacks. */
export const EXCLUSIVE_SHARE = 0.25;

/**
 * Whether image `a` explains the leaked frame at least as well as image `b` of the same subject does, so that `b`
 * adds nothing: `a` reproduces the blocks both cover at least as faithfully (mean NCC), and `b` agrees on little
 * outside `a`'s footprint. A card photographed inside a selfie is a softer, perspective copy of the id_front: a leaked
 * card is explained by the id_front, and the selfie only wins a leaked frame that shows the face and scene around it.
 */
export function subsumes(a: VerifyScore, b: VerifyScore): boolean {
  if (a.blocks.length !== b.blocks.length) return false;
  let sa = 0, sb = 0, n = 0;
  for (let i = 0; i < a.blocks.length; i++) {
    const ra = a.blocks[i]!, rb = b.blocks[i]!;
    if (Number.isNaN(ra) || Number.isNaN(rb)) continue;
    sa += ra;
    sb += rb;
    n++;
  }
  if (n < 6) return false;
  return sa >= sb && exclusiveShare(a, b) < EXCLUSIVE_SHARE;
}
