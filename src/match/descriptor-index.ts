/**
 * Candidate retrieval by local descriptors at vault scale: every image's strongest ORB descriptors (256-bit) vote for
 * the images they came from, and the few best-voted images go on to geometric verification.
 *
 * This index is deliberately *approximate*, unlike the exact PDQ index ({@link MihIndex}): it only has to put the
 * source among the top few candidates, and one image contributes hundreds of descriptors, so losing some matches costs
 * nothing while exactness costs everything at scale. Three choices keep a query's cost flat as the vault grows:
 *
 * - **Exact chunk probes.** The 256 bits are cut into 16 chunks of 16 bits; a query descriptor looks only at the rows
 *   that agree with it exactly in some chunk (16 buckets, not the 272 of an exact radius-31 search). A true match at
 *   distance d agrees exactly on a given chunk with probability about (1 − d/256)^16, so at d = 20 it is found with
 *   probability 0.994, at d = 31 with 0.89 — fine for a vote over hundreds of descriptors.
 * - **Template descriptors drop out.** A descriptor that hits more than `maxImagesPerDescriptor` images (an issuer's
 *   card design, shared by every card of that design) stops being scanned and gives no vote: its 1/k share was
 *   negligible anyway, and scanning it was what made retrieval cost grow with the number of look-alikes.
 * - **Crowded buckets are skipped.** A chunk value held by more than 4× the average number of rows (and 8× the cap)
 *   is a template fragment; the descriptor's 15 other chunks still find its true matches.
 * - **An inline signature.** Next to each row in chunk c's table sits the row's *next* chunk (c+1 mod 16); a row whose
 *   signature differs from the query's in more than 3 of 16 bits is rejected without reading the row. A random row
 *   passes with probability 0.011; a true match fails the test in one probe with probability 0.003 at d = 10, 0.03 at
 *   d = 20 and 0.12 at d = 31, and a match is usually probed through more than one exact chunk. This matters because
 *   at 10M rows the row reads are random accesses into a 320 MB array (cache and TLB misses: ~180 ns each, measured),
 *   while the signatures are read sequentially with the bucket. Slack 5 → 3 took the vote from 190 to 90 ms per
 *   leaked file at 100k images (bench:investigate) with identical bench:recall results. (It also changed which
 *   look-alikes a phone photo of a distractor card proposed, and one passed pixel verification in leak case 104:
 *   the investigation's MRZ cross-check now rejects it.)
 *
 * Layout: rows are addressed by a dense row number; `img[row]` is the image ordinal (no per-row objects or maps — a
 * 100k-image vault is 10–30M rows). Per chunk a CSR table (`offsets`, `rows`) built by counting sort; new rows go to a
 * pending tail scanned linearly and merged when it grows. Removing an image marks its ordinal dead; compaction rewrites
 * the rows once a quarter are dead. Memory: 132 bytes per descriptor (32 hash + 4 image + 16 × (4 row + 2 signature)).
 */
import { hammingWords, toWords } from '../hash/hasher.js';
import { invalidArgument } from '../core/errors.js';

const CHUNKS = 16;
const BUCKETS = 65536;
/** Most differing bits between a row's and the query's signature chunk (see the file comment). */
export const SIGNATURE_SLACK = 3;

/** Value of 16-bit chunk c (MSB first) of the row whose words start at `o`. */
function chunk16(words: Uint32Array, o: number, c: number): number {
  return (words[o + (c >>> 1)]! >>> (c & 1 ? 0 : 16)) & 0xffff;
}

/** Bits set in a 16-bit value. */
function popcount16(x: number): number {
  x -= (x >>> 1) & 0x5555;
  x = (x & 0x3333) + ((x >>> 2) & 0x3333);
  x = (x + (x >>> 4)) & 0x0f0f;
  return (x + (x >>> 8)) & 0x1f;
}

