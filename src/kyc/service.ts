/**
 * KYC verifications as a service for the HTTP API: start a verification (creates the subject in the vault), upload
 * the document and the selfie (validated, encrypted and stored in the vault), issue and answer a liveness challenge,
 * submit (runs the pipeline on the vault's copies), read the decision. The decision is stored on the subject
 * (`kyc_status`) together with an audit entry holding the scores, reason codes, thresholds and model versions — no
 * personal data. Verification state lives in a VerificationStore (in memory for one process).
 */
import { TracemarkError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { ImageLimits } from '../image/decode.js';
import { inspectImage } from '../image/decode.js';
import type { FaceEngine } from '../face/engine.js';
import type { Raster } from '../image/decode.js';
import type { MrzReadResult } from '../document/mrz-ocr.js';
import type { TypedFields } from '../document/crosscheck.js';
import type { ImageRow } from '../storage/records/record-store.js';
import type { RecordsService } from '../vault/records-service.js';
import { verifyKyc, type ImageInput } from './pipeline.js';
import type { IssuedChallenge, LivenessChallenges } from './liveness.js';
import { VaultDuplicateLookup } from './vault-lookup.js';
import type { DuplicateLookup, KycResult } from './types.js';

/** Where a verification stands. */
export type VerificationStatus = 'open' | 'decided';

/** One verification (no personal data besides the typed fields, which are also stored encrypted on the subject). */
export interface Verification {
  id: string;
  subjectId: string;
  /** API key id that started it: customer apps only see their own verifications. */
  owner: string;
  status: VerificationStatus;
  createdAt: string;
  typed: TypedFields | undefined;
  documentImageId: string | null;
  selfieImageId: string | null;
  liveness: { challengeId: string; nonce: string; frames: ImageInput[] } | null;
  result: KycResult | null;
}

/** Storage of verification state. */
export interface VerificationStore {
  get(id: string): Promise<Verification | null>;
  put(v: Verification): Promise<void>;
}

/** One-process verification store. */
export class MemoryVerificationStore implements VerificationStore {
  private readonly m = new Map<string, Verification>();
  async get(id: string): Promise<Verification | null> {
    return this.m.get(id) ?? null;
  }
  async put(v: Verification): Promise<void> {
    this.m.set(v.id, v);
  }
}

/** What the service needs from the vault. */
export interface KycVaultPorts {
  records: Pick<RecordsService, 'createSubject' | 'addImage' | 'readImage' | 'find' | 'storeFaceDescriptor' | 'faceDescriptors'>;
  /** Image rows by id (to read back the stored document and selfie). */
  getImage(id: string): Promise<ImageRow | null>;
  /** Stores the decision on the subject with an audit entry, atomically. */
  setDecision(subjectId: string, decision: string, details: Record<string, unknown>): Promise<void>;
}

/** Dependencies of {@link KycService}. */
export interface KycServiceDeps {
  vault: KycVaultPorts;
  engine: FaceEngine;
  readMrz: ((r: Raster) => Promise<MrzReadResult>) | null;
  liveness: LivenessChallenges;
  store: VerificationStore;
  limits: ImageLimits & { maxFileBytes: number };
  /** Overrides the vault's duplicate lookup (tests). */
  duplicates?: DuplicateLookup;
  now?: () => Date;
}

function notFound(id: string): TracemarkError {
  // Same answer for "does not exist" and "belongs to someone else": nothing leaks about other customers.
  return new TracemarkError('VERIFICATION_NOT_FOUND', `no verification ${id.slice(0, 40)}`, { kind: 'not_found' });
}

/** The KYC verification workflow over the vault. */
export class KycService {
  /** Face descriptors of subjects decided (not rejected) by this process; biometric data, memory only. */
  /** Document numbers and enrolled faces of the vault (the face index loads on first use). */
  private readonly vaultLookup: VaultDuplicateLookup;
  constructor(private readonly d: KycServiceDeps) {
    this.vaultLookup = new VaultDuplicateLookup(d.vault.records, d.engine.id);
  }

  /** Loads a verification the caller may see (`owner` null = any, for agents and admins). */
  async load(id: string, owner: string | null): Promise<Verification> {
    const v = await this.d.store.get(id);
    if (!v || (owner !== null && v.owner !== owner)) throw notFound(id);
    return v;
  }

  private open(v: Verification): void {
    if (v.status !== 'open') throw new TracemarkError('VERIFICATION_DECIDED', `verification ${v.id} is already decided`, { kind: 'conflict', hint: 'Start a new verification.' });
  }

  /** Starts a verification: creates the subject (typed fields encrypted, blind-indexed). */
  async start(input: { ref?: string; typed?: TypedFields }, owner: string): Promise<Verification> {
    const id = newId('ver');
    const ref = input.ref ?? `kyc-${id.slice(4, 20)}`;
    const subject = await this.d.vault.records.createSubject({ ref, fields: { ...(input.typed ?? {}) }, source: 'api:kyc' });
    const v: Verification = { id, subjectId: subject.id, owner, status: 'open', createdAt: (this.d.now?.() ?? new Date()).toISOString(), typed: input.typed, documentImageId: null, selfieImageId: null, liveness: null, result: null };
    await this.d.store.put(v);
    return v;
  }

  /** Stores the document or the selfie (validated before anything is stored; encrypted in the vault). */
  async upload(v: Verification, what: 'document' | 'selfie', bytes: Buffer, label: string): Promise<{ imageId: string }> {
    this.open(v);
    await inspectImage(bytes, label, this.d.limits);
    const { image } = await this.d.vault.records.addImage(v.subjectId, what === 'document' ? 'id_front' : 'selfie', bytes, label, 'api:kyc');
    if (what === 'document') v.documentImageId = image.id;
    else v.selfieImageId = image.id;
    await this.d.store.put(v);
    return { imageId: image.id };
  }

  /** Issues a liveness challenge bound to this verification. */
  async challenge(v: Verification): Promise<IssuedChallenge> {
    this.open(v);
    return this.d.liveness.issue(v.id);
  }

  /** Records the liveness frames (kept in memory until submission; never written to disk). */
  async liveness(v: Verification, challengeId: string, nonce: string, frames: ImageInput[]): Promise<void> {
    this.open(v);
    for (const f of frames) await inspectImage(f.bytes, f.label, this.d.limits);
    v.liveness = { challengeId, nonce, frames };
    await this.d.store.put(v);
  }

  /** Runs the pipeline on the stored images and stores the decision on the subject. */
  async submit(v: Verification): Promise<KycResult> {
    this.open(v);
    if (!v.documentImageId || !v.selfieImageId) {
      throw new TracemarkError('VERIFICATION_INCOMPLETE', `verification ${v.id} needs ${[!v.documentImageId && 'a document', !v.selfieImageId && 'a selfie'].filter(Boolean).join(' and ')} first`, { kind: 'user' });
    }
    const read = async (imageId: string, label: string): Promise<ImageInput> => {
      const row = await this.d.vault.getImage(imageId);
      if (!row) throw new TracemarkError('IMAGE_NOT_FOUND', `image ${imageId} of verification ${v.id} is gone`, { kind: 'not_found' });
      return { bytes: await this.d.vault.records.readImage(row, { purpose: 'kyc-verification', action: 'kyc.read-image', details: { verification_id: v.id } }), label };
    };
    const lookup = this.d.duplicates ?? this.vaultLookup;
    let probe: Float32Array | null = null;
    const result = await verifyKyc({
      document: await read(v.documentImageId, 'document'),
      selfie: await read(v.selfieImageId, 'selfie'),
      ...(v.liveness ? { frames: v.liveness.frames, challenge: { id: v.liveness.challengeId, nonce: v.liveness.nonce } } : {}),
      ...(v.typed ? { typed: v.typed } : {}),
      subjectId: v.subjectId,
      verificationId: v.id,
    }, {
      engine: this.d.engine,
      readMrz: this.d.readMrz,
      duplicates: lookup,
      captureDescriptor: (d) => {
        probe = d;
      },
      liveness: this.d.liveness,
      limits: this.d.limits,
      ...(this.d.now ? { now: this.d.now } : {}),
    });
    const captured: Float32Array | null = probe;
    if (captured && result.decision !== 'reject') {
      // Enrolled faces persist (encrypted with the subject's key) so later verifications find duplicates across restarts.
      await this.d.vault.records.storeFaceDescriptor(v.subjectId, captured, this.d.engine.id);
      await this.vaultLookup.remember(v.subjectId, captured);
    }
    v.result = result;
    v.status = 'decided';
    v.liveness = null; // frames are not kept after the decision
    await this.d.store.put(v);
    await this.d.vault.setDecision(v.subjectId, result.decision, {
      verification_id: v.id,
      decision: result.decision,
      reasons: result.reasons.map((r) => r.code),
      face_distance: result.face.score,
      face_thresholds: { accept: result.face.accept_threshold, match: result.face.threshold, review_upper: result.face.review_upper },
      mrz_valid: result.document.mrz_valid,
      expired: result.document.expired,
      liveness: { performed: result.liveness.performed, passed: result.liveness.passed, failure: result.liveness.failure },
      duplicates: { document_number: result.duplicates.document_number, faces: result.duplicates.faces.map((h) => h.id) },
      versions: result.versions,
    });
    return result;
  }
}
