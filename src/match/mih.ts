/**
 * Exact Hamming-radius search by multi-index hashing (Norouzi, Punjani & Fleet), with a flat, cache-friendly layout.
 *
 * The 256-bit hash is cut into m chunks of w bits. If two hashes differ in at most r bits, then by the pigeonhole
 * principle at least one chunk differs in at most ⌊r/m⌋ bits. The default layout is 16 chunks × 16 bits (the persisted
 * scheme, see src/storage/hashes/sqlite.ts): for r ≤ 31 a match agrees with the query up to one bit in some chunk, so a
 * query probes each chunk's value and its 16 one-bit neighbours (272 buckets). From about 3 M hashes on, buckets of 16
 * bits hold so many rows that verifying candidates dominates; the index then switches to 11 chunks × 23 bits (253 bits
 * covered — ignoring 3 bits keeps the pigeonhole bound valid, since a distance ≤ r over 256 bits is ≤ r over any
 * subset) and probes up to two-bit neighbours (3,047 buckets of ~1 row each instead of 272 buckets of ~150 rows).
 *
 * Per chunk a CSR table: `offsets[v] … offsets[v+1]` delimits the rows whose chunk equals v in one Uint32Array of row
 * numbers — no hash maps, no per-bucket objects. Candidates are verified on the full 256 bits first and deduplicated
 * after (generation-stamped Uint32Array), because most candidates fail and touching only the hash costs one cache miss
 * instead of three. Radii beyond what the probes cover fall back to a scan, so every radius is exact.
 *
 * The CSR tables are immutable; new rows go to a small pending tail that is scanned linearly and merged (rebuilt) once
 * it grows past a threshold. Deletes set a tombstone; compaction rewrites the arrays when a quarter are dead.
 */
import { hammingWords, toWords } from '../hash/hasher.js';
import { checkEntry, checkSearchOptions, finishHits, type HammingIndex, type IndexHit, type SearchOptions } from './hamming-index.js';

/** Chunk layout of the CSR tables. */
export interface MihLayout {
  /** Bits per chunk (16 … 24). */
  bits: number;
  /** Number of chunks (⌊256 / bits⌋; leftover bits are not indexed, only verified). */
  chunks: number;
}

/** Tuning knobs; defaults suit 10k–10M hashes. */
export interface MihOptions {
  /** Smallest pending tail that triggers a merge (default 4096). */
  minPending?: number;
  /** Largest pending tail before a merge regardless of size (default 65536). */
  maxPending?: number;
  /** Force a chunk width instead of choosing by size (16 = the classic 16 × 16 layout). */
  chunkBits?: number;
}

/** Chooses the chunk width for n hashes: 16 bits below ~3 M rows, 23 bits above (see the file comment). */
export function chooseLayout(n: number, forcedBits?: number): MihLayout {
  const bits = forcedBits ?? (n >= 3_000_000 ? 23 : 16);
  return { bits, chunks: Math.floor(256 / bits) };
}

