/**
 * Worker-thread entry for {@link ComputePool}: verification and alteration jobs on pixels posted by the pool.
 * Pixels arrive by structured clone (decrypted originals never touch a file); results go back the same way, with the
 * job's compute time.
 */
import { serveJobs } from '../core/worker-pool.js';
import { runComputeJob, type ComputeJob } from './compute.js';

serveJobs<ComputeJob>((job) => {
  const t0 = performance.now();
  const value = runComputeJob(job);
  return { value, ms: performance.now() - t0 };
});
