/**
 * Exact Hamming-radius search by multi-index hashing (Norouzi et al.), with a flat, cache-friendly layout.
 *
 * The 256-bit hash is cut into 16 chunks of 16 bits. If two hashes differ in at most r bits, then by the pigeonhole
 * principle at least one chunk differs in at most ⌊r/16⌋ bits — so for r ≤ 31 a match agrees with the query up to one
 * bit in some chunk. For each chunk we keep a CSR table: `offsets[c][v] … offsets[c][v+1]` delimits the rows whose chunk
 * c equals v, in one Uint32Array of row numbers (no hash maps, no per-bucket objects). A query probes the chunk value
 * and its 16 one-bit neighbours in each chunk (272 buckets), verifies each candidate's full distance, and deduplicates
 * with a generation-stamped Uint32Array (checked only for candidates that pass, to save cache misses). Radii 32–47 probe two-bit neighbours (137 per chunk); larger radii fall back to
 * a scan, so every radius stays exact.
 *
 * The CSR tables are immutable; new rows go to a small pending tail that is scanned linearly and merged (rebuilt) once
 * it grows past a threshold. Deletes set a tombstone; compaction rewrites the arrays when a quarter are dead.
 */
import { hammingWords, toWords } from '../hash/hasher.js';
import { checkEntry, checkSearchOptions, finishHits, type HammingIndex, type IndexHit, type SearchOptions } from './hamming-index.js';

const CHUNKS = 16;
const BUCKETS = 65536;

/** Tuning knobs; defaults suit 10k–10M hashes. */
export interface MihOptions {
  /** Smallest pending tail that triggers a merge (default 4096). */
  minPending?: number;
  /** Largest pending tail before a merge regardless of size (default 65536). */
  maxPending?: number;
}

/** Multi-index hashing index over 256-bit hashes; exact for every radius. */
export class MihIndex implements HammingIndex {
  private words = new Uint32Array(8 * 1024);
  private keys = new Uint32Array(1024);
  private dead = new Uint8Array(1024);
  private stamp = new Uint32Array(1024);
  private gen = 0;
  /** Rows in use (live + dead). */
  private n = 0;
  private deadCount = 0;
  /** Rows [0, indexed) are in the CSR tables; rows [indexed, n) are the pending tail. */
  private indexed = 0;
  private offsets: Uint32Array = new Uint32Array(0);
  private rows: Uint32Array = new Uint32Array(0);
  private readonly q = new Uint32Array(8);
  private readonly qc = new Uint16Array(CHUNKS);
  private readonly minPending: number;
  private readonly maxPending: number;

  constructor(opts: MihOptions = {}) {
    this.minPending = opts.minPending ?? 4096;
    this.maxPending = Math.max(this.minPending, opts.maxPending ?? 65536);
  }

  get size(): number {
    return this.n - this.deadCount;
  }

