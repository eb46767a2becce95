import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TracemarkError } from '../../core/errors.js';

/**
 * AES-256-GCM with a fresh 96-bit random nonce per encryption and caller-supplied associated data.
 * Wire format (versioned so the layout can change later): 0x01 | nonce(12) | ciphertext | tag(16).
 * Random nonces are safe here: a data key encrypts at most a few dozen values, far below the 2^32 bound.
 */
const FORMAT_V1 = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Associated data that binds a ciphertext to where it belongs; any mismatch makes decryption fail. */
export interface Binding {
  /** Subject the value belongs to. */
  subjectId: string;
  /** Field name (`pii.full_name`) or blob kind (`blob.id_front`) or `datakey`. */
  slot: string;
  /** Version of the key that encrypted it (data-key version for values, KEK version for wrapped data keys). */
  keyVersion: number;
}

/** Canonical bytes of a binding used as GCM associated data. */
export function bindingBytes(b: Binding): Buffer {
  return Buffer.from(`tracemark/aad/v1\u0000${b.subjectId}\u0000${b.slot}\u0000${b.keyVersion}`, 'utf8');
}

/** Encrypts `plaintext` under a 32-byte key, bound to `binding`. */
export function seal(key: Uint8Array, plaintext: Uint8Array, binding: Binding): Buffer {
  if (key.length !== 32) throw new TracemarkError('KEY_INVALID', 'encryption key must be 32 bytes', { kind: 'internal' });
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(bindingBytes(binding));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_V1]), nonce, body, cipher.getAuthTag()]);
}

/**
 * Decrypts and authenticates. Any change to the ciphertext, nonce, tag, key, or binding fails with
 * CIPHERTEXT_INVALID (an integrity error), never returning partial plaintext.
 */
export function open(key: Uint8Array, sealed: Uint8Array, binding: Binding): Buffer {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1) {
    throw new TracemarkError('CIPHERTEXT_INVALID', `ciphertext for ${binding.slot} of subject ${binding.subjectId} is malformed`, { kind: 'integrity' });
  }
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const nonce = buf.subarray(1, 1 + NONCE_BYTES);
  const tag = buf.subarray(buf.length - TAG_BYTES);
  const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(bindingBytes(binding));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new TracemarkError('CIPHERTEXT_INVALID', `ciphertext for ${binding.slot} of subject ${binding.subjectId} failed authentication (tampered, moved, or wrong key)`, {
      kind: 'integrity',
      hint: 'Run `tracemark doctor` to check the whole vault; restore the affected item from backup.',
      details: { subjectId: binding.subjectId, slot: binding.slot },
    });
  }
}

/** A fresh random 256-bit key. */
export function newDataKey(): Buffer {
  return randomBytes(32);
}
