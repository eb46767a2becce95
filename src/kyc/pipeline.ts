/**
 * The KYC verification pipeline: document + selfie (+ liveness frames, + typed fields) → approve / review / reject
 * with machine- and human-readable reasons, scores, thresholds and model versions. Every dependency is injected
 * (face engine, MRZ reader, duplicate lookup, liveness challenges, clock), so the same code serves the CLI, the API
 * and tests with fakes.
 */
import { TracemarkError } from '../core/errors.js';
import { decodeImage, type ImageLimits, type Raster } from '../image/decode.js';
import type { DetectedFace, FaceEngine } from '../face/engine.js';
import { checkQuality, QUALITY_THRESHOLDS, type QualityReport } from '../face/quality.js';
import { compareFaces } from '../face/match.js';
import { FACE_MATCH_THRESHOLDS, FACE_THRESHOLDS_VERSION } from '../face/thresholds.js';
import { crossCheck, type TypedFields } from '../document/crosscheck.js';
import type { MrzReadResult } from '../document/mrz-ocr.js';
import { checkLivenessFrames, type LivenessChallenges, type LivenessStep } from './liveness.js';
import type { Decision, DuplicateLookup, KycResult, LivenessReport, Reason } from './types.js';

/** An uploaded image: bytes plus a label used in messages (a file name, never content). */
export interface ImageInput {
  bytes: Uint8Array;
  label: string;
}

/** How the liveness frames were requested: a server-issued challenge (id + nonce) or, offline, just its steps. */
export type ChallengeRef = { id: string; nonce: string } | { steps: LivenessStep[] };

/** Inputs of one verification. */
export interface KycInput {
  document: ImageInput;
  selfie: ImageInput;
  frames?: ImageInput[];
  challenge?: ChallengeRef;
  typed?: TypedFields;
  /** The subject being verified, if already enrolled (excluded from its own duplicate search). */
  subjectId?: string;
  /** Verification id the challenge was bound to, if any. */
  verificationId?: string;
}

/** Injected dependencies. */
export interface KycDeps {
  engine: FaceEngine;
  /** MRZ reader (default: tesseract OCR-B). Null disables MRZ reading (reason MRZ_NOT_CHECKED). */
  readMrz: ((raster: Raster) => Promise<MrzReadResult>) | null;
  /** Null when no subject store is available (reason DUPLICATES_NOT_CHECKED, with `duplicatesSkipped`). */
  duplicates: DuplicateLookup | null;
  duplicatesSkipped?: string;
  /** Needed to redeem server-issued challenges. */
  liveness?: LivenessChallenges;
  limits: ImageLimits;
  now?: () => Date;
  /** Without passed liveness the best outcome is review (default true). */
  requireLiveness?: boolean;
  /** Versions to record besides the engine's (e.g. the OCR's). */
  versions?: Record<string, string>;
  /** Receives the probe face descriptor (selfie, else document) so a caller can enrol it for later 1:N searches. */
  captureDescriptor?: (descriptor: Float32Array) => void;
}

/** Distance at or below which another subject's face counts as a possible duplicate (the 1:1 auto-accept bound). */
export const DUPLICATE_FACE_MAX_DISTANCE = FACE_MATCH_THRESHOLDS.accept;
/** Pipeline version stored with every result. */
export const KYC_PIPELINE_VERSION = 'kyc-v1';

const DOCUMENT_QUALITY_REJECTS = new Set(['NO_FACE']);

/** Decision from reasons: any reject → reject, else any review → review, else approve. */
export function decide(reasons: readonly Reason[]): Decision {
  if (reasons.some((r) => r.severity === 'reject')) return 'reject';
  if (reasons.some((r) => r.severity === 'review')) return 'review';
  return 'approve';
}

async function timed<T>(timings: Record<string, number>, name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[name] = Math.round(performance.now() - t0);
  }
}

