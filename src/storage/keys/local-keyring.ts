import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt as scryptCb, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { TracemarkError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fs-atomic.js';
import { open, seal } from './envelope.js';
import type { KeyProvider, WrappedKey } from './key-provider.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const FORMAT = 'tracemark-keyring/1';
// scrypt cost: N=2^15, r=8 (≈ 32 MiB, ~0.1 s here) — interactive-grade, as recommended by the scrypt paper for logins.
const KDF = { N: 1 << 15, r: 8, p: 1 };

interface KeyringSecrets {
  current: number;
  kek: { version: number; secret: string; created_at: string }[];
  blind_index: string;
  audit: { private_pem: string; public_pem: string };
}

interface KeyringFile {
  format: typeof FORMAT;
  protection: 'none' | 'scrypt';
  kdf?: { salt: string; N: number; r: number; p: number };
  sealed?: string;
  keys?: KeyringSecrets;
}

async function passphraseKey(passphrase: string, salt: Buffer, kdf: { N: number; r: number; p: number }): Promise<Buffer> {
  return scrypt(passphrase, salt, 32, { ...kdf, maxmem: 256 * 1024 * 1024 });
}

/** AAD for the sealed keyring body: binds it to this file format, not to any subject. */
const KEYRING_BINDING = { subjectId: '-', slot: 'keyring', keyVersion: 1 };

/**
 * The default key provider: a versioned keyring in one JSON file (mode 0600) under the vault home. With a passphrase
 * (TRACEMARK_PASSPHRASE) the secrets are sealed with AES-256-GCM under an scrypt-derived key; without one they rely on
 * file permissions only, which `tracemark init` says plainly.
 */
export class LocalKeyring implements KeyProvider {
  readonly kind = 'local-keyring';
  private constructor(
    private readonly path: string,
    private secrets: KeyringSecrets,
    private readonly passphrase: string | undefined,
  ) {}

  /** Creates a new keyring file; refuses to overwrite an existing one. */
  static async create(path: string, passphrase: string | undefined): Promise<LocalKeyring> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const secrets: KeyringSecrets = {
      current: 1,
      kek: [{ version: 1, secret: randomBytes(32).toString('base64'), created_at: new Date().toISOString() }],
      blind_index: randomBytes(32).toString('base64'),
      audit: {
        private_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        public_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
    };
    const ring = new LocalKeyring(path, secrets, passphrase);
    await ring.persist(true);
    return ring;
  }

  /** Opens an existing keyring; a sealed keyring needs the passphrase it was created with. */
  static async open(path: string, passphrase: string | undefined): Promise<LocalKeyring> {
    let raw: string;
    try {
      raw = await readFile(path, 'utf8');
    } catch {
      throw new TracemarkError('KEYRING_MISSING', `keyring not found at ${path}`, { kind: 'user', hint: 'Run `tracemark init` to create a vault, or pass the right --home.' });
    }
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) {
      throw new TracemarkError('KEYRING_PERMISSIONS', `keyring ${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`, { kind: 'user', hint: `Run: chmod 600 ${path}` });
    }
    let file: KeyringFile;
    try {
      file = JSON.parse(raw) as KeyringFile;
    } catch {
      throw new TracemarkError('KEYRING_CORRUPT', `keyring ${path} is not valid JSON`, { kind: 'integrity', hint: 'Restore the keyring from backup.' });
    }
    if (file.format !== FORMAT) throw new TracemarkError('KEYRING_CORRUPT', `keyring ${path} has an unknown format`, { kind: 'integrity' });
    if (file.protection === 'none') {
      if (!file.keys) throw new TracemarkError('KEYRING_CORRUPT', `keyring ${path} has no keys`, { kind: 'integrity' });
      return new LocalKeyring(path, file.keys, undefined);
    }
    if (!passphrase) {
      throw new TracemarkError('PASSPHRASE_REQUIRED', 'this vault keyring is protected by a passphrase', { kind: 'user', hint: 'Set TRACEMARK_PASSPHRASE to the passphrase given at `tracemark init`.' });
    }
    if (!file.kdf || !file.sealed) throw new TracemarkError('KEYRING_CORRUPT', `keyring ${path} is incomplete`, { kind: 'integrity' });
    const key = await passphraseKey(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf);
    let body: Buffer;
    try {
      body = open(key, Buffer.from(file.sealed, 'base64'), KEYRING_BINDING);
    } catch {
      throw new TracemarkError('PASSPHRASE_WRONG', 'the passphrase does not open this vault keyring', { kind: 'user', hint: 'Check TRACEMARK_PASSPHRASE.' });
    }
    return new LocalKeyring(path, JSON.parse(body.toString('utf8')) as KeyringSecrets, passphrase);
  }

  private async persist(exclusive: boolean): Promise<void> {
    let file: KeyringFile;
    if (this.passphrase) {
      const salt = randomBytes(16);
      const key = await passphraseKey(this.passphrase, salt, KDF);
      file = { format: FORMAT, protection: 'scrypt', kdf: { salt: salt.toString('base64'), ...KDF }, sealed: seal(key, Buffer.from(JSON.stringify(this.secrets)), KEYRING_BINDING).toString('base64') };
    } else {
      file = { format: FORMAT, protection: 'none', keys: this.secrets };
    }
    try {
      await writeFileAtomic(this.path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, exclusive });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TracemarkError('KEYRING_EXISTS', `a keyring already exists at ${this.path}`, { kind: 'conflict' });
      throw err;
    }
  }

  /** True when the secrets are sealed with a passphrase. */
  get protectedByPassphrase(): boolean {
    return this.passphrase !== undefined;
  }

  currentVersion(): number {
    return this.secrets.current;
  }

  versions(): number[] {
    return this.secrets.kek.map((k) => k.version);
  }

  private kek(version: number): Buffer {
    const k = this.secrets.kek.find((x) => x.version === version);
    if (!k) throw new TracemarkError('KEY_VERSION_UNKNOWN', `key-encryption key version ${version} is not in the keyring`, { kind: 'integrity', hint: 'The keyring may be older than the database; restore the matching keyring.' });
    return Buffer.from(k.secret, 'base64');
  }

  wrap(subjectId: string, dataKey: Buffer): WrappedKey {
    const v = this.secrets.current;
    return { kekVersion: v, wrapped: seal(this.kek(v), dataKey, { subjectId, slot: 'datakey', keyVersion: v }) };
  }

  unwrap(subjectId: string, key: WrappedKey): Buffer {
    return open(this.kek(key.kekVersion), key.wrapped, { subjectId, slot: 'datakey', keyVersion: key.kekVersion });
  }

  async addVersion(): Promise<number> {
    const next = Math.max(...this.versions()) + 1;
    this.secrets = {
      ...this.secrets,
      current: next,
      kek: [...this.secrets.kek, { version: next, secret: randomBytes(32).toString('base64'), created_at: new Date().toISOString() }],
    };
    await this.persist(false);
    return next;
  }

  /** Removes KEK versions no longer in use (after a completed rotation). The current version is never removed. */
  async retireVersions(inUse: Set<number>): Promise<number[]> {
    const retired = this.secrets.kek.filter((k) => k.version !== this.secrets.current && !inUse.has(k.version)).map((k) => k.version);
    if (retired.length === 0) return [];
    this.secrets = { ...this.secrets, kek: this.secrets.kek.filter((k) => !retired.includes(k.version)) };
    await this.persist(false);
    return retired;
  }

  blindIndexKey(): Buffer {
    return Buffer.from(this.secrets.blind_index, 'base64');
  }

  auditSigningKey(): { privateKey: KeyObject; publicKey: KeyObject; keyId: string } {
    const publicKey = createPublicKey(this.secrets.audit.public_pem);
    const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
    return { privateKey: createPrivateKey(this.secrets.audit.private_pem), publicKey, keyId };
  }
}
