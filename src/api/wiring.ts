/**
 * Wires the KYC service and the HTTP API onto an open vault (the lead's composition root, `openTracemark`): face
 * engine, offline MRZ OCR, in-process liveness challenges and verification state, the vault for subjects, encrypted
 * images, blind-index duplicate search, decisions and audit.
 */
import type { FastifyInstance } from 'fastify';
import type { Tracemark } from '../app/tracemark.js';
import { faceApiEngine } from '../face/faceapi-engine.js';
import type { FaceEngine } from '../face/engine.js';
import { readMrz, type MrzReadResult } from '../document/mrz-ocr.js';
import type { Raster } from '../image/decode.js';
import { KycService, MemoryVerificationStore } from '../kyc/service.js';
import { LivenessChallenges, MemoryChallengeStore } from '../kyc/liveness.js';
import type { ApiKeyStore } from './keys.js';
import { buildApi } from './server.js';

/** Options for {@link kycApiFor}. */
export interface KycApiOptions {
  keys: Pick<ApiKeyStore, 'verify'>;
  engine?: FaceEngine;
  readMrz?: ((r: Raster) => Promise<MrzReadResult>) | null;
  maxUploadBytes?: number;
  logger?: boolean;
}

/** The KYC service over an open vault. */
export function kycServiceFor(t: Tracemark, opts: Pick<KycApiOptions, 'engine' | 'readMrz'> = {}): KycService {
  return new KycService({
    vault: {
      records: t.records,
      getImage: (id) => t.stores.records.getImage(id),
      setDecision: (subjectId, decision, details) => t.stores.records.setKycStatus(subjectId, decision, t.audit.pending('kyc.decision', subjectId, { purpose: 'kyc-verification', details })),
    },
    engine: opts.engine ?? faceApiEngine(),
    readMrz: opts.readMrz === undefined ? (r) => readMrz(r) : opts.readMrz,
    liveness: new LivenessChallenges(new MemoryChallengeStore()),
    store: new MemoryVerificationStore(),
    limits: { maxPixels: t.config.maxPixels, maxFileBytes: t.config.maxFileBytes },
  });
}

/** The HTTP API over an open vault. */
export async function kycApiFor(t: Tracemark, opts: KycApiOptions): Promise<FastifyInstance> {
  return buildApi({
    kyc: kycServiceFor(t, opts),
    keys: opts.keys,
    audit: t.audit,
    maxUploadBytes: opts.maxUploadBytes ?? Math.min(t.config.maxFileBytes, 15 * 1024 * 1024),
    logger: opts.logger ?? false,
  });
}
