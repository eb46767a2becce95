/**
 * Linear-scan Hamming index: compares the query with every stored hash. Obviously correct, so it is the oracle in the
 * randomised tests and the baseline in `npm run bench:index`.
 */
import { hammingWords, toWords } from '../hash/hasher.js';
import { checkEntry, checkSearchOptions, finishHits, type HammingIndex, type IndexHit, type SearchOptions } from './hamming-index.js';

/** Flat arrays (8 words per hash, one key per row), deleted rows removed by swapping in the last row. */
export class LinearScanIndex implements HammingIndex {
  private words = new Uint32Array(8 * 1024);
  private keys = new Uint32Array(1024);
  private n = 0;
  private readonly q = new Uint32Array(8);

  get size(): number {
    return this.n;
  }

  private reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.keys.length) return;
    let cap = this.keys.length;
    while (cap < need) cap *= 2;
    const w = new Uint32Array(cap * 8);
    w.set(this.words.subarray(0, this.n * 8));
    const k = new Uint32Array(cap);
    k.set(this.keys.subarray(0, this.n));
    this.words = w;
    this.keys = k;
  }

  add(key: number, hash: Uint8Array): void {
    checkEntry(key, hash);
    this.reserve(1);
    toWords(hash, this.words, this.n * 8);
    this.keys[this.n++] = key;
  }

  addMany(keys: Uint32Array, hashes: Uint8Array): void {
    this.reserve(keys.length);
    for (let i = 0; i < keys.length; i++) {
      toWords(hashes.subarray(i * 32, i * 32 + 32), this.words, this.n * 8);
      this.keys[this.n++] = keys[i]!;
    }
  }

  remove(key: number, hash?: Uint8Array): number {
    checkEntry(key, hash);
    let removed = 0;
    for (let i = 0; i < this.n; ) {
      if (this.keys[i] === key) {
        const last = --this.n;
        this.keys[i] = this.keys[last]!;
        this.words.copyWithin(i * 8, last * 8, last * 8 + 8);
        removed++;
      } else i++;
    }
    return removed;
  }

  search(query: Uint8Array, opts?: SearchOptions): IndexHit[] {
    const { radius, top } = checkSearchOptions(opts);
    checkEntry(0, query);
    const q = toWords(query, this.q);
    const hits: IndexHit[] = [];
    for (let i = 0; i < this.n; i++) {
      const d = hammingWords(this.words, i, q);
      if (d <= radius) hits.push({ key: this.keys[i]!, distance: d });
    }
    return finishHits(hits, top);
  }

  memoryBytes(): number {
    return this.words.byteLength + this.keys.byteLength;
  }
}
