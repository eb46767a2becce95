/**
 * Worker-thread entry for {@link ComputePool}: verification and alteration jobs on pixels posted by the pool.
 * Pixels arrive by structured clone (decrypted originals never touch a file); results go back the same way.
 */
import { parentPort } from 'node:worker_threads';
import { runComputeJob, type ComputeJob } from './compute.js';

if (parentPort) {
  const port = parentPort;
  port.on('message', (m: { id: number; job: ComputeJob }) => {
    try {
      const t0 = performance.now();
      const value = runComputeJob(m.job);
      port.postMessage({ id: m.id, ok: true, value: { value, ms: performance.now() - t0 } });
    } catch (err) {
      const e = err as { code?: string; message?: string; hint?: string; kind?: string };
      port.postMessage({ id: m.id, ok: false, error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err), hint: e.hint, kind: e.kind } });
    }
  });
}
