/**
 * Finds the vault image a leaked copy came from: PDQ (8 dihedral variants, so rotated/mirrored copies are found)
 * through the multi-index Hamming index, plus local-feature retrieval for crops, screenshots and cards photographed
 * in selfies — the strongest ORB descriptors of every image sit in a second Hamming index, vote for candidate images,
 * and each candidate is verified geometrically (RANSAC homography) against its stored full feature set.
 *
 * Only hashes and features are needed: the vault is never decrypted to search it.
 */
import type { Raster } from '../image/decode.js';
import { createPdqHasher } from '../hash/pdq.js';
import { PDQ_CANONICAL_ALGO, areaDownsample, pdqCanonical } from '../hash/pdq-canonical.js';
import { FEATURES_ALGO, concatFeatures, deserializeFeatures, extractFeatures, fitHomography, fitSimilarity, matchFeatures, putativeMatches, serializeFeatures, type FeatureMatch, type Features, type PutativeMatches } from '../hash/features.js';
import type { HashStore } from '../storage/hashes/hash-store.js';
import { MihIndex } from './mih.js';
import { DescriptorVoteIndex, type VoteStats } from './descriptor-index.js';
import { DEFAULT_RADIUS } from './hamming-index.js';
import { invalidArgument } from '../core/errors.js';

/** Hash algorithm id of whole-image PDQ rows. */
export const PDQ_ALGO = 'pdq-v1';
/** Algorithm id of the packed, indexed ORB descriptors (candidate retrieval only); follows FEATURES_ALGO (v2). */
export const ORB_DESC_ALGO = 'orb-desc-v2';

/** Tuning of retrieval and acceptance; the defaults are what bench:recall measured at 0 false matches. */
export interface MatcherOptions {
  /** ORB descriptors per image stored for retrieval (default 300). */
  indexedDescriptors?: number;
  /**
   * Most descriptor rows held in memory (default 12M, about 1.2 GB): past it, fewer (strongest-first) descriptors
   * per image are loaded — never fewer than 64.
   */
  maxDescriptorRows?: number;
  /** Largest Hamming distance of a descriptor match in the vote (default 31 of 256 bits). */
  descriptorRadius?: number;
  /** A query descriptor hitting more images than this is template-like and gives no vote (default 32). */
  maxImagesPerDescriptor?: number;
  /** Candidates (by descriptor votes) verified geometrically (default 10: verifying is cheap next to missing the source). */
  verifyTop?: number;
  /** Further candidates verified when the first `verifyTop` give no clear winner (default 20). */
  verifyMore?: number;
  /** Inliers needed to accept a feature match (default 16). */
  minInliers?: number;
  /**
   * Weak evidence, used only when no candidate reaches `minInliers`: a homography with this many inliers and
   * `distinctRatio` × every other candidate's (default 10), or a similarity fit with 4 on the image that dominates
   * the descriptor vote. Such a candidate is handed on as a runner-up (`confident: false`), never as a match.
   */
  weakInliers?: number;
  /** PDQ hits at or below this distance are accepted without feature verification (default 10). */
  pdqTrustedDistance?: number;
  /** Search radius of the canonical 128 px rendition's PDQ (default 16; see src/hash/pdq-canonical.ts). */
  canonicalRadius?: number;
  /**
   * Image kinds made from a shared template (default id_front, id_back, proof_of_address): two people's documents of
   * one issuer sit 24–60 PDQ bits apart, so for these a PDQ hit beyond `pdqTrustedDistance` needs features. Other
   * kinds (selfies, photos) have no template, and any PDQ hit within the search radius is trusted, as PDQ intends: it
   * recovers copies of flat or noise-textured photos whose ORB keypoints do not survive a resize.
   */
  templateKinds?: string[];
  /**
   * Look-alikes within this factor of the best candidate's inliers are returned as runner-ups when nothing is
   * confident (default 2).
   */
  distinctRatio?: number;
  /**
   * A feature match is confident only with this many times the inliers of every other verified candidate (default 3).
   * Above `distinctRatio` on purpose: when the vault holds a single card of a design (another person's), a copy of a
   * card not in the vault matches it on the whole template and beats cards of other designs, which share only the
   * layout, by up to 2.7× (bench:recall). A source that wins by less is still returned, as a runner-up, and the
   * investigation decides on the decrypted originals.
   */
  confidentRatio?: number;
  /** Extract and use local features (default true). */
  features?: boolean;
  /**
   * How the query is analysed: one ORB pass per entry, with its long side scaled to at most `workSide`, keeping
   * `maxFeatures` keypoints, optionally contrast-equalised (CLAHE clip limit). The passes are joined. Vault images are
   * analysed once at 800 px; extra query passes recover copies whose content sits at another scale (a card filling a
   * third of a phone photo) or lost its contrast (a photographed screen).
   */
  queryPasses?: { workSide: number; maxFeatures: number; clahe?: number; maxUpscale?: number }[];
}