/** Runs one verification. Image errors (empty, corrupt, too large…) throw; every finding becomes a reason. */
export async function verifyKyc(input: KycInput, deps: KycDeps): Promise<KycResult> {
  const now = (deps.now ?? (() => new Date()))();
  const today = now.toISOString().slice(0, 10);
  const reasons: Reason[] = [];
  const timings: Record<string, number> = {};
  const add = (r: Reason) => reasons.push(r);
  const t0 = performance.now();

  const [docRaster, selfieRaster] = await timed(timings, 'decode', () =>
    Promise.all([decodeImage(input.document.bytes, input.document.label, deps.limits), decodeImage(input.selfie.bytes, input.selfie.label, deps.limits)]));

  // OCR runs in a worker thread: start it first so it overlaps the face model on the main thread.
  // Every outcome becomes a value, so a failure elsewhere before it is awaited can never leave a rejection unhandled.
  const mrzPromise: Promise<MrzReadResult | TracemarkError | { unexpected: unknown } | null> = deps.readMrz
    ? timed(timings, 'mrz', () => (deps.readMrz as (r: Raster) => Promise<MrzReadResult>)(docRaster)).catch((e: unknown) => (e instanceof TracemarkError ? e : { unexpected: e }))
    : Promise.resolve(null);

  const docFaces = await timed(timings, 'face_document', () => deps.engine.detect(docRaster, { purpose: 'document' }));
  const selfieFaces = await timed(timings, 'face_selfie', () => deps.engine.detect(selfieRaster, { purpose: 'selfie' }));
  const docQ = await checkQuality(docRaster, docFaces, 'document');
  const selfieQ = await checkQuality(selfieRaster, selfieFaces, 'selfie');
  for (const i of docQ.issues) add({ code: i.code, message: i.message, source: 'document', severity: DOCUMENT_QUALITY_REJECTS.has(i.code) ? 'reject' : 'review' });
  for (const i of selfieQ.issues) add({ code: i.code, message: i.message, source: 'selfie', severity: 'reject' });

  // 1:1 face match.
  const T = FACE_MATCH_THRESHOLDS;
  let face: KycResult['face'] = { match: false, score: null, threshold: T.match, metric: 'euclidean-distance', verdict: null, accept_threshold: T.accept, review_upper: T.reviewUpper, document_quality: docQ.metrics, selfie_quality: selfieQ.metrics };
  if (docQ.face && selfieQ.face) {
    const m = compareFaces(docQ.face.descriptor, selfieQ.face.descriptor);
    face = { ...face, match: m.match, score: m.distance, verdict: m.verdict };
    if (m.verdict === 'different') add({ code: 'FACE_MISMATCH', message: `The selfie does not show the person on the document (distance ${m.distance} > ${T.reviewUpper}).`, source: 'face_match', severity: 'reject' });
    else if (m.verdict === 'review') add({ code: 'FACE_MATCH_UNCERTAIN', message: `The face match is borderline (distance ${m.distance} between ${T.accept} and ${T.reviewUpper}); a person must compare them.`, source: 'face_match', severity: 'review' });
  }

  // Liveness.
  const liveness = await timed(timings, 'liveness', () => runLiveness(input, deps, selfieQ, add));

  // Document: MRZ, check digits, typed fields, expiry.
  const mrzSettled = await mrzPromise;
  if (mrzSettled && 'unexpected' in mrzSettled) throw mrzSettled.unexpected;
  const mrzOut = mrzSettled;
  const document: KycResult['document'] = { mrz: null, mrz_valid: null, expired: null, typed_checked: false };
  if (mrzOut === null) {
    add({ code: 'MRZ_NOT_CHECKED', message: 'The MRZ was not read (no MRZ reader configured).', source: 'document', severity: 'review' });
  } else if (mrzOut instanceof TracemarkError) {
    add({ code: mrzOut.code, message: mrzOut.message, source: 'document', severity: 'review' });
  } else if (!mrzOut.mrz) {
    add({ code: 'MRZ_NOT_FOUND', message: 'No machine-readable zone could be read from the document image; a person must check the document.', source: 'document', severity: 'review' });
  } else {
    const mrz = mrzOut.mrz;
    document.mrz = mrz;
    document.mrz_valid = mrz.valid;
    if (!mrz.valid) add({ code: 'MRZ_INVALID', message: `The MRZ fails validation (${mrz.invalidFields.join(', ')}): altered or misread document.`, source: 'document', severity: 'reject' });
    const issues = crossCheck(mrz, input.typed, today);
    document.expired = mrz.expiryDate ? mrz.expiryDate < today : null;
    document.typed_checked = input.typed !== undefined;
    for (const i of issues) add({ code: i.code, message: i.message, source: i.code === 'DOCUMENT_EXPIRED' || i.code === 'EXPIRY_UNKNOWN' ? 'document' : 'typed', severity: i.code === 'DOCUMENT_EXPIRED' ? 'reject' : 'review' });
  }

  // Duplicates and fraud rings.
  const duplicates: KycResult['duplicates'] = { checked: false, document_number: [], faces: [] };
  await timed(timings, 'duplicates', async () => {
    if (!deps.duplicates) {
      add({ code: 'DUPLICATES_NOT_CHECKED', message: deps.duplicatesSkipped ?? 'No subject store is available, so duplicates were not searched.', source: 'duplicates', severity: 'review' });
      return;
    }
    duplicates.checked = true;
    const num = document.mrz?.documentNumber ?? input.typed?.document_number ?? null;
    if (num) {
      duplicates.document_number = (await deps.duplicates.findByDocumentNumber(num)).filter((id) => id !== input.subjectId);
      if (duplicates.document_number.length) add({ code: 'DUPLICATE_DOCUMENT', message: `This document number is already used by ${duplicates.document_number.length} other subject(s): ${duplicates.document_number.join(', ')}.`, source: 'duplicates', severity: 'review' });
    }
    const probe = selfieQ.face ?? docQ.face;
    if (probe && deps.captureDescriptor) deps.captureDescriptor(probe.descriptor);
    if (deps.duplicates.faceSearchUnavailable) {
      add({ code: 'DUPLICATE_FACES_NOT_CHECKED', message: deps.duplicates.faceSearchUnavailable, source: 'duplicates', severity: 'review' });
    } else if (probe) {
      duplicates.faces = (await deps.duplicates.searchFaces(probe.descriptor, 5)).filter((h) => h.id !== input.subjectId && h.distance <= DUPLICATE_FACE_MAX_DISTANCE).map((h) => ({ id: h.id, distance: Math.round(h.distance * 10000) / 10000 }));
      if (duplicates.faces.length) add({ code: 'DUPLICATE_FACE', message: `This face is already enrolled under ${duplicates.faces.length} other subject(s): ${duplicates.faces.map((h) => h.id).join(', ')}.`, source: 'duplicates', severity: 'review' });
    }
  });

  timings.total = Math.round(performance.now() - t0);
  return {
    decision: decide(reasons),
    reasons: reasons.map((r) => ({ code: r.code, message: r.message, source: r.source, severity: r.severity })),
    face,
    document,
    liveness,
    duplicates,
    versions: {
      pipeline: KYC_PIPELINE_VERSION,
      face_engine: deps.engine.id,
      face_model: deps.engine.modelVersion,
      face_thresholds: `${FACE_THRESHOLDS_VERSION} accept≤${T.accept} match≤${T.match} review≤${T.reviewUpper}`,
      quality_thresholds: `sharp≥${QUALITY_THRESHOLDS.minSharpness} luma ${QUALITY_THRESHOLDS.minBrightness}-${QUALITY_THRESHOLDS.maxBrightness} ear≥${QUALITY_THRESHOLDS.minEyeAspectRatio} |yaw|≤${QUALITY_THRESHOLDS.maxAbsYaw}`,
      liveness: 'landmarks-v1',
      ...(mrzOut && !(mrzOut instanceof TracemarkError) ? { mrz_ocr: mrzOut.ocrVersion } : {}),
      ...(deps.versions ?? {}),
    },
    timings_ms: timings,
    checked_at: now.toISOString(),
  };
}

