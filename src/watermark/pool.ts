/**
 * Batches on worker threads: `detectMany` / `embedMany` spread images over N workers (default: available cores − 1,
 * at least 1). Workers load the compiled `worker.js` beside this file (dist/src/watermark/worker.js).
 */
import { availableParallelism } from 'node:os';
import { WorkerPool } from '../core/worker-pool.js';
import type { Pixels } from '../image/planes.js';
import type { DetectResult } from './detect.js';
import { assertKey, type WatermarkKey } from './keyfile.js';
import type { WorkerJob } from './worker.js';

/** A fixed set of watermark worker threads; call {@link close} when done. */
export class WatermarkPool {
  private readonly pool: WorkerPool<WorkerJob>;

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    this.pool = new WorkerPool<WorkerJob>(new URL('./worker.js', import.meta.url), size, { code: 'WATERMARK_WORKER_FAILED', message: 'A watermark worker thread failed' });
  }

  /** Detects `key`'s mark in each image (order preserved). */
  detectMany(images: readonly Pixels[], key: WatermarkKey): Promise<DetectResult[]> {
    assertKey(key);
    return Promise.all(images.map((img) => this.pool.run<DetectResult>({ op: 'detect', img, secret: key.secret })));
  }

  /** Embeds `payloads[i]` into `images[i]` (order preserved). */
  embedMany(images: readonly Pixels[], payloads: readonly Uint8Array[], key: WatermarkKey, opts: { strength?: number } = {}): Promise<Pixels[]> {
    assertKey(key);
    return Promise.all(images.map((img, i) => this.pool.run<Pixels>({ op: 'embed', img, secret: key.secret, keyId: key.id, payload: payloads[i]!, ...(opts.strength === undefined ? {} : { strength: opts.strength }) })));
  }

  /** Stops every worker. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
