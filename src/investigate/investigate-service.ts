/**
 * Leak investigation: a folder of leaked images becomes a report. For each file: the watermark (which release, so
 * which recipient, leaked it), the vault image it came from (retrieval by perceptual hash and local features, then
 * discriminative verification against the decrypted originals, in memory only), whether and where it was altered,
 * and — over all files — which recipients' holdings explain the leak, and who is affected.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TracemarkError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AuditLog } from '../audit/audit-log.js';
import { decodeImage, type Raster } from '../image/decode.js';
import { inv3, mul3, scale3, warpPlane, type Mat3 } from '../image/homography.js';
import { lumaBlocks } from '../image/planes.js';
import type { MrzReadResult } from '../document/mrz-ocr.js';
import type { MrzData } from '../document/mrz.js';
import { extractFeatures, matchFeatures, type Features } from '../hash/features.js';
import type { ImageMatcher, MatchCandidate } from '../match/retrieval.js';
import type { ImageRow, RecordStore, SubjectRow } from '../storage/records/record-store.js';
import type { ReleaseStore } from '../storage/records/release-store.js';
import type { HashStore } from '../storage/hashes/hash-store.js';
import { hammingWords, toWords } from '../hash/hasher.js';
import { PDQ_ALGO } from '../match/retrieval.js';
import { detect, WatermarkPool, type WatermarkKey } from '../watermark/index.js';
import type { RecordsService } from '../vault/records-service.js';
import type { AlterationResult } from './alteration.js';
import { ComputePool } from './compute-pool.js';
import { rankRecipients } from './attribution-input.js';
import { REPORT_SCHEMA, type LeakReport, type ReportFile, type ReportSkipped } from './report.js';
import { subsumes, type VerifyCandidate, type VerifyScore } from './verify.js';
import { walkLeakFolder } from './walk.js';

/**
 * Acceptance. Where look-alikes share the candidate's template, the candidate must win this share of the
 * record-specific blocks; otherwise (selfies, photos) this share of its blocks must agree.
 */
export const MATCH_WIN_SHARE = 0.3;
/** Documents share their issuer's template with many look-alikes: they must win this share of what is left… */
export const MATCH_WIN_SHARE_DOCUMENT = 0.25;
/**
 * …and reproduce this share of their most contrasted record-specific blocks (see VerifyScore.strongAgreement) —
 * the test that still holds when the vault has no other card of the same design to compare with.
 */
export const MATCH_STRONG_DOCUMENT = 0.75;
/**
 * A document that reproduces nearly all of its most contrasted record-specific blocks (name, number, portrait edges)
 * is the record even when moiré lets same-design look-alikes keep up on the rest of the card: then a smaller win share
 * suffices. Over eight generated cases (76 document matches, 30 files not from the vault), the strongest-block
 * agreement of a wrong card never exceeded 0.76, while every phone photo of a screen of the right card reached 0.92–1.00
 * — the win share does not separate them there (a phone photo of the right card won 24.6 % of its record-specific
 * blocks, one of a distractor card 51 %).
 */
export const MATCH_STRONG_DOCUMENT_CLEAR = 0.9;
export const MATCH_WIN_SHARE_DOCUMENT_CLEAR = 0.15;
export const MATCH_AGREEMENT = 0.45;

const isDocument = (kind: string): boolean => kind === 'id_front' || kind === 'id_back' || kind === 'proof_of_address';

/**
 * The document number of an MRZ read by OCR, when it is trustworthy enough to contradict a match: all check digits
 * valid, nothing corrected on the line that holds the number (TD1: the first, TD2/TD3: the second) — a repair there
 * can turn a misread into another valid-looking number — and no gap inside it. Null otherwise.
 */
export function mrzDocumentNumber(m: MrzData): string | null {
  if (!m.valid || !m.documentNumber || !/^[A-Z0-9]+$/.test(m.documentNumber)) return null;
  const line = m.format === 'TD1' ? 1 : 2;
  if (m.corrections.some((c) => c.startsWith(`${line}:`))) return null;
  return m.documentNumber;
}

/**
 * The leaked copy resampled into an original's frame (grey, as RGB): `H` maps original pixels onto the copy, so each
 * output pixel reads the copy at H(x, y). Used to read the MRZ of a photographed or rotated card upright.
 */
