/**
 * Hamming index benchmark: builds multi-index-hashing indexes of 10k, 100k, 1M and 10M hashes (random and clustered),
 * prints insert rate, memory per hash, and query p50/p99 at radius 31 next to a linear scan measured in the same run,
 * and checks that every query's result equals the linear scan's.
 *
 *   npm run bench:index                      # all sizes up to 10M (needs ~2 GB RAM, several minutes)
 *   npm run bench:index -- --max 1000000     # stop at 1M
 *   npm run bench:index -- --queries 100
 *   npm run bench:index -- --min 10000000     # only the 10M sets
 */
import { randomFillSync } from 'node:crypto';
import { MihIndex } from '../src/match/mih.js';
import { LinearScanIndex } from '../src/match/linear.js';
import type { IndexHit } from '../src/match/hamming-index.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const MAX = arg('max', 10_000_000);
const QUERIES = arg('queries', 200);
const RADIUS = arg('radius', 31);
const MIN = arg('min', 0);
const SIZES = [10_000, 100_000, 1_000_000, 10_000_000].filter((n) => n <= MAX && n >= MIN);

let seed = 12345;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function flipInPlace(buf: Uint8Array, off: number, bits: number): void {
  for (let k = 0; k < bits; k++) {
    const b = (rnd() * 256) | 0;
    buf[off + (b >> 3)]! ^= 1 << (b & 7);
  }
}

/** Random hashes, or clusters of 20 near-duplicates each 12–30 bits from a centre (so 24–60 bits apart pairwise). */
function dataset(n: number, kind: 'random' | 'clustered'): Uint8Array {
  const h = new Uint8Array(n * 32);
  randomFillSync(h);
  if (kind === 'clustered') {
    for (let i = 0; i < n; i++) {
      const centre = i - (i % 20);
      if (i === centre) continue;
      h.copyWithin(i * 32, centre * 32, centre * 32 + 32);
      flipInPlace(h, i * 32, 12 + ((rnd() * 19) | 0));
    }
  }
  return h;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const same = (a: IndexHit[], b: IndexHit[]): boolean => a.length === b.length && a.every((x, i) => x.key === b[i]!.key && x.distance === b[i]!.distance);

console.log(`bench:index — sizes ${SIZES.join(', ')} (max ${MAX}${MAX < 10_000_000 ? '; 10M not run' : ''}), ${QUERIES} queries per set at radius ${RADIUS}, one core; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
console.log('set        n           build/s    insert/s   B/hash  ×raw   MIH p50   MIH p99   scan p50   scan p99   speedup(p50)  hits/q  exact  layout');
for (const n of SIZES) {
  for (const kind of ['random', 'clustered'] as const) {
    const hashes = dataset(n, kind);
    const keys = new Uint32Array(n).map((_, i) => i);
    const incremental = Math.min(20_000, Math.floor(n / 10));
    const bulk = n - incremental;
    const mih = new MihIndex();
    let t = performance.now();
    mih.addMany(keys.subarray(0, bulk), hashes.subarray(0, bulk * 32));
    mih.rebuild();
    const buildRate = bulk / ((performance.now() - t) / 1000);
    t = performance.now();
    for (let i = bulk; i < n; i++) mih.add(i, hashes.subarray(i * 32, i * 32 + 32));
    const insertRate = incremental / ((performance.now() - t) / 1000);
    const scan = new LinearScanIndex();
    scan.addMany(keys, hashes);
    // Queries: half are near-duplicates of stored hashes (0–31 bits flipped), half are fresh random hashes.
    const queries: Uint8Array[] = [];
    const qn = n >= 10_000_000 ? Math.min(QUERIES, 100) : QUERIES;
    for (let i = 0; i < qn; i++) {
      const q = new Uint8Array(32);
      if (i % 2 === 0) {
        const src = (rnd() * n) | 0;
        q.set(hashes.subarray(src * 32, src * 32 + 32));
        flipInPlace(q, 0, (rnd() * 32) | 0);
      } else randomFillSync(q);
      queries.push(q);
    }
    const tm: number[] = [];
    const ts: number[] = [];
    let exact = true;
    let hitsTotal = 0;
    for (const q of queries) {
      let t0 = performance.now();
      const a = mih.search(q, { radius: RADIUS });
      tm.push(performance.now() - t0);
      t0 = performance.now();
      const b = scan.search(q, { radius: RADIUS });
      ts.push(performance.now() - t0);
      hitsTotal += a.length;
      if (!same(a, b)) exact = false;
    }
    const bytes = mih.memoryBytes() / n;
    const layout = mih.currentLayout;
    const f = (x: number, d = 3): string => x.toFixed(d).padStart(8);
    console.log(
      `${kind.padEnd(10)} ${String(n).padEnd(10)} ${f(buildRate, 0).padStart(9)} ${f(insertRate, 0).padStart(9)}  ${f(bytes, 1)} ${f(bytes / 32, 2).slice(3)}  ${f(pct(tm, 50))}ms ${f(pct(tm, 99))}ms ${f(pct(ts, 50))}ms ${f(pct(ts, 99))}ms  ${f(pct(ts, 50) / pct(tm, 50), 1).padStart(10)}×  ${(hitsTotal / qn).toFixed(1).padStart(6)}  ${exact ? 'yes' : 'NO'}  ${layout.chunks}×${layout.bits}b`,
    );
    if (!exact) process.exitCode = 1;
  }
}
