/**
 * Attribution statistics: which recipient's holdings explain a leak. Pure functions, no storage.
 *
 * Evidence, strongest first:
 * 1. watermark hits — a payload names one hand-over to one recipient;
 * 2. set overlap — how many of the leaked subjects a recipient held, the share of the leak that explains, and how
 *    surprising that overlap is by chance: if a recipient held K of the vault's N subjects and n subjects leaked, the
 *    number of leaked subjects it held is hypergeometric under "the leak is unrelated to this recipient", and the
 *    upper tail P(X ≥ x) is the p-value (computed in log space, so 1e-300 and smaller stay exact enough to rank);
 * 3. dates — a leaked record created after every one of the recipient's contract windows ended cannot have reached
 *    it under contract; such subjects do not count as evidence for it, and the explanation says so.
 *
 * Ranking: watermark hits first; then the surprise of the date-consistent overlap (−log10 p: holding few records
 * but exactly the leaked ones beats holding everything); then the share explained.
 */

/** A recipient as attribution sees it. */
export interface AttributionRecipient {
  name: string;
  kind: 'vendor' | 'staff';
  /** Subject ids the recipient held (releases and processing logs). */
  held: string[];
  /** Contract windows (ISO dates); empty when unknown (then dates are not judged). */
  windows: { start: string; end: string }[];
  /** Leaked files whose watermark resolved to a release to this recipient. */
  watermarkHits: number;
}

/** Inputs of {@link rankAttribution}. */
export interface AttributionInput {
  /** Subjects in the vault (the population the leak is drawn from). */
  vaultSize: number;
  /** Subject ids matched in the leak. */
  leaked: string[];
  /** Record date (ISO) of each leaked subject, when known. */
  recordDates: Map<string, string | null>;
  recipients: AttributionRecipient[];
}

/** One ranked recipient (the report's attribution entry). */
export interface RankedRecipient {
  recipient: string;
  kind: 'vendor' | 'staff';
  /** 0..1 summary for display: ≥ 0.9 with watermark evidence; otherwise share × relative surprise. */
  score: number;
  watermark_hits: number;
  /** Leaked subjects the recipient held (all, regardless of dates). */
  overlap_count: number;
  /** Share of the leaked subjects it held, 0..1. */
  overlap_share: number;
  /** Hypergeometric P(X ≥ date-consistent overlap); may underflow to 0 in JSON — see log10_p_value. */
  p_value: number;
  /** log10 of p_value, exact even when p_value underflows. */
  log10_p_value: number;
  /** Whether the held leaked records' dates fit the contract windows (null: no windows or no dates). */
  dates_fit: boolean | null;
  explanation: string;
}

// Lanczos approximation (g = 7, n = 9): relative error < 1e-13 for the arguments used here.
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * Natural log of the hypergeometric upper tail P(X ≥ x): X = successes in `draws` draws without replacement from
 * `population` items of which `successes` are successes. Terms are summed with log-sum-exp, so the result stays
 * accurate where P itself underflows a double.
 */
export function logHypergeometricUpperTail(population: number, successes: number, draws: number, x: number): number {
  const N = Math.max(0, Math.floor(population));
  const K = Math.min(Math.max(0, Math.floor(successes)), N);
  const n = Math.min(Math.max(0, Math.floor(draws)), N);
  const support0 = Math.max(0, n - (N - K));
  const support1 = Math.min(K, n);
  if (x <= support0) return 0;
  if (x > support1) return -Infinity;
  const denom = logChoose(N, n);
  let m = -Infinity;
  const terms: number[] = [];
  for (let k = Math.ceil(x); k <= support1; k++) {
    const t = logChoose(K, k) + logChoose(N - K, n - k) - denom;
    terms.push(t);
    if (t > m) m = t;
  }
  let s = 0;
  for (const t of terms) s += Math.exp(t - m);
  return Math.min(0, m + Math.log(s));
}

/** Hypergeometric upper tail P(X ≥ x) (see {@link logHypergeometricUpperTail}); 0 when it underflows. */
export function hypergeometricUpperTail(population: number, successes: number, draws: number, x: number): number {
  return Math.min(1, Math.max(0, Math.exp(logHypergeometricUpperTail(population, successes, draws, x))));
}