/** One candidate source image of a query. */
export interface MatchCandidate {
  imageId: string;
  kind: string;
  /** Smallest PDQ distance over the 8 dihedral variants, or null when found only by features. */
  distance: number | null;
  /** Which dihedral variant of the query matched (e.g. 'original', 'flipX'), when found by PDQ. */
  variant: string | null;
  /** RANSAC inliers when verified by features. */
  inliers: number | null;
  /** Candidate (original) pixel coords → query pixel coords, when verified by features. */
  homography: number[] | null;
  /** 0–1 confidence. */
  score: number;
  /** How the candidate was accepted. */
  method: 'pdq' | 'features' | 'pdq+features';
  /**
   * True when this candidate alone explains the copy (a trusted PDQ distance, or a feature match — with or without a
   * PDQ hit — with `confidentRatio` × the inliers of every other verified candidate). False for a runner-up: a
   * geometrically verified look-alike (e.g. another person's card of the same design) that needs a discriminative
   * check on the decrypted original before it can be called a match.
   */
  confident: boolean;
}

/** Search options. */
export interface MatchQueryOptions {
  radius?: number;
  top?: number;
  /** Restrict to these image kinds (e.g. ['id_front']). */
  kinds?: string[];
  /**
   * Only candidates with `confident: true`. Default false: when no candidate is confident, the verified look-alikes
   * within `distinctRatio` of the best are returned as runner-ups (`confident: false`).
   */
  confidentOnly?: boolean;
  /** Filled with what retrieval saw (PDQ hits, descriptor votes, verified inliers), for diagnostics and benchmarks. */
  explain?: MatchExplain;
}

/** Per-query diagnostics filled by {@link ImageMatcher.match} when asked (`explain`). */
export interface MatchExplain {
  /** PDQ hits within the radius (smallest distance over the dihedral variants). */
  pdq: { imageId: string; distance: number; variant: string }[];
  /** Images ranked by descriptor votes, best first (at most 30). */
  votes: { imageId: string; votes: number; voters: number }[];
  /** Every geometrically verified candidate: matches before RANSAC, inliers (0 when no plausible homography). */
  verified: { imageId: string; matches: number; inliers: number }[];
  /** What the descriptor vote did (descriptors, dropped as template-like, crowded buckets skipped, rows compared). */
  voteStats?: VoteStats;
  /** Milliseconds per stage: PDQ, ORB extraction of the query, descriptor voting, geometric verification. */
  ms?: { pdq: number; extract: number; vote: number; verify: number };
}

/** Default query analysis: the vault's own pass, a finer one and a contrast-equalised one (see bench:recall). */
const DEFAULT_QUERY_PASSES: { workSide: number; maxFeatures: number; clahe?: number; maxUpscale?: number }[] = [
  { workSide: 800, maxFeatures: 600 },
  // Not upsampled: for a small copy the first pass already is, and the native scale adds the coarser keypoints.
  { workSide: 1200, maxFeatures: 900, maxUpscale: 1 },
];

/** Inliers of a similarity fit that make the dominant vote winner a runner-up when nothing else verified. */
const WEAK_SIMILARITY_INLIERS = 4;

const VARIANTS = ['original', 'rotate90', 'rotate180', 'rotate270', 'flipX', 'flipY', 'flipPlus1', 'flipMinus1'];