export function rectifyOnto(leaked: Raster, H: Mat3, w: number, h: number): Raster {
  const { plane } = warpPlane(lumaBlocks(leaked, 1), inv3(H), w, h);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = Math.max(0, Math.min(255, Math.round(plane.data[i]!)));
  return { width: w, height: h, channels: 3, data };
}

/** Whether a verification score makes a candidate the source of a leaked copy (before same-subject comparison). */
export function accepted(s: VerifyScore): boolean {
  if (s.agreement < MATCH_AGREEMENT) return false;
  if (isDocument(s.kind)) {
    if (s.winShare === null || s.winShare >= MATCH_WIN_SHARE_DOCUMENT) return s.strongAgreement >= MATCH_STRONG_DOCUMENT;
    return s.strongAgreement >= MATCH_STRONG_DOCUMENT_CLEAR && s.winShare >= MATCH_WIN_SHARE_DOCUMENT_CLEAR;
  }
  return s.winShare === null || s.winShare >= MATCH_WIN_SHARE;
}

/**
 * The candidate that explains the leaked frame, or -1. Among one subject's images, one that another image subsumes
 * (see {@link subsumes}: e.g. a selfie whose only agreeing content is the card the id_front shows better) is not a
 * source in its own right — and it cannot rescue a rejected id_front either. Among what is left, the accepted
 * candidate covering the most of the frame wins (a selfie explains the whole frame, the card inside it only part).
 */
export function pickSource(sc: VerifyScore[], groups: string[]): number {
  const ok = sc.map((x, i) => {
    for (let j = 0; j < sc.length; j++) if (j !== i && groups[j] === groups[i] && subsumes(sc[j]!, x) && !(subsumes(x, sc[j]!) && i < j)) return false;
    return accepted(x);
  });
  let b = -1;
  sc.forEach((x, i) => {
    if (!ok[i]) return;
    const cur = b >= 0 ? sc[b]! : null;
    if (!cur || x.coverage > cur.coverage + 0.05 || (Math.abs(x.coverage - cur.coverage) <= 0.05 && x.meanNcc > cur.meanNcc)) b = i;
  });
  return b;
}
/** Candidates decrypted and verified per leaked file. */
const VERIFY_TOP = 6;
/** Decoded originals kept per investigation (pixel bytes): a leak repeats subjects, and look-alikes recur. */
const ORIGINALS_CACHE_BYTES = 768e6;
/** Nearest-hash look-alikes considered per candidate (see references()). */
const REFERENCE_TRIES = 24;
/** Leaked files analysed at once: two keep the main thread and both worker threads busy on two cores. */
const INVESTIGATE_LANES = Math.max(1, Math.floor(Number(process.env.TM_INVESTIGATE_LANES ?? 2)) || 2);

/** What the investigation needs; wired in src/app. */
export interface InvestigateDeps {
  records: RecordStore;
  releases: ReleaseStore;
  hashes: HashStore;
  service: RecordsService;
  audit: AuditLog;
  matcher: () => Promise<ImageMatcher>;
  watermarkKey: () => Promise<WatermarkKey>;
  limits: { maxPixels: number; maxFileBytes: number };
  log: Logger;
  /**
   * Reads an MRZ from an upright document image (src/document/mrz-ocr.ts), or null to skip the MRZ cross-check. The
   * caller owns the OCR worker (closes it when the investigation ends).
   */
  readMrz?: ((r: Raster) => Promise<MrzReadResult>) | null;
}

/** Pictures for the HTML report (never written anywhere but the report the investigator asked for). */
export interface FileVisuals {
  leaked: Raster;
  original: Raster | null;
  heatmap: AlterationResult['heatmap'] | null;
}

/** Options of one investigation. */
export interface InvestigateOptions {
  purpose: string;
  includePii?: boolean;
  /** Keep pictures for an HTML report. */
  visuals?: boolean;
  onProgress?: (done: number, total: number, file: string) => void;
}

const timed = async <T>(t: Record<string, number>, stage: string, f: () => Promise<T> | T): Promise<T> => {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    t[stage] = (t[stage] ?? 0) + Math.round(performance.now() - t0);
  }
};

