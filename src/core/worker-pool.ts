/**
 * A fixed set of worker threads running jobs of one kind, shared by the watermark and investigation pools: a job
 * queue, one job per idle worker, replies matched by id, worker errors surfaced as TracemarkErrors with the pool's
 * failure code. Idle workers are unref'd so an idle pool never keeps the process alive. The worker side is
 * {@link serveJobs}. Pixels travel by structured clone, never through files.
 */
import { Worker, parentPort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { TracemarkError, type ErrorKind } from './errors.js';

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: string; message: string; hint?: string; kind?: string } };
interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** The main-thread side: `size` workers running the module at `workerUrl` (which calls {@link serveJobs}). */
export class WorkerPool<Job> {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; job: Job; p: Pending }[] = [];
  private readonly pending = new Map<number, Pending & { w: Worker }>();
  private nextId = 1;

  /** `failure`: the error code and message used when a worker thread dies with jobs in flight. */
  constructor(workerUrl: URL, size: number, private readonly failure: { code: string; message: string }) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(fileURLToPath(workerUrl));
      w.on('message', (m: Reply) => this.onReply(w, m));
      w.on('error', (err) => this.onCrash(w, err));
      w.unref();
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /** Queues a job; resolves with the worker's return value, rejects with its error. */
  run<T>(job: Job): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, p: { resolve: resolve as (v: unknown) => void, reject } });
      this.pump();
    });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onReply(w: Worker, m: Reply): void {
    const entry = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (entry) {
      if (m.ok) entry.resolve(m.value);
      else entry.reject(new TracemarkError(m.error.code, m.error.message, { kind: (m.error.kind as ErrorKind | undefined) ?? 'internal', ...(m.error.hint ? { hint: m.error.hint } : {}) }));
    }
    this.idle.push(w);
    this.pump();
  }

  private onCrash(w: Worker, err: unknown): void {
    for (const [id, e] of this.pending) if (e.w === w) {
      this.pending.delete(id);
      e.reject(new TracemarkError(this.failure.code, this.failure.message, { kind: 'internal', cause: err }));
    }
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const { id, job, p } = this.queue.shift()!;
      this.pending.set(id, { ...p, w });
      w.ref();
      w.postMessage({ id, job });
    }
    if (this.pending.size === 0) for (const w of this.workers) w.unref();
  }
}

/**
 * The worker-thread side: answers each posted job with `handle(job)`'s value (its `transfer` list, if returned via
 * {@link withTransfer}, is moved instead of copied) or with the error's code, message, hint and kind.
 */
export function serveJobs<Job>(handle: (job: Job) => unknown): void {
  if (!parentPort) return;
  const port = parentPort;
  port.on('message', (m: { id: number; job: Job }) => {
    try {
      const value = handle(m.job);
      if (value instanceof Transferable) port.postMessage({ id: m.id, ok: true, value: value.value }, value.transfer);
      else port.postMessage({ id: m.id, ok: true, value });
    } catch (err) {
      const e = err as { code?: string; message?: string; hint?: string; kind?: string };
      port.postMessage({ id: m.id, ok: false, error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err), hint: e.hint, kind: e.kind } });
    }
  });
}

class Transferable {
  constructor(readonly value: unknown, readonly transfer: ArrayBuffer[]) {}
}

/** Marks a worker's return value whose buffers should be moved to the main thread rather than copied. */
export function withTransfer(value: unknown, transfer: ArrayBuffer[]): unknown {
  return new Transferable(value, transfer);
}
