/**
 * Worker threads for an investigation's pixel work (verification, alignment refinement, alteration detection), so
 * that on a multi-core machine the main thread retrieves the next leaked file while a worker compares the previous
 * one (the watermark detector has its own pool). Workers load the compiled `compute-worker.js` beside this file.
 * With size 0 the jobs run inline on the calling thread.
 */
import { WorkerPool } from '../core/worker-pool.js';
import type { AlterationResult } from './alteration.js';
import { runComputeJob, type ComputeCandidate, type ComputeJob } from './compute.js';
import type { Pixels } from '../image/planes.js';
import { pixelKeyOnce } from '../image/pixel-key.js';
import { releaseVerifyWork, type VerifyScore } from './verify.js';

/** A fixed set of compute workers (or none: inline); call {@link close} when done. */
export class ComputePool {
  private readonly pool: WorkerPool<ComputeJob> | null;

  constructor(size: number) {
    this.pool = size > 0
      ? new WorkerPool<ComputeJob>(new URL('./compute-worker.js', import.meta.url), size, { code: 'INVESTIGATE_WORKER_FAILED', message: 'An investigation worker thread failed' })
      : null;
  }

  /** Runs a job; its compute time (on whichever thread ran it, queueing excluded) is added to `timings[stage]`. */
  private async run<T>(job: ComputeJob, timings: Record<string, number>, stage: string): Promise<T> {
    let r: { value: unknown; ms: number };
    if (!this.pool) {
      const t0 = performance.now();
      r = { value: runComputeJob(job), ms: performance.now() - t0 };
    } else r = await this.pool.run<{ value: unknown; ms: number }>(job);
    timings[stage] = (timings[stage] ?? 0) + Math.round(r.ms);
    return r.value as T;
  }

  /** Scores candidates against a leaked copy (see verifyCandidates). */
  verify(leaked: Pixels, cands: ComputeCandidate[], timings: Record<string, number>, minAgreement?: number): Promise<VerifyScore[]> {
    return this.run({ op: 'verify', leaked, leakedKey: pixelKeyOnce(leaked), cands: cands.map(strip), ...(minAgreement === undefined ? {} : { minAgreement }) }, timings, 'verify');
  }

  /** Refines the chosen original's alignment and detects alterations (see compareWithOriginal). */
  compare(leaked: Pixels, cand: ComputeCandidate, timings: Record<string, number>): Promise<AlterationResult> {
    return this.run({ op: 'compare', leaked, leakedKey: pixelKeyOnce(leaked), cand: strip(cand) }, timings, 'alteration');
  }

  /** Stops every worker (inline: drops the verification work this thread kept for reuse). */
  async close(): Promise<void> {
    if (this.pool) await this.pool.close();
    else releaseVerifyWork();
  }
}

/**
 * Only what the compute thread needs (candidates carry records on this side, which must not be cloned), with the
 * original's content key: hashed once per decrypted original (the originals cache keeps the same raster object).
 */
function strip(c: ComputeCandidate): ComputeCandidate {
  return { imageId: c.imageId, kind: c.kind, group: c.group, original: c.original, originalKey: c.originalKey ?? pixelKeyOnce(c.original), homography: c.homography, ...(c.reference !== undefined ? { reference: c.reference } : {}) };
}