/** PDQ + features for one image, ready to store. */
export interface ComputedHashes {
  pdq: { hash: Uint8Array; quality: number };
  /** PDQ of the canonical 128 px rendition (absent in hashes computed before it existed). */
  pdqCanonical?: { hash: Uint8Array; quality: number };
  features: Features | null;
}

/** The in-memory indexes over a {@link HashStore}, with ingest, delete and search. */
export class ImageMatcher {
  private pdqIndex = new MihIndex();
  /** Canonical-rendition PDQ (see src/hash/pdq-canonical.ts), searched at `canonicalRadius`. */
  private canonicalIndex = new MihIndex();
  private descIndex = new DescriptorVoteIndex();
  private readonly hasher = createPdqHasher();
  private readonly featureCache = new Map<string, Features | null>();
  /** PDQ row id → image id and kind, and image id → its PDQ rows (for replace/delete without a scan). */
  private readonly rowImage = new Map<number, { imageId: string; kind: string }>();
  private readonly imageRows = new Map<string, number[]>();
  private readonly o: Required<MatcherOptions>;

  constructor(
    private readonly store: HashStore,
    opts: MatcherOptions = {},
  ) {
    this.o = {
      indexedDescriptors: opts.indexedDescriptors ?? 300,
      maxDescriptorRows: opts.maxDescriptorRows ?? 12_000_000,
      descriptorRadius: opts.descriptorRadius ?? 31,
      maxImagesPerDescriptor: opts.maxImagesPerDescriptor ?? 32,
      verifyTop: opts.verifyTop ?? 10,
      verifyMore: opts.verifyMore ?? 20,
      minInliers: opts.minInliers ?? 16,
      weakInliers: opts.weakInliers ?? 10,
      pdqTrustedDistance: opts.pdqTrustedDistance ?? 10,
      canonicalRadius: opts.canonicalRadius ?? 16,
      templateKinds: opts.templateKinds ?? ['id_front', 'id_back', 'proof_of_address'],
      distinctRatio: opts.distinctRatio ?? 2,
      confidentRatio: opts.confidentRatio ?? 3,
      features: opts.features ?? true,
      queryPasses: opts.queryPasses ?? DEFAULT_QUERY_PASSES,
    };
  }

  /** Number of images with a PDQ hash in the index. */
  get size(): number {
    return this.pdqIndex.size;
  }

  /** Loads (or reloads) both indexes from the store: what `tracemark index rebuild` and process start do. */
  load(): { pdq: number; descriptors: number; descriptorsPerImage: number; ms: number } {
    const t = performance.now();
    this.pdqIndex = new MihIndex();
    this.canonicalIndex = new MihIndex();
    this.descIndex = new DescriptorVoteIndex();
    this.rowImage.clear();
    this.imageRows.clear();
    this.featureCache.clear();
    const info = (rows: Uint32Array, images: { imageId: string; kind: string }[]): void => {
      rows.forEach((row, i) => this.track(row, images[i]!));
    };
    const pdq = this.store.scan(PDQ_ALGO, (rows, hashes, images) => {
      this.pdqIndex.addMany(rows, hashes);
      info(rows, images);
    });
    this.store.scan(PDQ_CANONICAL_ALGO, (rows, hashes, images) => {
      this.canonicalIndex.addMany(rows, hashes);
      info(rows, images);
    });
    let perImage = 0;
    if (this.o.features) {
      perImage = this.descriptorBudget(this.store.descriptorImages(ORB_DESC_ALGO).size);
      this.store.scanDescriptors(ORB_DESC_ALGO, (imageId, kind, data) => {
        this.descIndex.addImage(imageId, kind, data, perImage, { deferMerge: true });
      });
      this.descIndex.rebuild();
    }
    this.pdqIndex.rebuild();
    this.canonicalIndex.rebuild();
    return { pdq, descriptors: this.descIndex.size, descriptorsPerImage: perImage, ms: performance.now() - t };
  }

