/**
 * API keys with roles. A key is shown once at creation (`tmk_<id>.<secret>`); the vault home keeps only its id,
 * role and SHA-256 of the secret (api-keys.json, mode 0600), compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TracemarkError, invalidArgument } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';

/** Who a key acts for: the exchange's customer app, a KYC agent (back office), or an administrator. */
export type ApiRole = 'customer_app' | 'kyc_agent' | 'admin';
/** Every role. */
export const API_ROLES: readonly ApiRole[] = ['customer_app', 'kyc_agent', 'admin'];

/** A stored key (no secret). */
export interface ApiKeyRecord {
  id: string;
  role: ApiRole;
  label: string;
  sha256: string;
  createdAt: string;
}

/** The caller an API key authenticates. */
export interface ApiPrincipal {
  keyId: string;
  role: ApiRole;
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Parses a role name given by a user. */
export function parseRole(s: string): ApiRole {
  if (!(API_ROLES as readonly string[]).includes(s)) throw invalidArgument('role', `one of ${API_ROLES.join(', ')}`, s);
  return s as ApiRole;
}

/** API keys in a JSON file under the vault home. */
export class ApiKeyStore {
  private constructor(private readonly path: string, private keys: ApiKeyRecord[]) {}

  /** Opens (or starts empty) the key file of a vault home. */
  static async open(home: string): Promise<ApiKeyStore> {
    const path = join(home, 'api-keys.json');
    let keys: ApiKeyRecord[] = [];
    try {
      keys = (JSON.parse(await readFile(path, 'utf8')) as { keys: ApiKeyRecord[] }).keys;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new TracemarkError('API_KEYS_UNREADABLE', `${path} is not a valid API key file`, { kind: 'integrity' });
    }
    return new ApiKeyStore(path, keys);
  }

  /** In-memory store (tests). */
  static memory(): ApiKeyStore {
    return new ApiKeyStore('', []);
  }

  /** Creates a key; the returned token is the only copy of the secret. */
  async create(role: ApiRole, label = ''): Promise<{ token: string; record: ApiKeyRecord }> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const record: ApiKeyRecord = { id, role, label: label.slice(0, 64), sha256: digest(secret), createdAt: new Date().toISOString() };
    this.keys.push(record);
    if (this.path) await writeFileAtomic(this.path, JSON.stringify({ keys: this.keys }, null, 2), { mode: 0o600 });
    return { token: `tmk_${id}.${secret}`, record };
  }

  /** Keys without secrets. */
  list(): ApiKeyRecord[] {
    return this.keys.map((k) => ({ ...k, sha256: '' }));
  }

  /** The principal of a presented token, or null if it is not a valid key. */
  verify(token: string): ApiPrincipal | null {
    const m = /^tmk_([0-9a-f]{12})\.([A-Za-z0-9_-]{20,64})$/.exec(token);
    if (!m) return null;
    const rec = this.keys.find((k) => k.id === m[1]);
    if (!rec) return null;
    const a = Buffer.from(digest(m[2] as string), 'hex');
    const b = Buffer.from(rec.sha256, 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? { keyId: rec.id, role: rec.role } : null;
  }
}
