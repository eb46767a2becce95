/**
 * Worker threads for an investigation's pixel work (verification, alignment refinement, alteration detection), so
 * that on a multi-core machine the main thread retrieves the next leaked file while a worker compares the previous
 * one (the watermark detector has its own pool). Workers load the compiled `compute-worker.js` beside this file.
 * With size 0 the jobs run inline on the calling thread.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { TracemarkError, type ErrorKind } from '../core/errors.js';
import type { AlterationResult } from './alteration.js';
import { runComputeJob, type ComputeCandidate, type ComputeJob } from './compute.js';
import type { Pixels } from '../image/planes.js';
import type { VerifyScore } from './verify.js';

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: string; message: string; hint?: string; kind?: string } };
type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; w: Worker };

/** A fixed set of compute workers (or none: inline); call {@link close} when done. */
export class ComputePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; job: ComputeJob; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(size: number) {
    const url = new URL('./compute-worker.js', import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = new Worker(fileURLToPath(url));
      w.on('message', (m: Reply) => this.onReply(w, m));
      w.on('error', (err) => this.onCrash(w, err));
      w.unref();
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private onReply(w: Worker, m: Reply): void {
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (p) {
      if (m.ok) p.resolve(m.value);
      else p.reject(new TracemarkError(m.error.code, m.error.message, { kind: (m.error.kind as ErrorKind | undefined) ?? 'internal', ...(m.error.hint ? { hint: m.error.hint } : {}) }));
    }
    this.idle.push(w);
    this.pump();
  }

  private onCrash(w: Worker, err: unknown): void {
    for (const [id, p] of this.pending) if (p.w === w) {
      this.pending.delete(id);
      p.reject(new TracemarkError('INVESTIGATE_WORKER_FAILED', 'An investigation worker thread failed', { kind: 'internal', cause: err }));
    }
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const q = this.queue.shift()!;
      this.pending.set(q.id, { resolve: q.resolve, reject: q.reject, w });
      w.ref();
      w.postMessage({ id: q.id, job: q.job });
    }
    if (this.pending.size === 0) for (const w of this.workers) w.unref();
  }

  /** Runs a job; its compute time (on whichever thread ran it, queueing excluded) is added to `timings[stage]`. */
  private async run<T>(job: ComputeJob, timings: Record<string, number>, stage: string): Promise<T> {
    let r: { value: unknown; ms: number };
    if (this.workers.length === 0) {
      const t0 = performance.now();
      r = { value: runComputeJob(job), ms: performance.now() - t0 };
    } else {
      r = await new Promise<{ value: unknown; ms: number }>((resolve, reject) => {
        this.queue.push({ id: this.nextId++, job, resolve: resolve as (v: unknown) => void, reject });
        this.pump();
      });
    }
    timings[stage] = (timings[stage] ?? 0) + Math.round(r.ms);
    return r.value as T;
  }

  /** Scores candidates against a leaked copy (see verifyCandidates). */
  verify(leaked: Pixels, cands: ComputeCandidate[], timings: Record<string, number>, minAgreement?: number): Promise<VerifyScore[]> {
    return this.run({ op: 'verify', leaked, cands: cands.map(strip), ...(minAgreement === undefined ? {} : { minAgreement }) }, timings, 'verify');
  }

  /** Refines the chosen original's alignment and detects alterations (see compareWithOriginal). */
  compare(leaked: Pixels, cand: ComputeCandidate, timings: Record<string, number>): Promise<AlterationResult> {
    return this.run({ op: 'compare', leaked, cand: strip(cand) }, timings, 'alteration');
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Only what the compute thread needs (candidates carry records on this side, which must not be cloned). */
function strip(c: ComputeCandidate): ComputeCandidate {
  return { imageId: c.imageId, kind: c.kind, group: c.group, original: c.original, homography: c.homography, ...(c.reference !== undefined ? { reference: c.reference } : {}) };
}
