import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyStore, parseRole } from './keys.js';

test('API keys: shown once, stored as a hash (0600), verified with their role, wrong or malformed keys refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-keys-'));
  try {
    const store = await ApiKeyStore.open(dir);
    const { token, record } = await store.create('kyc_agent', 'back office');
    assert.match(token, /^tmk_[0-9a-f]{12}\.[A-Za-z0-9_-]+$/);
    const file = readFileSync(join(dir, 'api-keys.json'), 'utf8');
    assert.ok(!file.includes(token.split('.')[1] as string), 'the secret is not stored');
    assert.equal(statSync(join(dir, 'api-keys.json')).mode & 0o777, 0o600);
    const reopened = await ApiKeyStore.open(dir);
    assert.deepEqual(reopened.verify(token), { keyId: record.id, role: 'kyc_agent' });
    assert.equal(reopened.verify(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), null);
    assert.equal(reopened.verify('tmk_nothex.secret'), null);
    assert.equal(reopened.verify(''), null);
    assert.equal(reopened.list()[0]?.sha256, '');
    assert.throws(() => parseRole('root'), /Expected one of customer_app, kyc_agent, admin/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