/** p as text: "0.31", "4.9e-5", or "10^-412" when it underflows. */
function formatP(log10p: number): string {
  if (log10p > -3) return Math.pow(10, log10p).toPrecision(2);
  if (log10p > -300) return Math.pow(10, log10p).toExponential(1);
  return `10^${Math.round(log10p)}`;
}

function pct(x: number): string {
  return `${Math.round(100 * x)}%`;
}

/** Ranks recipients by the evidence that they are the source of the leak, each with a plain-language explanation. */
export function rankAttribution(input: AttributionInput): RankedRecipient[] {
  const leaked = [...new Set(input.leaked)];
  const n = leaked.length;
  const N = Math.max(input.vaultSize, n);
  interface Row {
    r: AttributionRecipient;
    held: number;
    overlap: number;
    consistent: number;
    misfit: number;
    log10p: number;
    datesFit: boolean | null;
  }
  const rows: Row[] = [];
  for (const r of input.recipients) {
    const held = new Set(r.held);
    const overlap = leaked.filter((s) => held.has(s));
    if (overlap.length === 0 && r.watermarkHits === 0) continue;
    // A held record fits when it existed before the end of some contract window (the recipient could have had it).
    let misfit = 0;
    let dated = 0;
    if (r.windows.length) {
      for (const s of overlap) {
        const d = input.recordDates.get(s);
        if (!d) continue;
        dated++;
        if (!r.windows.some((w) => d.slice(0, 10) <= w.end.slice(0, 10))) misfit++;
      }
    }
    const consistent = overlap.length - misfit;
    const log10p = n === 0 ? 0 : logHypergeometricUpperTail(N, Math.max(held.size, overlap.length), n, consistent) / Math.LN10;
    rows.push({ r, held: held.size, overlap: overlap.length, consistent, misfit, log10p, datesFit: dated === 0 ? null : misfit <= 0.1 * dated });
  }
  const maxSurprise = Math.max(12, ...rows.map((x) => -x.log10p));
  const out = rows.map((x): RankedRecipient & { surprise: number } => {
    const share = n === 0 ? 0 : x.overlap / n;
    const surprise = -x.log10p;
    const wm = x.r.watermarkHits;
    const score = wm > 0 ? 0.9 + 0.1 * Math.min(1, wm / Math.max(1, n)) : 0.85 * (n === 0 ? 0 : x.consistent / n) * Math.min(1, surprise / maxSurprise);
    const parts: string[] = [];
    if (wm > 0) parts.push(`${wm} leaked file${wm === 1 ? '' : 's'} carry the watermark of a copy released to ${x.r.name}: direct evidence that the leaked copies passed through this recipient`);
    if (n > 0) {
      parts.push(`held ${x.overlap} of the ${n} leaked subject${n === 1 ? '' : 's'} (${pct(share)} of the leak) while holding ${x.held} of the vault's ${N} subjects (${pct(x.held / Math.max(1, N))})`);
      if (x.consistent === 0) parts.push('none of these overlaps is evidence');
      else if (x.log10p < -3) parts.push(`an overlap this large would happen by chance with probability ${formatP(x.log10p)}`);
      else parts.push(`an overlap this large is unremarkable by chance (p = ${formatP(x.log10p)})`);
    }
    if (x.misfit > 0) parts.push(`${x.misfit} of the leaked records it held were created after its contract window${x.r.windows.length === 1 ? '' : 's'} ended, so they do not count against it`);
    else if (x.datesFit === true) parts.push('every leaked record it held existed during its contract windows');
    if (wm === 0 && n > 0 && x.consistent === n && x.log10p < -3) parts.push('its holdings alone explain the whole leak');
    return {
      recipient: x.r.name,
      kind: x.r.kind,
      score: Math.round(score * 1000) / 1000,
      watermark_hits: wm,
      overlap_count: x.overlap,
      overlap_share: Math.round(share * 1000) / 1000,
      p_value: Math.pow(10, x.log10p),
      log10_p_value: Math.round(x.log10p * 1000) / 1000,
      dates_fit: x.datesFit,
      explanation: parts.join('; ') + '.',
      surprise,
    };
  });
  out.sort(
    (a, b) =>
      b.watermark_hits - a.watermark_hits ||
      b.surprise - a.surprise ||
      b.overlap_share - a.overlap_share ||
      (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0),
  );
  return out.map(({ surprise, ...rest }) => {
    void surprise;
    return rest;
  });
}
