import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { blindDigest, blindIndexesFor, normaliseDocumentNumber, normaliseEmail, normaliseNameDob, normaliseText } from './blind-index.js';

test('text normalisation folds case, whitespace, Unicode forms and diacritics', () => {
  assert.equal(normaliseText('  José  MÜLLER-Łukasiewicz '), 'jose muller lukasiewicz');
  assert.equal(normaliseText('Jose\u0301'), normaliseText('Jos\u00e9'), 'NFD and NFC agree');
  assert.equal(normaliseText('Ｊｏｓｅ'), 'jose', 'full-width letters fold');
  assert.equal(normaliseDocumentNumber(' ab 12-345 '), 'AB12345');
  assert.equal(normaliseEmail(' Ana@Example.COM '), 'ana@example.com');
  assert.equal(normaliseNameDob('ANA  pérez', '1990-01-02'), 'ana perez|1990-01-02');
});

test('digests are keyed, domain-separated and stable', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  assert.equal(blindDigest(k1, 'email', 'a@b'), blindDigest(k1, 'email', 'a@b'));
  assert.notEqual(blindDigest(k1, 'email', 'a@b'), blindDigest(k2, 'email', 'a@b'));
  assert.notEqual(blindDigest(k1, 'email', 'x'), blindDigest(k1, 'document_number', 'x'));
});

test('a subject gets one index per present identifier', () => {
  const rows = blindIndexesFor(randomBytes(32), 'sub_1', { document_number: 'X1', email: 'a@b.c', full_name: 'A B', date_of_birth: '2000-01-01' });
  assert.deepEqual(rows.map((r) => r.kind).sort(), ['document_number', 'email', 'name_dob']);
  assert.equal(blindIndexesFor(randomBytes(32), 'sub_1', { full_name: 'A B' }).length, 0);
});
