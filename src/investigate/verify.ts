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

/**
 * Best normalised correlation between block (bx, by) of `a` and the same block of `b` shifted by up to ±S pixels;
 * NaN when either side is flat or the shifted block leaves `b`'s valid area.
 */
function blockNcc(a: Plane, b: Plane, bValid: Uint8Array | null, x0: number, y0: number): number {
  const W = a.width;
  const H = a.height;
  const ad = a.data;
  const bd = b.data;
  let sa = 0, saa = 0;
  for (let y = y0; y < y0 + B; y++) for (let x = x0; x < x0 + B; x++) {
    const v = ad[y * W + x]!;
    sa += v;
    saa += v * v;
  }
  const n = B * B;
  const va = saa - (sa * sa) / n;
  if (va < n * 9) return Number.NaN; // flat block (σ < 3 grey levels): says nothing
  let best = Number.NaN;
  for (let dy = -S; dy <= S; dy++) {
    const yy0 = y0 + dy;
    if (yy0 < 0 || yy0 + B > H) continue;
    for (let dx = -S; dx <= S; dx++) {
      const xx0 = x0 + dx;
      if (xx0 < 0 || xx0 + B > W) continue;
      let sb = 0, sbb = 0, sab = 0, invalid = 0;
      for (let y = 0; y < B; y++) {
        const ra = (y0 + y) * W + x0;
        const rb = (yy0 + y) * W + xx0;
        for (let x = 0; x < B; x++) {
          if (bValid && !bValid[rb + x]) invalid++;
          const u = bd[rb + x]!;
          sb += u;
          sbb += u * u;
          sab += ad[ra + x]! * u;
        }
      }
      if (invalid > n * 0.1) continue;
      const vb = sbb - (sb * sb) / n;
      if (vb < n * 4) {
        if (Number.isNaN(best)) best = 0;
        continue;
      }
      const r = (sab - (sa * sb) / n) / Math.sqrt(va * vb);
      if (Number.isNaN(best) || r > best) best = r;
    }
  }
  return best;
}

/** Per-block best-shift correlation of the leaked plane against a warped original. */
function blockMap(L: Plane, W: Plane, valid: Uint8Array, g: Blocks): Float32Array {
  const out = new Float32Array(g.bw * g.bh).fill(Number.NaN);
  for (let by = 0; by < g.bh; by++) for (let bx = 0; bx < g.bw; bx++) out[by * g.bw + bx] = blockNcc(L, W, valid, bx * B, by * B);
  return out;
}

/**
 * Scores every non-reference candidate against the leaked copy. Pass look-alikes (other subjects' images of the
 * same template, flagged `reference`) so the shared template cancels out.
 */
export function verifyCandidates(leaked: Pixels, cands: VerifyCandidate[]): VerifyScore[] {
  const s = Math.min(1, WORK / Math.max(leaked.width, leaked.height));
  const w = Math.max(B, Math.round(leaked.width * s));
  const h = Math.max(B, Math.round(leaked.height * s));
  const L = resize(lumaBlocks(leaked, 1), w, h);
  const g: Blocks = { bw: Math.floor(w / B), bh: Math.floor(h / B) };
  const nb = g.bw * g.bh;
  const toWork = scale3(w / leaked.width, h / leaked.height);
  const warped = cands.map((c) => warpPlane(lumaBlocks(c.original, 1), mul3(toWork, c.homography), w, h));
  const leakMaps = warped.map((x) => blockMap(L, x.plane, x.valid, g));
  // Textured blocks of the leaked copy (where any comparison is informative).
  const textured = new Uint8Array(nb);
  let texturedTotal = 0;
  for (let by = 0; by < g.bh; by++) for (let bx = 0; bx < g.bw; bx++) {
    if (!Number.isNaN(blockNcc(L, L, null, bx * B, by * B))) {
      textured[by * g.bw + bx] = 1;
      texturedTotal++;
    }
  }
  const out: VerifyScore[] = [];
  cands.forEach((c, k) => {
    if (c.reference) return;
    const me = warped[k]!;
    const mine = leakMaps[k]!;
    const others = cands.map((o, j) => ({ o, j })).filter(({ o, j }) => j !== k && o.group !== c.group);
    // Template blocks: where some look-alike's original correlates strongly with this original.
    const template = new Uint8Array(nb);
    for (const { j } of others) {
      const m = blockMap(me.plane, warped[j]!.plane, warped[j]!.valid, g);
      for (let b = 0; b < nb; b++) if (m[b]! >= TEMPLATE) template[b] = 1;
    }
    let inside = 0, agree = 0, covered = 0, specific = 0, wins = 0, templ = 0, margin = 0;
    let validPx = 0;
    for (let i = 0; i < w * h; i++) validPx += me.valid[i]!;
    for (let b = 0; b < nb; b++) {
      if (!textured[b]) continue;
      const r = mine[b]!;
      if (Number.isNaN(r)) continue; // outside the aligned original
      inside++;
      if (r >= VERIFY_PARAMS.agree) {
        agree++;
        covered++;
      }
      if (template[b]) templ++;
      if (others.length === 0 || template[b]) continue;
      let bestOther = 0;
      let seen = false;
      for (const { j } of others) {
        const v = leakMaps[j]![b]!;
        if (Number.isNaN(v)) continue;
        seen = true;
        if (v > bestOther) bestOther = v;
      }
      if (!seen) continue;
      specific++;
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
    });
  });
  return out;
}