/** Vote query options. */
export interface VoteOptions {
  /** Largest Hamming distance that counts as a descriptor match (default 31). */
  radius?: number;
  /** A query descriptor that matches more images than this gives no vote (default 32). */
  maxImagesPerDescriptor?: number;
  /** Only images of these kinds vote (default: all). */
  kinds?: readonly string[];
  /** Images need at least this many voting descriptors to be returned (default 2). */
  minVoters?: number;
  /** Return at most this many images, best first (default 64). */
  limit?: number;
}

/** One image's tally: `votes` sums 1/k over the query descriptors that hit it and k − 1 other images. */
export interface ImageVote {
  imageId: string;
  kind: string;
  votes: number;
  voters: number;
}

/** What a vote query did (for diagnostics and the benchmark). */
export interface VoteStats {
  descriptors: number;
  /** Query descriptors dropped as template-like (too many images). */
  dropped: number;
  /** Buckets skipped as crowded. */
  skippedBuckets: number;
  /** Rows compared. */
  compared: number;
}

/** Approximate descriptor → image voting index (see the file comment). */
export class DescriptorVoteIndex {
  // Images, by ordinal.
  private ids: string[] = [];
  private readonly ordinal = new Map<string, number>();
  private kindIds = new Uint16Array(64);
  private alive = new Uint8Array(64);
  private rowCount = new Uint32Array(64);
  private readonly kindNames: string[] = [];
  private liveImages = 0;
  // Rows.
  private words = new Uint32Array(8 * 4096);
  private img = new Uint32Array(4096);
  private n = 0;
  private deadRows = 0;
  private indexed = 0;
  private offsets = new Uint32Array(0);
  private rows = new Uint32Array(0);
  private sigs = new Uint16Array(0);
  // Per-query scratch, sized to the image count.
  private stamp = new Uint32Array(64);
  private gen = 0;
  private acc = new Float64Array(64);
  private voters = new Uint32Array(64);
  private readonly q = new Uint32Array(8);
  /** What the last {@link vote} did. */
  lastStats: VoteStats = { descriptors: 0, dropped: 0, skippedBuckets: 0, compared: 0 };

  /** Live images. */
  get images(): number {
    return this.liveImages;
  }

  /** Live descriptor rows. */
  get size(): number {
    return this.n - this.deadRows;
  }

  /**
   * Indexes an image's packed descriptors (32 bytes each, strongest first), at most `limit` of them, replacing what
   * was indexed for it. Call {@link rebuild} after a bulk load; single adds merge by themselves.
   */
  addImage(imageId: string, kind: string, packed: Uint8Array, limit = Number.POSITIVE_INFINITY, opts: { deferMerge?: boolean } = {}): number {
    if (packed.length % 32 !== 0) throw invalidArgument('descriptors', 'a multiple of 32 bytes', `${packed.length} bytes`);
    this.removeImage(imageId);
    const count = Math.min(packed.length / 32, limit);
    const o = this.ids.length;
    this.ids.push(imageId);
    this.ordinal.set(imageId, o);
    this.growImages(o + 1);
    let k = this.kindNames.indexOf(kind);
    if (k < 0) {
      k = this.kindNames.length;
      this.kindNames.push(kind);
    }
    this.kindIds[o] = k;
    this.alive[o] = 1;
    this.rowCount[o] = count;
    this.liveImages++;
    this.reserveRows(count);
    for (let i = 0; i < count; i++) {
      toWords(packed.subarray(i * 32, i * 32 + 32), this.words, this.n * 8);
      this.img[this.n++] = o;
    }
    if (!opts.deferMerge && this.n - this.indexed > Math.max(4096, this.indexed >>> 6)) this.rebuild();
    return count;
  }

  /** Stops an image from voting; its rows are dropped at the next compaction. */
  removeImage(imageId: string): boolean {
    const o = this.ordinal.get(imageId);
    if (o === undefined) return false;
    this.ordinal.delete(imageId);
    if (this.alive[o] !== 1) return false;
    this.alive[o] = 0;
    this.liveImages--;
    this.deadRows += this.rowCount[o]!;
    if (this.deadRows > 4096 && this.deadRows * 4 > this.n) this.compact();
    return true;
  }

