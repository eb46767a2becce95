/**
 * The interface every Hamming-radius index implements: keys are uint32 row ids chosen by the caller (the hash store's
 * row id), values are 256-bit hashes. Two implementations share it: {@link LinearScanIndex} (the oracle for tests and
 * the benchmark baseline) and {@link MihIndex} (multi-index hashing, exact, for speed).
 */
import { invalidArgument } from '../core/errors.js';

/** Default search radius for PDQ: the reference's recommended match threshold (≤ 31 of 256 bits). */
export const DEFAULT_RADIUS = 31;

/** One hit of a search: the caller's key and the Hamming distance to the query. */
export interface IndexHit {
  key: number;
  distance: number;
}

/** Options for a search. */
export interface SearchOptions {
  /** Largest Hamming distance returned (default 31). */
  radius?: number;
  /** Return at most this many hits, nearest first (default: all). */
  top?: number;
}

/** Exact Hamming-radius search over 256-bit hashes, with insert and delete. */
export interface HammingIndex {
  /** Number of live (not deleted) entries. */
  readonly size: number;
  /** Adds one hash under `key` (a uint32). The same key may be added more than once (e.g. several hashes of an image). */
  add(key: number, hash: Uint8Array): void;
  /** Adds many hashes at once: `hashes` holds keys.length × 32 bytes. Faster than repeated add(). */
  addMany(keys: Uint32Array, hashes: Uint8Array): void;
  /** Deletes every entry with this key; returns how many were deleted. Pass the hash when known (faster). */
  remove(key: number, hash?: Uint8Array): number;
  /** All entries within `radius` of the query, sorted by distance then key. An empty index gives []. */
  search(query: Uint8Array, opts?: SearchOptions): IndexHit[];
  /** Bytes held by the index's arrays (for the memory benchmark). */
  memoryBytes(): number;
}

/** Validates search options at the boundary; radius must be an integer 0–256. */
export function checkSearchOptions(opts: SearchOptions | undefined): { radius: number; top: number } {
  const radius = opts?.radius ?? DEFAULT_RADIUS;
  const top = opts?.top ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(radius) || radius < 0 || radius > 256) throw invalidArgument('radius', 'an integer between 0 and 256', radius);
  if (top !== Number.POSITIVE_INFINITY && (!Number.isInteger(top) || top < 1)) throw invalidArgument('top', 'a positive integer', top);
  return { radius, top };
}

/** Validates a key and a hash given to add/remove. */
export function checkEntry(key: number, hash: Uint8Array | undefined): void {
  if (!Number.isInteger(key) || key < 0 || key > 0xffffffff) throw invalidArgument('key', 'an integer between 0 and 2^32-1', key);
  if (hash !== undefined && hash.length !== 32) throw invalidArgument('hash', '32 bytes', `${hash.length} bytes`);
}

/** Sorts hits nearest first (ties by key) and cuts to `top`. */
export function finishHits(hits: IndexHit[], top: number): IndexHit[] {
  hits.sort((a, b) => a.distance - b.distance || a.key - b.key);
  if (hits.length > top) hits.length = top;
  return hits;
}
