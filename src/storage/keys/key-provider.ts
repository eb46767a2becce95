import type { KeyObject } from 'node:crypto';

/** A data key wrapped by a key-encryption key (KEK) of a given version. */
export interface WrappedKey {
  kekVersion: number;
  wrapped: Buffer;
}

/**
 * Key management behind one narrow interface: wraps/unwraps per-subject data keys with versioned KEKs, and holds the
 * two other secrets the vault needs (blind-index key, audit signing key). Implementations: the local keyring file
 * (`local-keyring.ts`); an HSM/KMS provider can follow with the same shape.
 */
export interface KeyProvider {
  /** Identifies the provider in `tracemark keys status`. */
  readonly kind: string;
  /** KEK version new data keys are wrapped with. */
  currentVersion(): number;
  /** All KEK versions the provider can still unwrap. */
  versions(): number[];
  /** Wraps a data key with the current KEK; `subjectId` is bound as associated data. */
  wrap(subjectId: string, dataKey: Buffer): WrappedKey;
  /** Unwraps; fails with an integrity error if the version, subject or bytes do not match. */
  unwrap(subjectId: string, key: WrappedKey): Buffer;
  /** Adds a new KEK version, persists it durably, makes it current, returns it. */
  addVersion(): Promise<number>;
  /** Secret for blind indexes (HMAC-SHA256), separate from every encryption key. */
  blindIndexKey(): Buffer;
  /** Ed25519 key pair that signs audit checkpoints. */
  auditSigningKey(): { privateKey: KeyObject; publicKey: KeyObject; keyId: string };
}