  private growImages(need: number): void {
    if (need <= this.alive.length) return;
    const cap = Math.max(need, this.alive.length * 2);
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.kindIds = grow(this.kindIds, (n) => new Uint16Array(n));
    this.alive = grow(this.alive, (n) => new Uint8Array(n));
    this.rowCount = grow(this.rowCount, (n) => new Uint32Array(n));
    this.stamp = new Uint32Array(cap);
    this.gen = 0;
    this.acc = new Float64Array(cap);
    this.voters = new Uint32Array(cap);
  }

  private reserveRows(extra: number): void {
    const need = this.n + extra;
    if (need <= this.img.length) return;
    const len = this.img.length;
    const cap = Math.max(need, len < 1 << 22 ? len * 2 : len + (len >>> 2));
    const w = new Uint32Array(cap * 8);
    w.set(this.words.subarray(0, this.n * 8));
    const m = new Uint32Array(cap);
    m.set(this.img.subarray(0, this.n));
    this.words = w;
    this.img = m;
  }

  /** Rebuilds the chunk tables over all rows (counting sort per chunk). */
  rebuild(): void {
    const n = this.n;
    this.offsets = new Uint32Array(0);
    this.rows = new Uint32Array(0);
    this.sigs = new Uint16Array(0);
    const offsets = new Uint32Array(CHUNKS * (BUCKETS + 1));
    const rows = new Uint32Array(CHUNKS * n);
    const sigs = new Uint16Array(CHUNKS * n);
    const words = this.words;
    const cursor = new Uint32Array(BUCKETS);
    for (let c = 0; c < CHUNKS; c++) {
      const ob = c * (BUCKETS + 1);
      const w = c >>> 1;
      const shift = c & 1 ? 0 : 16;
      for (let i = 0; i < n; i++) offsets[ob + ((words[i * 8 + w]! >>> shift) & 0xffff) + 1]!++;
      for (let v = 0; v < BUCKETS; v++) offsets[ob + v + 1]! += offsets[ob + v]!;
      cursor.set(offsets.subarray(ob, ob + BUCKETS));
      const rb = c * n;
      const sc = (c + 1) % CHUNKS;
      for (let i = 0; i < n; i++) {
        const at = rb + cursor[(words[i * 8 + w]! >>> shift) & 0xffff]!++;
        rows[at] = i;
        sigs[at] = chunk16(words, i * 8, sc);
      }
    }
    this.offsets = offsets;
    this.rows = rows;
    this.sigs = sigs;
    this.indexed = n;
  }