/** The 8 dihedral transforms as maps from a w×h image's pixel coords into the transformed image's coords. */
function dihedralMap(variant: string, w: number, h: number): Mat3 {
  switch (variant) {
    case 'rotate90': return [0, -1, h - 1, 1, 0, 0, 0, 0, 1];
    case 'rotate180': return [-1, 0, w - 1, 0, -1, h - 1, 0, 0, 1];
    case 'rotate270': return [0, 1, 0, -1, 0, w - 1, 0, 0, 1];
    case 'flipX': return [-1, 0, w - 1, 0, 1, 0, 0, 0, 1];
    case 'flipY': return [1, 0, 0, 0, -1, h - 1, 0, 0, 1];
    case 'flipPlus1': return [0, 1, 0, 1, 0, 0, 0, 0, 1];
    case 'flipMinus1': return [0, -1, h - 1, -1, 0, w - 1, 0, 0, 1];
    default: return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  }
}

/** Runs investigations over a vault. */
export class InvestigateService {
  /** Decrypted originals of this run, by image id, least recently used first (in memory only; dropped when the run ends). */
  private originals = new Map<string, { image: ImageRow; subject: SubjectRow; raster: Raster; features?: Features }>();
  private originalBytes = 0;
  private readonly loading = new Map<string, Promise<{ image: ImageRow; subject: SubjectRow; raster: Raster; features?: Features } | null>>();

  /** Whole-image PDQ of every vault image, for finding a candidate's look-alikes (loaded once per run). */
  private pdqTable: { ids: string[]; kinds: string[]; words: Uint32Array; rowOf: Map<string, number> } | null = null;

  constructor(private readonly d: InvestigateDeps) {}

  private loadPdqTable(): { ids: string[]; kinds: string[]; words: Uint32Array; rowOf: Map<string, number> } {
    if (this.pdqTable) return this.pdqTable;
    const ids: string[] = [];
    const kinds: string[] = [];
    const chunks: Uint8Array[] = [];
    this.d.hashes.scan(PDQ_ALGO, (_rows, hashes, images) => {
      chunks.push(hashes.slice());
      for (const im of images) {
        ids.push(im.imageId);
        kinds.push(im.kind);
      }
    });
    const words = new Uint32Array(ids.length * 8);
    let at = 0;
    for (const c of chunks) for (let i = 0; i < c.length; i += 32) toWords(c.subarray(i, i + 32), words, (at++) * 8);
    this.pdqTable = { ids, kinds, words, rowOf: new Map(ids.map((id, i) => [id, i])) };
    return this.pdqTable;
  }

  /**
   * Other subjects' images most like a candidate (nearest whole-image PDQ, same kind, same pixel size): for a
   * document, cards of the same issuer and template. Aligned with the candidate's homography, they show which
   * pixels are template and which are record-specific.
   */
  private async references(c: { imageId: string; kind: string; subjectId: string; width: number; height: number; homography: Mat3 }, purpose: string, n = 3): Promise<VerifyCandidate[]> {
    const t = this.loadPdqTable();
    const me = t.rowOf.get(c.imageId);
    if (me === undefined) return [];
    const q = t.words.subarray(me * 8, me * 8 + 8);
    const near: { i: number; d: number }[] = [];
    for (let i = 0; i < t.ids.length; i++) {
      if (i === me || t.kinds[i] !== c.kind) continue;
      const d = hammingWords(t.words, i, q);
      if (d <= 96) near.push({ i, d });
    }
    near.sort((a, b) => a.d - b.d);
    const out: VerifyCandidate[] = [];
    let tried = 0;
    for (const { i, d } of near) {
      // Bounded: in a large vault many near hashes are unusable (other sizes, erased), and each lookup costs.
      if (out.length >= n || d > 96 || tried >= REFERENCE_TRIES) break;
      // Size and owner come from the record row, so an unusable look-alike is never decrypted.
      const row = this.originals.get(t.ids[i]!)?.image ?? (await this.d.records.getImage(t.ids[i]!));
      if (!row) continue; // a hash row without a record (erased meanwhile): costs nothing to skip
      tried++;
      if (row.subjectId === c.subjectId) continue;
      if (Math.abs(row.width - c.width) > c.width * 0.02 || Math.abs(row.height - c.height) > c.height * 0.02) continue;
      const o = await this.original(t.ids[i]!, purpose);
      if (!o) continue;
      out.push({ imageId: o.image.id, kind: o.image.kind, group: o.subject.id, original: o.raster, homography: c.homography, reference: true });
    }
    return out;
  }