  private reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.keys.length) return;
    // Double for one-by-one inserts, but size a bulk load exactly (memory is the budget at 10M hashes).
    const cap = need > this.keys.length * 2 ? need : this.keys.length * 2;
    const w = new Uint32Array(cap * 8);
    w.set(this.words.subarray(0, this.n * 8));
    const k = new Uint32Array(cap);
    k.set(this.keys.subarray(0, this.n));
    const d = new Uint8Array(cap);
    d.set(this.dead.subarray(0, this.n));
    this.words = w;
    this.keys = k;
    this.dead = d;
    this.stamp = new Uint32Array(cap);
    this.gen = 0;
  }

  add(key: number, hash: Uint8Array): void {
    checkEntry(key, hash);
    this.reserve(1);
    toWords(hash, this.words, this.n * 8);
    this.keys[this.n++] = key;
    this.maybeMerge();
  }

  addMany(keys: Uint32Array, hashes: Uint8Array): void {
    if (hashes.length !== keys.length * 32) checkEntry(0, hashes.subarray(0, 1));
    this.reserve(keys.length);
    for (let i = 0; i < keys.length; i++) {
      toWords(hashes.subarray(i * 32, i * 32 + 32), this.words, this.n * 8);
      this.keys[this.n++] = keys[i]!;
    }
    this.maybeMerge();
  }

  private maybeMerge(): void {
    const pending = this.n - this.indexed;
    const limit = Math.min(this.maxPending, Math.max(this.minPending, this.indexed >>> 6));
    if (pending > limit) this.rebuild();
  }

  /** Rebuilds the 16 CSR tables over all rows (counting sort per chunk; rows stay in ascending order per bucket). */
  rebuild(): void {
    const n = this.n;
    const offsets = new Uint32Array(CHUNKS * (BUCKETS + 1));
    const rows = new Uint32Array(CHUNKS * n);
    const words = this.words;
    for (let c = 0; c < CHUNKS; c++) {
      const w = c >> 1;
      const shift = c & 1 ? 0 : 16;
      const ob = c * (BUCKETS + 1);
      for (let i = 0; i < n; i++) offsets[ob + ((words[i * 8 + w]! >>> shift) & 0xffff) + 1]!++;
      for (let v = 0; v < BUCKETS; v++) offsets[ob + v + 1]! += offsets[ob + v]!;
      const rb = c * n;
      const cursor = offsets.slice(ob, ob + BUCKETS);
      for (let i = 0; i < n; i++) {
        const v = (words[i * 8 + w]! >>> shift) & 0xffff;
        rows[rb + cursor[v]!++] = i;
      }
    }
    this.offsets = offsets;
    this.rows = rows;
    this.indexed = n;
  }

  remove(key: number, hash?: Uint8Array): number {
    checkEntry(key, hash);
    let removed = 0;
    const kill = (i: number): void => {
      if (this.keys[i] === key && !this.dead[i]) {
        this.dead[i] = 1;
        this.deadCount++;
        removed++;
      }
    };
    if (hash && this.indexed > 0) {
      // Every row holding this hash sits in chunk 0's bucket for the hash's first 16 bits.
      const v = (hash[0]! << 8) | hash[1]!;
      for (let p = this.offsets[v]!, e = this.offsets[v + 1]!; p < e; p++) kill(this.rows[p]!);
      for (let i = this.indexed; i < this.n; i++) kill(i);
    } else {
      for (let i = 0; i < this.n; i++) kill(i);
    }
    if (this.deadCount > 1024 && this.deadCount * 4 > this.n) this.compact();
    return removed;
  }

  /** Drops tombstoned rows and rebuilds the tables. */
  compact(): void {
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.dead[i]) continue;
      if (i !== j) {
        this.words.copyWithin(j * 8, i * 8, i * 8 + 8);
        this.keys[j] = this.keys[i]!;
      }
      j++;
    }
    this.n = j;
    this.dead.fill(0);
    this.deadCount = 0;
    this.rebuild();
  }

  search(query: Uint8Array, opts?: SearchOptions): IndexHit[] {
    const { radius, top } = checkSearchOptions(opts);
    checkEntry(0, query);
    const hits: IndexHit[] = [];
    if (this.n === 0) return hits;
    const q = toWords(query, this.q);
    const words = this.words;
    const keys = this.keys;
    const dead = this.dead;
    const s = radius >> 4; // bits a matching chunk may differ by (pigeonhole over 16 chunks)
    if (s >= 3) {
      for (let i = 0; i < this.n; i++) {
        if (dead[i]) continue;
        const d = hammingWords(words, i, q);
        if (d <= radius) hits.push({ key: keys[i]!, distance: d });
      }
      return finishHits(hits, top);
    }
    if (this.indexed > 0) {
      if (++this.gen === 0xffffffff) {
        this.stamp.fill(0);
        this.gen = 1;
      }
      const gen = this.gen;
      const stamp = this.stamp;
      const offsets = this.offsets;
      const rows = this.rows;
      const nIdx = this.indexed;
      const qc = this.qc;
      for (let c = 0; c < CHUNKS; c++) qc[c] = (q[c >> 1]! >>> (c & 1 ? 0 : 16)) & 0xffff;
      for (let c = 0; c < CHUNKS; c++) {
        const ob = c * (BUCKETS + 1);
        const rb = c * nIdx;
        const v0 = qc[c]!;
        // Probe v0, then its 1-bit neighbours, then (radius ≥ 32) its 2-bit neighbours.
        for (let a = -1; a < (s >= 1 ? 16 : 0); a++) {
          const va = a < 0 ? v0 : v0 ^ (1 << a);
          for (let b = a < 0 || s < 2 ? 16 : a + 1; b <= 16; b++) {
            const v = b === 16 ? va : va ^ (1 << b);
            const end = rb + offsets[ob + v + 1]!;
            for (let p = rb + offsets[ob + v]!; p < end; p++) {
              // Verify first, dedup after: most candidates fail the distance test, and touching only the hash
              // (not the stamp and tombstone arrays too) costs one cache miss per candidate instead of three.
              const i = rows[p]!;
              const d = hammingWords(words, i, q);
              if (d > radius || stamp[i] === gen) continue;
              stamp[i] = gen;
              if (!dead[i]) hits.push({ key: keys[i]!, distance: d });
            }
          }
        }
      }
    }
    for (let i = this.indexed; i < this.n; i++) {
      if (dead[i]) continue;
      const d = hammingWords(words, i, q);
      if (d <= radius) hits.push({ key: keys[i]!, distance: d });
    }
    return finishHits(hits, top);
  }

  memoryBytes(): number {
    return this.words.byteLength + this.keys.byteLength + this.dead.byteLength + this.stamp.byteLength + this.offsets.byteLength + this.rows.byteLength;
  }
}