  /**
   * Ids of the images whose stored hashes are all of the current algorithms (PDQ, and features + indexed descriptors
   * when features are on): what `tracemark index rebuild` may skip. After an algorithm change (orb-v1 → orb-v2) the
   * other images are re-hashed.
   */
  upToDate(): Set<string> {
    const canonical = this.store.hashedImages(PDQ_CANONICAL_ALGO);
    const pdq = new Set([...this.store.hashedImages(PDQ_ALGO)].filter((id) => canonical.has(id)));
    if (!this.o.features) return pdq;
    const desc = this.store.descriptorImages(ORB_DESC_ALGO);
    const feats = this.store.featureImages?.(FEATURES_ALGO) ?? desc;
    return new Set([...pdq].filter((id) => feats.has(id) && desc.has(id)));
  }

  /** Descriptors loaded per image for a vault of `images` images: all stored ones until the memory budget binds. */
  private descriptorBudget(images: number): number {
    return Math.min(this.o.indexedDescriptors, Math.max(64, Math.floor(this.o.maxDescriptorRows / Math.max(1, images))));
  }

  /** Computes PDQ and (optionally) features of decoded pixels. */
  async compute(r: Raster): Promise<ComputedHashes> {
    const pdq = this.hasher.hash(r);
    const features = this.o.features ? await extractFeatures(r) : null;
    return { pdq, pdqCanonical: pdqCanonical(r), features };
  }

  /** Hashes an image at ingest and stores + indexes it (replacing anything stored for that image id). */
  async ingest(imageId: string, kind: string, r: Raster): Promise<ComputedHashes> {
    const c = await this.compute(r);
    this.add(imageId, kind, c);
    return c;
  }

  /** Stores and indexes precomputed hashes. */
  add(imageId: string, kind: string, c: ComputedHashes): void {
    const n = c.features ? Math.min(this.o.indexedDescriptors, c.features.count) : 0;
    const packed = n > 0 ? c.features!.desc.slice(0, n * 32) : null;
    this.removeFromIndexes(imageId);
    const [row, canonicalRow] = this.store.put({
      imageId,
      kind,
      hashes: [
        { algo: PDQ_ALGO, hash: c.pdq.hash, quality: c.pdq.quality },
        ...(c.pdqCanonical ? [{ algo: PDQ_CANONICAL_ALGO, hash: c.pdqCanonical.hash, quality: c.pdqCanonical.quality }] : []),
      ],
      features: c.features ? { algo: FEATURES_ALGO, data: serializeFeatures(c.features) } : null,
      descriptors: packed ? { algo: ORB_DESC_ALGO, data: packed } : null,
    });
    this.track(row!, { imageId, kind });
    this.pdqIndex.add(row!, c.pdq.hash);
    if (canonicalRow !== undefined && c.pdqCanonical) {
      this.track(canonicalRow, { imageId, kind });
      this.canonicalIndex.add(canonicalRow, c.pdqCanonical.hash);
    }
    if (packed && this.o.features) this.descIndex.addImage(imageId, kind, packed, this.descriptorBudget(this.descIndex.images + 1));
    this.featureCache.set(imageId, c.features);
  }

  private track(row: number, img: { imageId: string; kind: string }): void {
    this.rowImage.set(row, img);
    const list = this.imageRows.get(img.imageId);
    if (list) list.push(row);
    else this.imageRows.set(img.imageId, [row]);
  }

  private removeFromIndexes(imageId: string): void {
    const rows = new Set(this.imageRows.get(imageId) ?? []);
    this.pdqIndex.removeKeys(rows);
    this.canonicalIndex.removeKeys(rows);
    this.descIndex.removeImage(imageId);
    for (const row of rows) this.rowImage.delete(row);
    this.imageRows.delete(imageId);
    this.featureCache.delete(imageId);
  }

  /** Deletes images (erasure) from the store and the indexes. */
  remove(imageIds: string[]): number {
    for (const id of imageIds) this.removeFromIndexes(id);
    return this.store.removeImages(imageIds);
  }

  private features(imageId: string): Features | null {
    if (!this.featureCache.has(imageId)) {
      const f = this.store.features(imageId);
      this.featureCache.set(imageId, f && f.algo === FEATURES_ALGO ? deserializeFeatures(f.data) : null);
    }
    return this.featureCache.get(imageId) ?? null;
  }

