/**
 * Worker-thread entry for {@link WatermarkPool}: runs embed/detect on pixels posted by the pool. Pixels arrive by
 * structured clone (never through files), results go back the same way.
 */
import { serveJobs, withTransfer } from '../core/worker-pool.js';
import type { Pixels } from '../image/planes.js';
import { detectPixels } from './detect.js';
import { embed } from './api.js';

/** A job sent to a worker. */
export type WorkerJob =
  | { op: 'detect'; img: Pixels; secret: Uint8Array }
  | { op: 'embed'; img: Pixels; secret: Uint8Array; keyId: string; payload: Uint8Array; strength?: number };

serveJobs<WorkerJob>((job) => {
  if (job.op === 'detect') return detectPixels(job.img, job.secret);
  const out = embed(job.img, job.payload, { id: job.keyId, secret: job.secret }, job.strength === undefined ? {} : { strength: job.strength });
  return withTransfer(out, [out.data.buffer as ArrayBuffer]);
});