  private async original(imageId: string, purpose: string): Promise<{ image: ImageRow; subject: SubjectRow; raster: Raster; features?: Features } | null> {
    const hit = this.originals.get(imageId);
    if (hit) {
      // Least recently used goes first: move the hit to the end.
      this.originals.delete(imageId);
      this.originals.set(imageId, hit);
      return hit;
    }
    // Two files are analysed at once: share one decryption of an original both need.
    const pending = this.loading.get(imageId);
    if (pending) return pending;
    const p = this.load(imageId, purpose).finally(() => this.loading.delete(imageId));
    this.loading.set(imageId, p);
    return p;
  }

  private async load(imageId: string, purpose: string): Promise<{ image: ImageRow; subject: SubjectRow; raster: Raster; features?: Features } | null> {
    const image = await this.d.records.getImage(imageId);
    if (!image || image.status !== 'active') return null;
    const subject = await this.d.records.getSubject(image.subjectId);
    if (!subject || subject.status !== 'active') return null;
    const bytes = await this.d.service.readImage(image, { purpose, action: 'image.investigate' });
    const raster = await decodeImage(bytes, image.id, { maxPixels: this.d.limits.maxPixels });
    const entry = { image, subject, raster };
    this.originals.set(imageId, entry);
    this.originalBytes += raster.data.length;
    for (const [id, o] of this.originals) {
      if (this.originalBytes <= ORIGINALS_CACHE_BYTES || id === imageId) break;
      this.originals.delete(id);
      this.originalBytes -= o.raster.data.length;
    }
    return entry;
  }

  /** Contract windows of every recipient and the leaked records' dates, for the report's timeline. */
  async timeline(report: LeakReport): Promise<{ recipients: { name: string; windows: { start: string; end: string }[] }[]; records: { ref: string; date: string | null }[] }> {
    const recipients = [];
    for (const r of await this.d.releases.listRecipients()) {
      const windows = (await this.d.releases.contractsOf(r.id)).map((c) => ({ start: c.start, end: c.end }));
      if (windows.length) recipients.push({ name: r.name, windows });
    }
    const records = [];
    for (const ref of report.affected_subjects) records.push({ ref, date: (await this.d.records.getSubjectByRef(ref))?.recordDate ?? null });
    return { recipients, records };
  }