/** Value of the chunk of `bits` bits starting at bit `off` (MSB first) of the hash at word offset `base`. */
function chunkAt(words: Uint32Array, base: number, off: number, bits: number): number {
  const wi = off >>> 5;
  const bo = off & 31;
  let x = (words[base + wi]! << bo) >>> 0;
  if (bo + bits > 32) x = (x | (words[base + wi + 1]! >>> (32 - bo))) >>> 0;
  return x >>> (32 - bits);
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
  private layout: MihLayout = { bits: 16, chunks: 16 };
  private offsets: Uint32Array = new Uint32Array(0);
  private rows: Uint32Array = new Uint32Array(0);
  private readonly q = new Uint32Array(8);
  private readonly minPending: number;
  private readonly maxPending: number;
  private readonly forcedBits: number | undefined;

  constructor(opts: MihOptions = {}) {
    this.minPending = opts.minPending ?? 4096;
    this.maxPending = Math.max(this.minPending, opts.maxPending ?? 65536);
    if (opts.chunkBits !== undefined && (!Number.isInteger(opts.chunkBits) || opts.chunkBits < 8 || opts.chunkBits > 24)) {
      throw new RangeError(`chunkBits must be an integer 8–24, got ${opts.chunkBits}`);
    }
    this.forcedBits = opts.chunkBits;
  }

  get size(): number {
    return this.n - this.deadCount;
  }

  /** The chunk layout of the current tables. */
  get currentLayout(): MihLayout {
    return { ...this.layout };
  }

  private reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.keys.length) return;
    // Grow geometrically for one-by-one inserts (×2 while small, ×1.125 past 1M rows: memory is the budget at 10M
    // hashes), but size a bulk load exactly.
    const len = this.keys.length;
    const grown = len < 1 << 20 ? len * 2 : len + (len >>> 3);
    const cap = Math.max(need, grown);
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

  /** Rebuilds the CSR tables over all rows (counting sort per chunk; rows stay in ascending order per bucket). */
  rebuild(): void {
    const n = this.n;
    const layout = chooseLayout(n, this.forcedBits);
    const { bits, chunks } = layout;
    const buckets = 2 ** bits;
    // Drop the old tables first so a rebuild at 10M does not hold two copies.
    this.offsets = new Uint32Array(0);
    this.rows = new Uint32Array(0);
    const offsets = new Uint32Array(chunks * (buckets + 1));
    const rows = new Uint32Array(chunks * n);
    const words = this.words;
    const vals = new Uint32Array(n);
    for (let c = 0; c < chunks; c++) {
      const off = c * bits;
      const ob = c * (buckets + 1);
      for (let i = 0; i < n; i++) {
        const v = chunkAt(words, i * 8, off, bits);
        vals[i] = v;
        offsets[ob + v + 1]!++;
      }
      for (let v = 0; v < buckets; v++) offsets[ob + v + 1]! += offsets[ob + v]!;
      const rb = c * n;
      const cursor = offsets.slice(ob, ob + buckets);
      for (let i = 0; i < n; i++) rows[rb + cursor[vals[i]!]!++] = i;
    }
    this.layout = layout;
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
      // Every row holding this hash sits in chunk 0's bucket for the hash's first bits.
      const v = chunkAt(toWords(hash), 0, 0, this.layout.bits);
      for (let p = this.offsets[v]!, e = this.offsets[v + 1]!; p < e; p++) kill(this.rows[p]!);
      for (let i = this.indexed; i < this.n; i++) kill(i);
    } else {
      for (let i = 0; i < this.n; i++) kill(i);
    }
    if (this.deadCount > 1024 && this.deadCount * 4 > this.n) this.compact();
    return removed;
  }

  /** Deletes every entry whose key is in `keys` in one pass (for replacing an image's hundreds of descriptor rows). */
  removeKeys(keys: ReadonlySet<number>): number {
    if (keys.size === 0) return 0;
    let removed = 0;
    for (let i = 0; i < this.n; i++) {
      if (!this.dead[i] && keys.has(this.keys[i]!)) {
        this.dead[i] = 1;
        this.deadCount++;
        removed++;
      }
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
    const { bits, chunks } = this.layout;
    const s = Math.floor(radius / chunks); // bits a matching chunk may differ by (pigeonhole)
    if (s >= 3) {
      // The probes would outnumber the rows: scan (still exact).
      for (let i = 0; i < this.n; i++) {
        if (dead[i]) continue;
        const d = hammingWords(words, i, q);
        if (d <= radius) hits.push({ key: keys[i]!, distance: d });
      }
      return finishHits(hits, top);
    }
    if (++this.gen === 0xffffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
    const gen = this.gen;
    const stamp = this.stamp;
    const offsets = this.offsets;
    const rows = this.rows;
    const nIdx = this.indexed;
    const buckets1 = 2 ** bits + 1;
    for (let c = 0; c < chunks; c++) {
      const ob = c * buckets1;
      const rb = c * nIdx;
      const v0 = chunkAt(q, 0, c * bits, bits);
      // Probe v0, then its 1-bit neighbours, then (when s = 2) its 2-bit neighbours, each exactly once.
      for (let a = -1; a < (s >= 1 ? bits : 0); a++) {
        const va = a < 0 ? v0 : v0 ^ (1 << a);
        for (let b = a < 0 || s < 2 ? bits : a + 1; b <= bits; b++) {
          const v = b === bits ? va : va ^ (1 << b);
          const end = rb + offsets[ob + v + 1]!;
          for (let p = rb + offsets[ob + v]!; p < end; p++) {
            const i = rows[p]!;
            const d = hammingWords(words, i, q);
            if (d > radius || stamp[i] === gen) continue;
            stamp[i] = gen;
            if (!dead[i]) hits.push({ key: keys[i]!, distance: d });
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
