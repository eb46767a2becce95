/**
 * Persistence of perceptual hashes and local features, as plain indexed tables (SQLite now, PostgreSQL later), loaded
 * into the in-memory Hamming index for speed. Rows are tied to vault image ids only — never to subject ids or names:
 * who an image belongs to is resolved through the vault's own records, so this store alone identifies nobody.
 */

/** One hash of an image under a versioned algorithm id (`pdq-v1`, `orb-v1`, …). */
export interface HashEntry {
  algo: string;
  hash: Uint8Array;
  quality: number;
}

/** Everything computed for one image at ingest. */
export interface ImageHashes {
  imageId: string;
  /** Vault image kind (id_front, selfie, …): lets a search filter by kind without reading the vault. */
  kind: string;
  hashes: HashEntry[];
  /** Serialised local features (see src/hash/features.ts), or null when none were extracted. */
  features?: { algo: string; data: Uint8Array } | null;
  /**
   * The descriptors indexed for candidate retrieval, packed 32 bytes each, strongest first (one row per image: loading
   * a 100k-image vault reads 100k blobs, not 30M rows), or null.
   */
  descriptors?: { algo: string; data: Uint8Array } | null;
}

/** Where a stored hash row came from. */
export interface HashRowInfo {
  row: number;
  imageId: string;
  kind: string;
  algo: string;
  quality: number;
}

/** Narrow store interface the vault hook, the index loader and `tracemark match` need. */
export interface HashStore {
  /** Creates or upgrades the tables (idempotent, versioned migration ids). */
  migrate(): void;
  /** Replaces everything stored for this image; returns the row id of each hash in `hashes` order. */
  put(entry: ImageHashes): number[];
  /** Deletes every hash and feature of these images (erasure); returns the number of hash rows deleted. */
  removeImages(imageIds: string[]): number;
  /** Streams all hashes of one algorithm in batches (row ids, 32-byte hashes packed, and each row's image id and
   * kind), for loading the index. */
  scan(algo: string, onBatch: (rows: Uint32Array, hashes: Uint8Array, images: { imageId: string; kind: string }[]) => void, batchSize?: number): number;
  /** Streams every image's packed descriptors of one algorithm (see {@link ImageHashes.descriptors}); returns the
   * number of images. */
  scanDescriptors(algo: string, onImage: (imageId: string, kind: string, data: Uint8Array) => void): number;
  /** Ids of the images with packed descriptors of this algorithm. */
  descriptorImages(algo: string): Set<string>;
  /** Describes rows returned by an index search. */
  describe(rows: number[]): Map<number, HashRowInfo>;
  /** The stored local features of an image, or null. */
  features(imageId: string): { algo: string; data: Uint8Array } | null;
  /** Ids of the images that have at least one hash of this algorithm (to find images an index rebuild must hash). */
  hashedImages(algo: string): Set<string>;
  /** Ids of the images whose stored local features are of this algorithm (optional: stores without it make an index
   * rebuild judge features by their descriptor rows alone). */
  featureImages?(algo: string): Set<string>;
  /** Number of hash rows of an algorithm (or all). */
  count(algo?: string): number;
}