  /** Investigates every file under `dir`. */
  async investigate(dir: string, opts: InvestigateOptions): Promise<{ report: LeakReport; visuals: Map<string, FileVisuals> }> {
    const t0 = performance.now();
    const entries = await walkLeakFolder(dir, this.d.limits.maxFileBytes);
    const matcher = await this.d.matcher();
    const key = await this.d.watermarkKey();
    await this.d.audit.record('investigation.start', null, { purpose: opts.purpose, details: { files: entries.length } });
    const files: ReportFile[] = [];
    const skipped: ReportSkipped[] = [];
    // Worker threads: one for watermark detection, one for the pixel comparisons; two files in flight, so this thread
    // retrieves one file's candidates while the workers detect and compare the other's.
    const many = entries.length > 1;
    const pool = many ? new WatermarkPool(1) : null;
    const compute = new ComputePool(many ? 1 : 0);
    const visuals = new Map<string, FileVisuals>();
    const stages: Record<string, number> = {};
    const results: ({ file: ReportFile } | { skip: ReportSkipped } | null)[] = entries.map(() => null);
    let done = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < entries.length) {
        const i = next++;
        const e = entries[i]!;
        opts.onProgress?.(done, entries.length, e.file);
        if (e.skip) results[i] = { skip: { file: e.file, ...e.skip } };
        else {
          try {
            const r = await this.analyse(e.file, await readFile(e.abs), matcher, key, pool, compute, opts, stages);
            results[i] = { file: r.file };
            if (opts.visuals) visuals.set(e.file, r.visuals);
          } catch (err) {
            results[i] = { skip: { file: e.file, code: err instanceof TracemarkError ? err.code : 'INTERNAL', reason: err instanceof TracemarkError ? err.message.replace(`${e.file}: `, '') : `analysis failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` } };
          }
        }
        done++;
      }
    };
    try {
      await Promise.all(Array.from({ length: many ? INVESTIGATE_LANES : 1 }, lane));
    } finally {
      await pool?.close();
      await compute.close();
    }
    for (const r of results) {
      if (!r) continue;
      if ('file' in r) files.push(r.file);
      else skipped.push(r.skip);
    }
    opts.onProgress?.(done, entries.length, '');
    this.originals.clear();
    this.originalBytes = 0;
    this.pdqTable = null;

    const subjectsById = new Map<string, SubjectRow>();
    const refOf = new Map<string, string>();
    for (const s of await this.d.records.listSubjects({ limit: 1e9, offset: 0 })) {
      subjectsById.set(s.id, s);
      refOf.set(s.ref, s.id);
    }
    const matchedRefs = [...new Set(files.flatMap((f) => (f.match ? [f.match.subject_ref] : [])))].sort();
    const attribution = await rankRecipients({
      releases: this.d.releases,
      vaultSize: [...subjectsById.values()].filter((s) => s.status === 'active').length,
      leakedSubjectIds: matchedRefs.map((r) => refOf.get(r)!).filter(Boolean),
      subjects: subjectsById,
      watermarkHits: files.flatMap((f) => (f.watermark.release ? [f.watermark.release.recipient] : [])),
    });
    let affected_people: LeakReport['affected_people'];
    if (opts.includePii) {
      affected_people = [];
      for (const ref of matchedRefs) {
        const v = await this.d.service.show(ref, `${opts.purpose} (notify affected people)`);
        affected_people.push({ subject_ref: ref, ...(v.fields.full_name ? { full_name: v.fields.full_name } : {}), ...(v.fields.email ? { email: v.fields.email } : {}), ...(v.fields.phone ? { phone: v.fields.phone } : {}) });
      }
    }
    const totalMs = Math.round(performance.now() - t0);
    const images = (await this.d.records.allBlobKeys()).size;
    const report: LeakReport = {
      schema: REPORT_SCHEMA,
      generated_at: new Date().toISOString(),
      input: { folder: dir, files_seen: entries.length, files_analysed: files.length, files_skipped: skipped.length },
      vault: { subjects: subjectsById.size, active_subjects: [...subjectsById.values()].filter((s) => s.status === 'active').length, images, recipients: (await this.d.releases.listRecipients()).length },
      summary: {
        matched: files.filter((f) => f.match).length,
        unmatched: files.filter((f) => !f.match).length,
        watermarked: files.filter((f) => f.watermark.detected).length,
        altered: files.filter((f) => f.altered).length,
        unmarked_matches: files.filter((f) => f.match && !f.watermark.detected).length,
        affected_subjects: matchedRefs.length,
      },
      files,
      skipped,
      attribution,
      affected_subjects: matchedRefs,
      ...(affected_people ? { affected_people } : {}),
      timings: { total_ms: totalMs, per_stage_ms: stages, images_per_second: files.length / Math.max(0.001, totalMs / 1000) },
    };
    await this.d.audit.record('investigation.done', null, { purpose: opts.purpose, details: { files: files.length, matched: report.summary.matched, affected: matchedRefs.length, include_pii: opts.includePii === true } });
    return { report, visuals };
  }

  /**
   * Aligns a candidate original onto the leaked copy: the retrieval's homography when it has one, a rescale for a
   * same-framing hash hit, else local features (leaked-copy features computed once per file), else the dihedral
   * transform the hash hit implies.
   */
  private async align(leaked: Raster, c: MatchCandidate, purpose: string, lf: { f: Features | null }): Promise<(VerifyCandidate & { cand: MatchCandidate; subject: SubjectRow }) | null> {
    const o = await this.original(c.imageId, purpose);
    if (!o) return null;
    let H: Mat3 | null = c.homography ? (c.homography as unknown as Mat3) : null;
    if (!H && (c.variant === 'original' || c.variant === null)) {
      // A whole-image hash hit with the same framing: the copy is the original rescaled.
      H = scale3(leaked.width / o.raster.width, leaked.height / o.raster.height);
    }
    if (!H) {
      lf.f ??= await extractFeatures(leaked);
      o.features ??= await extractFeatures(o.raster);
      const m = await matchFeatures(lf.f, o.features);
      if (m.homography && m.inliers >= 12) H = m.homography as unknown as Mat3;
      else if (c.variant && c.variant !== 'unknown') {
        const D = dihedralMap(c.variant, o.raster.width, o.raster.height);
        const rot = c.variant === 'rotate90' || c.variant === 'rotate270' || c.variant === 'flipPlus1' || c.variant === 'flipMinus1';
        const [tw, th] = rot ? [o.raster.height, o.raster.width] : [o.raster.width, o.raster.height];
        H = mul3(scale3(leaked.width / tw, leaked.height / th), D);
      }
    }
    if (!H) return null;
    return { imageId: c.imageId, kind: o.image.kind, group: o.subject.id, original: o.raster, homography: H, cand: c, subject: o.subject };
  }

  /**
   * Subjects whose document number is the one in the MRZ of the copy, read after rectifying the copy into the
   * candidate original's frame (upright, the MRZ where the original has it); null when no valid MRZ could be read.
   * The lookup goes through the blind index (audited as a search); OCR output never leaves memory.
   */
  private async mrzOwners(leaked: Raster, v: VerifyCandidate, readMrz: (r: Raster) => Promise<MrzReadResult>): Promise<string[] | null> {
    let read: MrzReadResult;
    try {
      read = await readMrz(rectifyOnto(leaked, v.homography as Mat3, v.original.width, v.original.height));
    } catch (err) {
      this.d.log.warn('MRZ cross-check skipped', { reason: err instanceof TracemarkError ? err.code : 'error' });
      return null;
    }
    const number = read.mrz ? mrzDocumentNumber(read.mrz) : null;
    if (!number) return null;
    return (await this.d.service.find({ documentNumber: number })).map((x) => x.id);
  }

  /** One leaked file: watermark, match, alteration. */
  private async analyse(file: string, bytes: Buffer, matcher: ImageMatcher, key: WatermarkKey, pool: WatermarkPool | null, compute: ComputePool, opts: InvestigateOptions, stages: Record<string, number>): Promise<{ file: ReportFile; visuals: FileVisuals }> {
    const timings: Record<string, number> = {};
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const leaked = await timed(timings, 'decode', () => decodeImage(bytes, file, { maxPixels: this.d.limits.maxPixels, minSide: 32 }));
    const notes: string[] = [];

    // 1. Watermark: the strongest evidence — it names one hand-over. It runs on a worker thread while this thread
    //    does retrieval, the two being independent.
    const t0 = performance.now();
    const wmPending = pool ? pool.detectMany([leaked], key).then((r) => r[0]!) : Promise.resolve(detect(leaked, key));
    const cands = await timed(timings, 'retrieval', () => matcher.match(leaked, { top: 12 }));
    const wm = await wmPending;
    timings.watermark_wall = Math.round(performance.now() - t0);
    const payload = wm.detected && wm.payload ? Buffer.from(wm.payload).toString('hex') : null;
    const resolved = payload ? await this.d.releases.resolvePayload(payload) : null;
    let markedSubject: SubjectRow | null = null;
    if (resolved) {
      markedSubject = await this.d.records.getSubject(resolved.item.subjectId);
      notes.push(`Watermark ${payload} identifies a copy released to ${resolved.recipient.name} on ${resolved.release.createdAt.slice(0, 10)} (${resolved.release.channel}, purpose: ${resolved.release.purpose}).`);
    } else if (payload) {
      notes.push(`A Tracemark watermark (${payload}) was found but matches no recorded release: a copy from another Tracemark vault, or a forged payload.`);
    }

    // 2. Candidates by hash and features; then discriminative verification on decrypted originals.
    if (resolved && !cands.some((c) => c.imageId === resolved.item.imageId)) {
      cands.unshift({ imageId: resolved.item.imageId, kind: resolved.item.kind, distance: null, variant: null, inliers: null, homography: null, score: 1, method: 'pdq', confident: true });
    }
    const leakedFeatures: { f: Features | null } = { f: null };
    const verifyInput: (VerifyCandidate & { cand: MatchCandidate; subject: SubjectRow })[] = [];
    await timed(timings, 'align', async () => {
      for (const c of cands.slice(0, VERIFY_TOP + (resolved ? 1 : 0))) {
        const a = await this.align(leaked, c, opts.purpose, leakedFeatures);
        if (a) verifyInput.push(a);
      }
    });
    const refs: VerifyCandidate[] = [];
    /** Look-alikes of other subjects for these inputs, aligned the same way (the record-specific test needs them). */
    const addReferences = (inputs: typeof verifyInput): Promise<void> =>
      timed(timings, 'references', async () => {
        const seen = new Set([...verifyInput, ...refs].map((v) => v.imageId));
        for (const v of inputs) {
          for (const r of await this.references({ imageId: v.imageId, kind: v.kind, subjectId: v.subject.id, width: v.original.width, height: v.original.height, homography: v.homography }, opts.purpose)) {
            if (!seen.has(r.imageId)) refs.push(r);
            seen.add(r.imageId);
          }
        }
      });
    await addReferences(verifyInput.slice(0, 2));
    const pick = (sc: VerifyScore[]): number => pickSource(sc, verifyInput.map((v) => v.group));
    let scores = await compute.verify(leaked, [...verifyInput, ...refs], timings, MATCH_AGREEMENT);
    let best = pick(scores);
    // Retrieval may have found the selfie but not the card inside it (or the reverse): try the subject's other images
    // too, so the kind is decided by which image explains the frame, not by what retrieval happened to find. When
    // nothing passed, the same is tried for the first two subjects retrieval proposed: in a large vault a blurred
    // phone photo of a card can reach the card only through template descriptors shared by thousands of look-alikes
    // (the vote drops those), while the subject's selfie, which holds the same card, is still found.
    const subjects = best >= 0 ? [verifyInput[best]!.subject] : [...new Map(verifyInput.map((v) => [v.subject.id, v.subject])).values()].slice(0, 2);
    if (subjects.length > 0) {
      const have = new Set(verifyInput.map((v) => v.imageId));
      const before = verifyInput.length;
      await timed(timings, 'align', async () => {
        for (const subj of subjects) {
          for (const img of await this.d.records.listImages(subj.id)) {
            if (img.status !== 'active' || have.has(img.id)) continue;
            const a = await this.align(leaked, { imageId: img.id, kind: img.kind, distance: null, variant: 'unknown', inliers: null, homography: null, score: 0, method: 'features', confident: false }, opts.purpose, leakedFeatures);
            if (a) verifyInput.push(a);
          }
        }
      });
      if (verifyInput.length > before) {
        // Images found only now were never compared with their look-alikes: without them a card of another person of
        // the same design could pass on the template.
        if (best < 0) await addReferences(verifyInput.slice(before));
        scores = await compute.verify(leaked, [...verifyInput, ...refs], timings, MATCH_AGREEMENT);
        best = pick(scores);
      }
    }
    // A document accepted near the thresholds is cross-checked against the MRZ printed on the copy: a valid MRZ (all
    // check digits) whose document number belongs to no record, or to another subject, overrules the pixels — a
    // photographed distractor card of the same design can come close to the right card's statistics, its MRZ cannot.
    let mrzRejected = false;
    if (best >= 0 && this.d.readMrz && isDocument(verifyInput[best]!.kind) && scores[best]!.strongAgreement < MATCH_STRONG_DOCUMENT_CLEAR) {
      const v = verifyInput[best]!;
      const read = this.d.readMrz;
      const owners = await timed(timings, 'mrz', () => this.mrzOwners(leaked, v, read));
      if (owners && !owners.includes(v.subject.id)) {
        mrzRejected = true;
        notes.push(`The copy resembles ${v.kind} of ${v.subject.ref}, but its machine-readable zone carries a document number that ${owners.length ? 'belongs to another record' : 'no record in this vault has'}: not this record.`);
        best = -1;
      } else if (owners) notes.push(`The machine-readable zone read from the copy carries the document number of ${v.subject.ref}.`);
    }
    let match: ReportFile['match'] = null;
    let visualsOriginal: Raster | null = null;
    let alteration: AlterationResult | null = null;
    if (best >= 0) {
      const v = verifyInput[best]!;
      const s = scores[best]!;
      const byMark = resolved !== null && resolved.item.imageId === v.imageId;
      match = {
        subject_ref: v.subject.ref,
        image_kind: v.kind,
        image_id: v.imageId,
        confidence: byMark ? 1 : Math.round(Math.min(1, 0.5 + 0.5 * (s.winShare !== null ? Math.min(1, (s.winShare - MATCH_WIN_SHARE) / (1 - MATCH_WIN_SHARE) + 0.3) : (s.agreement - MATCH_AGREEMENT) / (1 - MATCH_AGREEMENT))) * 1000) / 1000,
        evidence: byMark ? 'watermark' : v.cand.inliers !== null ? 'features' : 'hash',
      };
      notes.push(`Matches ${v.kind} of ${v.subject.ref}: ${(s.agreement * 100).toFixed(0)}% of its textured blocks agree${s.winShare !== null ? `, and it beats every look-alike on ${(s.winShare * 100).toFixed(0)}% of the ${s.specificBlocks} record-specific blocks` : ''}${isDocument(v.kind) ? `${s.winShare !== null ? ' and' : ', and it'} reproduces ${(s.strongAgreement * 100).toFixed(0)}% of its most contrasted record-specific blocks` : ''}; it explains ${(s.coverage * 100).toFixed(0)}% of the frame${s.winShare !== null ? ` (template ${(s.templateShare * 100).toFixed(0)}% of its blocks, mean margin over look-alikes ${s.meanMargin?.toFixed(2)})` : ''}.`);
      alteration = await compute.compare(leaked, v, timings);
      if (alteration.altered) notes.push(`Altered: ${alteration.regions.length} region(s) differ from the vault original beyond re-compression, scaling and colour changes.`);
      if (!wm.detected) notes.push('No watermark: this copy did not leave through a marked release (it predates marking, came from the raw store, or from a recipient\'s own copy).');
      visualsOriginal = v.original;
    } else if (markedSubject && resolved) {
      // The mark names the copy, but the content no longer agrees with it: heavily doctored.
      match = { subject_ref: markedSubject.ref, image_kind: resolved.item.kind, image_id: resolved.item.imageId, confidence: 0.9, evidence: 'watermark' };
      notes.push('The watermark identifies the vault image, but the content differs strongly from it: treat as heavily altered.');
    } else if (!mrzRejected) {
      const top = scores.reduce<number>((b, x, i) => (b < 0 || x.agreement > scores[b]!.agreement ? i : b), -1);
      notes.push(top >= 0
        ? `Resembles ${verifyInput[top]!.kind} of ${verifyInput[top]!.subject.ref}, but record-specific content does not agree (${(scores[top]!.agreement * 100).toFixed(0)}% of blocks agree; wins ${scores[top]!.winShare === null ? 'n/a' : `${(scores[top]!.winShare! * 100).toFixed(1)}% of ${scores[top]!.specificBlocks}`} record-specific blocks; reproduces ${(scores[top]!.strongAgreement * 100).toFixed(0)}% of its most contrasted ones): not from this vault, or forged.`
        : cands.length ? 'Resembles vault images, but none could be aligned with it: not from this vault, or forged.' : 'No vault image resembles this file: from elsewhere, or a forgery.');
    }
    for (const [k, ms] of Object.entries(timings)) stages[k] = (stages[k] ?? 0) + ms;
    return {
      file: {
        file,
        sha256,
        width: leaked.width,
        height: leaked.height,
        watermark: {
          detected: wm.detected,
          payload,
          confidence: Math.round(wm.confidence * 1e6) / 1e6,
          release: resolved ? {
            release_id: resolved.release.id, recipient: resolved.recipient.name, recipient_kind: resolved.recipient.kind, channel: resolved.release.channel,
            released_at: resolved.release.createdAt, purpose: resolved.release.purpose, subject_ref: markedSubject?.ref ?? '', image_kind: resolved.item.kind,
          } : null,
          ...(payload && !resolved ? { unknown_payload: true } : {}),
        },
        match,
        altered: alteration?.altered ?? (match !== null && best < 0),
        altered_regions: (alteration?.regions ?? []).map((r) => ({ bbox: r.bbox, score: Math.round(r.score * 1000) / 1000 })),
        notes,
        timings,
      },
      visuals: { leaked, original: visualsOriginal, heatmap: alteration?.heatmap ?? null },
    };
  }
}