  /** Finds the source images of a (possibly altered) copy, best first. An empty index gives []. */
  async match(r: Raster, opts: MatchQueryOptions = {}): Promise<MatchCandidate[]> {
    let tStage = performance.now();
    const radius = opts.radius ?? DEFAULT_RADIUS;
    const top = opts.top ?? 10;
    if (!Number.isInteger(top) || top < 1) throw invalidArgument('top', 'a positive integer', top);
    const kindOk = (k: string): boolean => !opts.kinds || opts.kinds.includes(k);
    const found = new Map<string, MatchCandidate>();
    const { hashes } = this.hasher.dihedral(r);
    // The dihedral variants come from the DCT's symmetries, which hold for the downsampled image; on fine textures the
    // reference's nearest-neighbour downsample of a mirrored copy samples other pixels (bench:recall: 32–42 bits off
    // where re-encoding costs 0–4). So the mirrored copy is also hashed for real, as its own 'flipX' query.
    let mirroredRaster: Raster | null = null;
    const mirror = (): Raster => (mirroredRaster ??= flop(r));
    hashes.push(this.hasher.hash(mirror()).hash);
    /** Keeps each image's nearest hit of `index` over the query hashes (hash i is dihedral variant i; 8 is 'flipX'). */
    const addHits = (index: MihIndex, queries: Uint8Array[], within: number): void => {
      queries.forEach((h, v) => {
        for (const hit of index.search(h, { radius: within })) {
          const img = this.rowImage.get(hit.key);
          if (!img || !kindOk(img.kind)) continue;
          const prev = found.get(img.imageId);
          if (prev && prev.distance !== null && prev.distance <= hit.distance) continue;
          found.set(img.imageId, { imageId: img.imageId, kind: img.kind, distance: hit.distance, variant: VARIANTS[v] ?? 'flipX', inliers: null, homography: null, score: 0, method: 'pdq', confident: false });
        }
      });
    };
    addHits(this.pdqIndex, hashes, radius);
    // The canonical 128 px rendition's PDQ, at a near-exact radius: recovers resized copies of small, finely detailed
    // images whose reference hash moved far (bench:recall: a text screenshot halved moved 64 bits, 10 here). No
    // unrelated pair came within 20 bits there, cards of one issuer included.
    if (this.canonicalIndex.size > 0) addHits(this.canonicalIndex, this.hasher.dihedral(areaDownsample(r)).hashes, this.o.canonicalRadius);
    const ms = { pdq: 0, extract: 0, vote: 0, verify: 0 };
    const lap = (k: keyof typeof ms): void => {
      const now = performance.now();
      ms[k] += now - tStage;
      tStage = now;
    };
    lap('pdq');
    /** Near-exact PDQ copies (all found above: verification never adds a PDQ distance). */
    const trustedCopies = [...found.values()].filter((c) => c.distance !== null && c.distance <= this.o.pdqTrustedDistance).map((c) => c.imageId);
    if (opts.explain) {
      opts.explain.ms = ms;
      opts.explain.pdq = [...found.values()].map((c) => ({ imageId: c.imageId, distance: c.distance!, variant: c.variant! })).sort((a, b) => a.distance - b.distance);
      opts.explain.votes = [];
      opts.explain.verified = [];
    }
    const out: MatchCandidate[] = [];
    let qf: Features | null = null;
    /** Inliers of every candidate verified geometrically (0 when no homography), accepted or not. */
    const verified = new Map<string, number>();
    /** Candidates accepted on weak evidence only (see `weakInliers`): runner-ups, never confident. */
    const weak = new Set<string>();
    if (this.o.features && this.descIndex.size > 0) {
      const passes: Features[] = [];
      for (const p of this.o.queryPasses) passes.push(await extractFeatures(r, p));
      // All passes vote; the first (the vault's own analysis) verifies: extra keypoints add look-alike inliers and
      // RANSAC time more than they add inliers on the source.
      const voting = passes.length === 1 ? passes[0]! : concatFeatures(passes);
      lap('extract');
      qf = passes[0]!;
      // Vote: each query descriptor spreads one vote over the images it hits, so descriptors shared by a few
      // look-alikes weigh little, template descriptors shared by many give none, and person-specific ones decide.
      const ranked = this.descIndex.vote(voting.desc.subarray(0, voting.count * 32), {
        radius: this.o.descriptorRadius,
        maxImagesPerDescriptor: this.o.maxImagesPerDescriptor,
        kinds: opts.kinds,
        limit: Math.max(30, this.o.verifyTop + this.o.verifyMore),
      });
      if (opts.explain) opts.explain.voteStats = this.descIndex.lastStats;
      if (opts.explain) opts.explain.votes = ranked.slice(0, 30).map((v) => ({ imageId: v.imageId, votes: Math.round(v.votes * 100) / 100, voters: v.voters }));
      const toVerify = new Set(ranked.slice(0, this.o.verifyTop).map((v) => v.imageId));
      lap('vote');
      for (const [id, c] of found) if (c.distance !== null && c.distance > this.o.pdqTrustedDistance) toVerify.add(id);
      let flopped: Features | null = null;
      // ORB is not mirror-invariant: verify with the mirrored query and map the homography back (x → W-1-x).
      const mirrored = async (cf: Features): Promise<FeatureMatch> => {
        flopped ??= await extractFeatures(mirror());
        const mf = await matchFeatures(flopped, cf, { minMatches: this.o.minInliers });
        if (mf.homography) {
          const h = mf.homography;
          const W1 = r.width - 1;
          mf.homography = [W1 * h[6]! - h[0]!, W1 * h[7]! - h[1]!, W1 * h[8]! - h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, h[8]!];
        }
        return mf;
      };
      /** Homographies short of `minInliers` but with `weakInliers`: the fallback when nothing else verifies. */
      const weakMatches = new Map<string, FeatureMatch>();
      const accept = (id: string, m: FeatureMatch, asWeak = false): void => {
        verified.set(id, m.homography ? m.inliers : 0);
        opts.explain?.verified.push({ imageId: id, matches: m.matches, inliers: m.homography ? m.inliers : 0 });
        if (!m.homography) return;
        if (m.inliers < this.o.minInliers && !asWeak) {
          if (m.inliers >= this.o.weakInliers) weakMatches.set(id, m);
          return;
        }
        if (asWeak) weak.add(id);
        const prev = found.get(id);
        const kind = prev?.kind ?? this.kindOf(id);
        found.set(id, { imageId: id, kind, distance: prev?.distance ?? null, variant: prev?.variant ?? null, inliers: m.inliers, homography: m.homography, score: 0, method: prev ? 'pdq+features' : 'features', confident: false });
      };
      // Correspondences first (cheap), RANSAC (most of verification's time) in decreasing order of correspondences,
      // which bound the inliers: a candidate with fewer than 1/confidentRatio of the best inliers found so far can
      // change nothing — it cannot win, cannot be the runner-up that withholds the best's confidence, and is not kept
      // as a runner-up (that needs 1/distinctRatio) — so its RANSAC is skipped. Candidates with a PDQ hit always run:
      // their inliers feed their score.
      let bestInliers = 0;
      const verifyBatch = async (ids: Iterable<string>): Promise<void> => {
        const putative: { id: string; cf: Features; p: PutativeMatches }[] = [];
        for (const id of ids) {
          const cf = this.features(id);
          if (cf) putative.push({ id, cf, p: putativeMatches(qf!, cf) });
        }
        putative.sort((a, b) => b.p.count - a.p.count || (a.id < b.id ? -1 : 1));
        for (const { id, cf, p } of putative) {
          const pdqVariant = found.get(id)?.variant;
          if (!found.has(id) && p.count * this.o.confidentRatio < bestInliers) continue;
          let m = await fitHomography(p, qf!, cf, { minMatches: this.o.minInliers });
          // A mirrored copy found by a dihedral PDQ hash. When the hash says reflected, the mirrored match is tried even if
          // the plain one passed: a card's symmetric design gives the plain query a few inliers on the source, fewer
          // than a look-alike matched mirrored (bench:recall had one such false match).
          const reflected = pdqVariant?.startsWith('flip') === true;
          if (reflected || ((m.inliers < this.o.minInliers || !m.homography) && pdqVariant && pdqVariant !== 'original')) {
            const mm = await mirrored(cf);
            if (mm.homography && (!m.homography || mm.inliers > m.inliers)) m = mm;
            else if (!m.homography) m = mm;
          }
          accept(id, m);
          if (m.homography) bestInliers = Math.max(bestInliers, m.inliers);
        }
      };
      await verifyBatch(toVerify);
      // No clear winner among the best-voted: the source of a heavy crop often ranks lower, behind images that share
      // its design (selfies holding a card of the same issuer), so the next candidates are verified too. A query
      // with a clear winner — most of them — pays nothing for this.
      const inliers = [...verified.values()].sort((a, b) => b - a);
      const clear = (inliers[0] ?? 0) >= this.o.minInliers && (inliers[0] ?? 0) >= this.o.confidentRatio * (inliers[1] ?? 0);
      if (!clear && trustedCopies.length === 0 && this.o.verifyMore > 0) {
        await verifyBatch(ranked.slice(this.o.verifyTop, this.o.verifyTop + this.o.verifyMore).map((v) => v.imageId).filter((id) => !verified.has(id)));
      }
      // A mirrored copy PDQ missed (fine periodic textures such as brickwork alias differently once mirrored): when
      // nothing verified but one image dominates the descriptor vote, try it mirrored. Rare, so the extra ORB pass
      // costs nothing on the usual query.
      const [top1, top2] = ranked;
      let anyVerified = [...verified.values()].some((n) => n >= this.o.minInliers);
      const dominant = top1 !== undefined && top1.votes >= 3 * (top2?.votes ?? 0);
      // A copy at another scale (a screenshot shrinks and frames the image): the votes came from all query passes but
      // verification used the first; when one image dominates the vote and nothing verified, verify it with every
      // pass's keypoints. Rare, so it costs nothing on the usual query.
      if (!anyVerified && dominant && top1.voters >= 6 && voting !== qf) {
        const cf = this.features(top1.imageId);
        if (cf) {
          const m = await matchFeatures(voting, cf, { minMatches: this.o.minInliers });
          if (m.homography && m.inliers >= this.o.minInliers) {
            verified.delete(top1.imageId);
            accept(top1.imageId, m);
            anyVerified = true;
          }
        }
      }
      if (!anyVerified && dominant && top1.voters >= 20) {
        const cf = this.features(top1.imageId);
        if (cf) {
          verified.delete(top1.imageId);
          accept(top1.imageId, await mirrored(cf));
          anyVerified = (verified.get(top1.imageId) ?? 0) >= this.o.minInliers;
        }
      }
      // Weak evidence when nothing verified: flat or noise-textured photos (a blob under a microscope, a blurred
      // object) keep too few stable corners for a homography, and quarter crops of drawn faces share most corners with
      // other faces. Handed on as a runner-up, for the investigation to confirm or reject on the decrypted original.
      if (!anyVerified) {
        const best = [...weakMatches].sort((a, b) => b[1].inliers - a[1].inliers || (a[0] < b[0] ? -1 : 1));
        const second = Math.max(0, ...[...verified].filter(([id]) => id !== best[0]?.[0]).map(([, n]) => n));
        if (best[0] && best[0][1].inliers >= this.o.distinctRatio * second) {
          accept(best[0][0], best[0][1], true);
        } else if (dominant && top1.voters >= 6 && !found.has(top1.imageId)) {
          // The vote alone is strong here (every voter is a descriptor within the radius of this image's and of few
          // others'); a similarity (4 degrees of freedom, what resizing, cropping, rotating and framing make) over all
          // query passes checks that the matches also agree in geometry. Two matches fix a similarity; each further
          // unrelated match lands within the tolerance (≥ 3 px) by chance with p ≈ π·tol²/area ≈ 1e-4 on an 800 px
          // image, so two more agreeing (4 inliers) is already far beyond chance among a few dozen pairs.
          const cf = this.features(top1.imageId);
          const m = cf ? fitSimilarity(putativeMatches(voting, cf), voting) : null;
          if (m?.homography && m.inliers >= WEAK_SIMILARITY_INLIERS) {
            verified.delete(top1.imageId);
            accept(top1.imageId, m, true);
          }
        }
      }
      lap('verify');
    }
    for (const c of found.values()) {
      // Confident: a PDQ distance low enough to trust alone (or any PDQ hit when features are off), or a feature match
      // (with or without a PDQ hit within the radius) that clearly beats every other verified candidate. For template
      // kinds a PDQ hit at 11–31 bits is no independent evidence: cards of one issuer sit 24–60 bits apart, and the same
      // template that brings them within the radius also gives them inliers (bench:recall had three such false
      // matches); for other kinds PDQ's own radius holds. Documents of one issuer share their design, so another person's card also gathers inliers
      // on the template; the true source has the template AND the person-specific content, so it normally has
      // `confidentRatio` × the inliers of the runner-up. Normally, not always: on a blurred phone photo of a screen the
      // person-specific details (small text) lose their keypoints first, so the source and a look-alike can end up
      // close. Those are returned as runner-ups (confident: false) after the confident candidates; an investigation
      // decides between them on the decrypted originals, which retrieval cannot do.
      const pdqOk = c.distance !== null && (c.distance <= this.o.pdqTrustedDistance || !this.o.templateKinds.includes(c.kind) || !this.o.features || !qf || !this.features(c.imageId));
      if (c.inliers === null && !pdqOk) continue;
      let confident = true;
      let featScore = c.inliers === null ? 0 : Math.min(1, c.inliers / 40);
      if (weak.has(c.imageId) && !pdqOk) {
        if (opts.confidentOnly) continue;
        confident = false;
        featScore *= 0.5;
      }
      if (c.inliers !== null && !pdqOk && confident) {
        let runnerUp = 0;
        for (const [id, n] of verified) if (id !== c.imageId && n > runnerUp) runnerUp = n;
        // Another candidate that is a near-exact PDQ copy outranks any feature match: a look-alike of the same design
        // can gather hundreds of template inliers, and the trusted copy is not feature-verified to compare with.
        const outranked = trustedCopies.some((id) => id !== c.imageId);
        if (outranked || c.inliers < this.o.confidentRatio * runnerUp) {
          if (opts.confidentOnly) continue;
          confident = false;
          featScore *= 0.5 * Math.min(1, c.inliers / (this.o.confidentRatio * runnerUp));
        }
      }
      const pdqScore = c.distance === null ? 0 : 1 - c.distance / 64;
      c.confident = confident;
      c.score = Math.round(Math.max(pdqScore, featScore, c.inliers !== null && c.distance !== null ? Math.min(1, pdqScore + 0.25) : 0) * 1000) / 1000;
      out.push(c);
    }
    // Runner-ups only when nothing is confident, and only those the best one does not dominate: every extra
    // look-alike handed on is one more competitor for the source in the investigation's block-level vote.
    const confidentAny = out.some((c) => c.confident);
    const bestInliers = out.reduce((m, c) => Math.max(m, c.inliers ?? 0), 0);
    const kept = out.filter((c) => c.confident || (!confidentAny && (c.inliers ?? 0) * this.o.distinctRatio >= bestInliers));
    kept.sort((a, b) => Number(b.confident) - Number(a.confident) || b.score - a.score || (b.inliers ?? 0) - (a.inliers ?? 0) || (a.distance ?? 999) - (b.distance ?? 999) || (a.imageId < b.imageId ? -1 : 1));
    return kept.slice(0, top);
  }

  private kindOf(imageId: string): string {
    const row = this.imageRows.get(imageId)?.[0];
    return (row !== undefined ? this.rowImage.get(row)?.kind : undefined) ?? 'other';
  }
}

/** Left-right mirror of a raster (new buffer). */
function flop(r: Raster): Raster {
  const { width, height, channels, data } = r;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const s = row + x * channels;
      const d = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = data[s + c]!;
    }
  }
  return { width, height, channels, data: out };
}
