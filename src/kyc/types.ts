/**
 * Shapes shared by the KYC pipeline, the liveness challenge and the shells: reasons, decisions, the result object
 * (the JSON the CLI prints and the API returns), and the narrow DuplicateLookup port the vault implements.
 */
import type { FaceHit } from '../face/face-index.js';
import type { MrzData } from '../document/mrz.js';
import type { QualityMetrics } from '../face/quality.js';

/** The three outcomes of a verification. */
export type Decision = 'approve' | 'review' | 'reject';

/** Which input a reason is about. */
export type ReasonSource = 'document' | 'selfie' | 'face_match' | 'liveness' | 'duplicates' | 'typed';

/** One reason for the decision: a stable code, a sentence for people, what it is about and what it forces. */
export interface Reason {
  code: string;
  message: string;
  source: ReasonSource;
  /** `reject` and `review` decide the outcome; `info` only explains. */
  severity: 'reject' | 'review' | 'info';
}

/** Port to the vault (or any subject store) for duplicate and fraud-ring checks at intake. */
export interface DuplicateLookup {
  /** Subject ids already holding this document number (via the blind index; the number itself is not stored). */
  findByDocumentNumber(documentNumber: string): Promise<string[]>;
  /** The k nearest enrolled face descriptors (subject id + Euclidean distance), nearest first. */
  searchFaces(descriptor: Float32Array, k: number): Promise<FaceHit[]>;
  /** Set when this store holds no face descriptors: face duplicates are then reported as not checked, with this why. */
  readonly faceSearchUnavailable?: string;
}

/** Liveness outcome as reported in a result. */
export interface LivenessReport {
  performed: boolean;
  passed: boolean | null;
  steps: string[];
  /** Whether a server-issued one-time nonce was checked (false for offline CLI runs). */
  nonce_checked: boolean;
  frames: number;
  /** Why it failed (stable code), if it did. */
  failure: string | null;
  detail: string | null;
}

/** The full, storable result of one verification. */
export interface KycResult {
  decision: Decision;
  reasons: Array<Pick<Reason, 'code' | 'message'> & Partial<Reason>>;
  face: {
    match: boolean;
    /** Euclidean descriptor distance: lower = more similar (null when a face was missing). */
    score: number | null;
    threshold: number;
    metric: 'euclidean-distance';
    verdict: 'same' | 'review' | 'different' | null;
    accept_threshold: number;
    review_upper: number;
    document_quality: QualityMetrics | null;
    selfie_quality: QualityMetrics | null;
  };
  document: {
    mrz: MrzData | null;
    mrz_valid: boolean | null;
    expired: boolean | null;
    typed_checked: boolean;
  };
  liveness: LivenessReport;
  duplicates: {
    checked: boolean;
    document_number: string[];
    faces: FaceHit[];
  };
  versions: Record<string, string>;
  timings_ms: Record<string, number>;
  checked_at: string;
}
