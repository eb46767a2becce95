/**
 * Batches on worker threads: `detectMany` / `embedMany` spread images over N workers (default: available cores − 1,
 * at least 1). Workers load the compiled `worker.js` beside this file (dist/src/watermark/worker.js).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TracemarkError, type ErrorKind } from '../core/errors.js';
import type { Pixels } from '../image/planes.js';
import type { DetectResult } from './detect.js';
import { assertKey, type WatermarkKey } from './keyfile.js';
import type { WorkerJob } from './worker.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: string; message: string; hint?: string; kind?: string } };
type JobBody = WorkerJob extends infer J ? (J extends { id: number } ? Omit<J, 'id'> : never) : never;

/** A fixed set of watermark worker threads; call {@link close} when done. */
export class WatermarkPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { job: WorkerJob; p: Pending }[] = [];
  private readonly pending = new Map<number, { p: Pending; w: Worker }>();
  private nextId = 1;

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    const url = new URL('./worker.js', import.meta.url);
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
    const entry = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (entry) {
      if (m.ok) entry.p.resolve(m.value);
      else entry.p.reject(new TracemarkError(m.error.code, m.error.message, { kind: (m.error.kind as ErrorKind | undefined) ?? 'internal', ...(m.error.hint ? { hint: m.error.hint } : {}) }));
    }
    this.idle.push(w);
    this.pump();
  }

  private onCrash(w: Worker, err: unknown): void {
    for (const [id, e] of this.pending) if (e.w === w) {
      this.pending.delete(id);
      e.p.reject(new TracemarkError('WATERMARK_WORKER_FAILED', 'A watermark worker thread failed', { kind: 'internal', cause: err }));
    }
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const { job, p } = this.queue.shift()!;
      this.pending.set(job.id, { p, w });
      w.ref();
      w.postMessage(job);
    }
    if (this.pending.size === 0) for (const w of this.workers) w.unref();
  }

  private run<T>(body: JobBody): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job = { ...body, id: this.nextId++ } as WorkerJob;
      this.queue.push({ job, p: { resolve: resolve as (v: unknown) => void, reject } });
      this.pump();
    });
  }

  /** Detects `key`'s mark in each image (order preserved). */
  detectMany(images: readonly Pixels[], key: WatermarkKey): Promise<DetectResult[]> {
    assertKey(key);
    return Promise.all(images.map((img) => this.run<DetectResult>({ op: 'detect', img, secret: key.secret })));
  }

  /** Embeds `payloads[i]` into `images[i]` (order preserved). */
  embedMany(images: readonly Pixels[], payloads: readonly Uint8Array[], key: WatermarkKey, opts: { strength?: number } = {}): Promise<Pixels[]> {
    assertKey(key);
    return Promise.all(images.map((img, i) => this.run<Pixels>({ op: 'embed', img, secret: key.secret, keyId: key.id, payload: payloads[i]!, ...(opts.strength === undefined ? {} : { strength: opts.strength }) })));
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