  /** Drops the rows of removed images and rebuilds the tables. */
  compact(): void {
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.alive[this.img[i]!] !== 1) continue;
      if (i !== j) {
        this.words.copyWithin(j * 8, i * 8, i * 8 + 8);
        this.img[j] = this.img[i]!;
      }
      j++;
    }
    this.n = j;
    this.deadRows = 0;
    this.rebuild();
  }

  /**
   * Tallies the images hit by the query's packed descriptors, best first (ties by image id). Each descriptor spreads
   * one vote over the images it hits, so descriptors shared by a few look-alikes weigh less than person-specific ones.
   */
  vote(query: Uint8Array, opts: VoteOptions = {}): ImageVote[] {
    if (query.length % 32 !== 0) throw invalidArgument('query', 'a multiple of 32 bytes', `${query.length} bytes`);
    const radius = opts.radius ?? 31;
    const cap = opts.maxImagesPerDescriptor ?? 32;
    const minVoters = opts.minVoters ?? 2;
    const limit = opts.limit ?? 64;
    const stats: VoteStats = { descriptors: query.length / 32, dropped: 0, skippedBuckets: 0, compared: 0 };
    this.lastStats = stats;
    if (this.n === 0) return [];
    const kindOk = new Uint8Array(Math.max(1, this.kindNames.length));
    this.kindNames.forEach((k, i) => (kindOk[i] = !opts.kinds || opts.kinds.includes(k) ? 1 : 0));
    // Buckets far above the average occupancy hold a template fragment (see the file comment): if their rows matched
    // they would exceed the per-descriptor cap many times over, and if they do not, scanning them is wasted.
    const crowded = Math.max(8 * cap, Math.ceil((4 * this.indexed) / BUCKETS));
    const { words, img, alive, kindIds, stamp, acc, voters, offsets, rows, sigs } = this;
    const q = this.q;
    const nIdx = this.indexed;
    const found = new Uint32Array(cap + 1);
    const touched: number[] = [];
    let compared = 0;
    for (let d = 0; d < stats.descriptors; d++) {
      toWords(query.subarray(d * 32, d * 32 + 32), q);
      if (++this.gen === 0xffffffff) {
        stamp.fill(0);
        this.gen = 1;
      }
      const gen = this.gen;
      let k = 0;
      // The distance first: almost every candidate fails it, and it touches one cache line (the row's 32 bytes)
      // where the image checks touch three scattered arrays.
      const consider = (row: number): boolean => {
        compared++;
        if (hammingWords(words, row, q) > radius) return true;
        const o = img[row]!;
        if (stamp[o] === gen || alive[o] !== 1 || kindOk[kindIds[o]!] !== 1) return true;
        stamp[o] = gen;
        found[k++] = o;
        return k <= cap;
      };
      let ok = true;
      let probed = nIdx === 0 ? 0xffff : 0; // bit c set: chunk c's bucket was probed (not crowded)
      for (let c = 0; c < CHUNKS && ok && nIdx > 0; c++) {
        const v = chunk16(q, 0, c);
        const sig = chunk16(q, 0, (c + 1) % CHUNKS);
        const ob = c * (BUCKETS + 1);
        const start = offsets[ob + v]!;
        const end = offsets[ob + v + 1]!;
        if (end - start > crowded) {
          stats.skippedBuckets++;
          continue;
        }
        probed |= 1 << c;
        const rb = c * nIdx;
        for (let p = rb + start; p < rb + end; p++) {
          if (popcount16(sigs[p]! ^ sig) > SIGNATURE_SLACK) continue;
          if (!consider(rows[p]!)) {
            ok = false;
            break;
          }
        }
      }
      // The pending tail follows the same rule as the tables (a probed chunk equal), so results do not depend on when
      // the tables were last merged.
      for (let row = nIdx; row < this.n && ok; row++) {
        let hit = false;
        for (let c = 0; c < CHUNKS && !hit; c++) {
          const sc = (c + 1) % CHUNKS;
          hit = (probed & (1 << c)) !== 0 && chunk16(words, row * 8, c) === chunk16(q, 0, c) && popcount16(chunk16(words, row * 8, sc) ^ chunk16(q, 0, sc)) <= SIGNATURE_SLACK;
        }
        if (hit) ok = consider(row);
      }
      if (!ok) {
        stats.dropped++;
        continue;
      }
      const share = 1 / k;
      for (let i = 0; i < k; i++) {
        const o = found[i]!;
        if (voters[o] === 0) touched.push(o);
        acc[o] = acc[o]! + share;
        voters[o] = voters[o]! + 1;
      }
    }
    stats.compared = compared;
    const out: ImageVote[] = [];
    for (const o of touched) {
      if (voters[o]! >= minVoters) out.push({ imageId: this.ids[o]!, kind: this.kindNames[kindIds[o]!]!, votes: acc[o]!, voters: voters[o]! });
      acc[o] = 0;
      voters[o] = 0;
    }
    out.sort((a, b) => b.votes - a.votes || (a.imageId < b.imageId ? -1 : 1));
    if (out.length > limit) out.length = limit;
    return out;
  }
}
