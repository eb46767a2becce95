/**
 * Worker-thread entry for {@link WatermarkPool}: runs embed/detect on pixels posted by the pool. Pixels arrive by
 * structured clone (never through files), results go back the same way.
 */
import { parentPort } from 'node:worker_threads';
import type { Pixels } from '../image/planes.js';
import { detectPixels } from './detect.js';
import { embed } from './api.js';

/** A job sent to a worker. */
export type WorkerJob =
  | { id: number; op: 'detect'; img: Pixels; secret: Uint8Array }
  | { id: number; op: 'embed'; img: Pixels; secret: Uint8Array; keyId: string; payload: Uint8Array; strength?: number };

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: WorkerJob) => {
    try {
      if (job.op === 'detect') {
        port.postMessage({ id: job.id, ok: true, value: detectPixels(job.img, job.secret) });
      } else {
        const out = embed(job.img, job.payload, { id: job.keyId, secret: job.secret }, job.strength === undefined ? {} : { strength: job.strength });
        port.postMessage({ id: job.id, ok: true, value: out }, [out.data.buffer as ArrayBuffer]);
      }
    } catch (err) {
      const e = err as { code?: string; message?: string; hint?: string; kind?: string };
      port.postMessage({ id: job.id, ok: false, error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err), hint: e.hint, kind: e.kind } });
    }
  });
}