async function runLiveness(input: KycInput, deps: KycDeps, selfieQ: QualityReport, add: (r: Reason) => void): Promise<LivenessReport> {
  const report: LivenessReport = { performed: false, passed: null, steps: [], nonce_checked: false, frames: input.frames?.length ?? 0, failure: null, detail: null };
  const required = deps.requireLiveness ?? true;
  if (!input.frames || input.frames.length === 0 || !input.challenge) {
    add({ code: 'LIVENESS_NOT_PERFORMED', message: input.frames?.length ? 'Liveness frames were given without the challenge they answer.' : 'No liveness challenge was performed.', source: 'liveness', severity: required ? 'review' : 'info' });
    return report;
  }
  report.performed = true;
  let steps: LivenessStep[];
  if ('steps' in input.challenge) {
    steps = input.challenge.steps;
    add({ code: 'LIVENESS_NONCE_NOT_CHECKED', message: 'Liveness steps came with the frames (offline run); no server-issued one-time nonce was checked, so a replay cannot be excluded.', source: 'liveness', severity: required ? 'review' : 'info' });
  } else {
    if (!deps.liveness) throw new TracemarkError('LIVENESS_UNAVAILABLE', 'This verifier cannot redeem liveness challenges', { kind: 'internal' });
    try {
      steps = await deps.liveness.redeem(input.challenge.id, input.challenge.nonce, input.verificationId);
      report.nonce_checked = true;
    } catch (e) {
      if (!(e instanceof TracemarkError)) throw e;
      report.passed = false;
      report.failure = e.code;
      report.detail = e.message;
      add({ code: e.code, message: e.message, source: 'liveness', severity: 'reject' });
      return report;
    }
  }
  report.steps = steps;
  const frames: DetectedFace[][] = [];
  for (const f of input.frames) {
    const r = await decodeImage(f.bytes, f.label, deps.limits);
    frames.push(await deps.engine.detect(r, { purpose: 'selfie' }));
  }
  const check = checkLivenessFrames(steps, frames, selfieQ.face?.descriptor ?? null);
  report.passed = check.passed;
  report.failure = check.failure;
  report.detail = check.detail;
  if (!check.passed) add({ code: 'LIVENESS_FAILED', message: `The liveness challenge was not completed: ${check.detail ?? check.failure}.`, source: 'liveness', severity: 'reject' });
  return report;
}
