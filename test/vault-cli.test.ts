import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { allFiles, filesContaining, tempDir, tm } from './helpers/cli.js';
import { noiseImage, pngBomb } from './helpers/images.js';

const PERSON = {
  full_name: 'Zoë Brontë-Kowalczyk',
  date_of_birth: '1987-06-05',
  nationality: 'POL',
  document_type: 'id_card',
  document_number: 'ZX9081726',
  email: 'zoe.kowalczyk@example.org',
  phone: '+48 600 700 800',
  issuer: 'POL',
  date_of_expiry: '2031-01-31',
  created_at: '2023-04-01',
  loyalty_tier: 'gold-secret-tier',
};

async function makeImportDir(): Promise<{ dir: string; images: Buffer[] }> {
  const dir = tempDir('import');
  mkdirSync(join(dir, 'C-100'));
  mkdirSync(join(dir, 'C-200'));
  mkdirSync(join(dir, 'C-300'));
  mkdirSync(join(dir, '..hidden'));
  const front = await noiseImage(760, 560, 11, 'jpeg');
  const selfie = await noiseImage(240, 240, 12, 'png');
  const other = await noiseImage(200, 260, 13, 'webp');
  writeFileSync(join(dir, 'C-100', 'id_front.jpg'), front);
  writeFileSync(join(dir, 'C-100', 'selfie.png'), selfie);
  writeFileSync(join(dir, 'C-100', 'record.json'), JSON.stringify(PERSON));
  writeFileSync(join(dir, 'C-200', 'id_front.webp'), other);
  writeFileSync(join(dir, 'C-200', 'record.json'), JSON.stringify({ full_name: 'Omar Haddad', document_number: 'AB-123 456', email: 'omar@example.net' }));
  // Bad inputs, each with its own reason; none may stop the good files.
  writeFileSync(join(dir, 'C-300', 'id_front.jpg'), Buffer.alloc(0));
  writeFileSync(join(dir, 'C-300', 'id_back.jpg'), Buffer.from('this is a text file pretending to be a JPEG'));
  writeFileSync(join(dir, 'C-300', 'selfie.jpg'), front.subarray(0, front.length >> 1));
  writeFileSync(join(dir, 'C-300', 'proof_of_address.png'), pngBomb());
  writeFileSync(join(dir, 'C-300', 'other.png'), Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'));
  writeFileSync(join(dir, 'C-300', 'passport scan.jpg'), front);
  writeFileSync(join(dir, 'stray.txt'), 'x');
  return { dir, images: [front, selfie, other] };
}

test('vault CLI end to end: init, import with bad files, lookup, read with purpose, export, erase, privacy', async () => {
  const home = join(tempDir('home'), 'vault');
  const env = { TRACEMARK_HOME: home };
  const { dir, images } = await makeImportDir();

  const help = tm(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /records/);

  const early = tm(['records', 'list'], env);
  assert.equal(early.status, 2);
  assert.match(early.stderr, /tracemark init/);

  assert.equal(tm(['init'], env).status, 0);
  assert.equal(statSync(join(home, 'keys', 'keyring.json')).mode & 0o777, 0o600);
  assert.equal(tm(['init'], env).status, 2, 'init refuses an existing vault');

  const imp = tm(['records', 'import', dir, '--json'], env);
  assert.equal(imp.status, 2, 'non-zero exit when a file failed');
  const s = imp.json<{ subjectsCreated: number; imagesAdded: number; failures: { path: string; code: string; message: string }[] }>();
  assert.equal(s.subjectsCreated, 3);
  assert.equal(s.imagesAdded, 3, 'every good file landed');
  const byPath = Object.fromEntries(s.failures.map((f) => [f.path, f]));
  assert.equal(byPath['C-300/id_front.jpg']?.code, 'IMAGE_EMPTY');
  assert.equal(byPath['C-300/id_back.jpg']?.code, 'IMAGE_UNREADABLE');
  assert.equal(byPath['C-300/selfie.jpg']?.code, 'IMAGE_CORRUPT');
  assert.equal(byPath['C-300/proof_of_address.png']?.code, 'IMAGE_TOO_LARGE');
  assert.equal(byPath['C-300/other.png']?.code, 'IMAGE_UNSUPPORTED');
  assert.equal(byPath['C-300/passport scan.jpg']?.code, 'FILE_NOT_RECOGNISED');
  assert.equal(byPath['stray.txt']?.code, 'NOT_A_SUBJECT_FOLDER');
  for (const f of s.failures) assert.ok(!f.message.includes('Zoë'), 'no PII in messages');

  const again = tm(['records', 'import', dir, '--json'], env).json<{ subjectsCreated: number; imagesAdded: number; imagesDuplicate: number }>();
  assert.equal(again.subjectsCreated, 0);
  assert.equal(again.imagesAdded, 0, 'idempotent');
  assert.equal(again.imagesDuplicate, 3);

  const list = tm(['records', 'list', '--json'], env).json<{ total: number }>();
  assert.equal(list.total, 3);

  const noPurpose = tm(['records', 'show', 'C-100'], env);
  assert.equal(noPurpose.status, 2);
  assert.match(noPurpose.stderr, /--purpose/);
  assert.ok(!noPurpose.stdout.includes('Zoë'));

  const shown = tm(['records', 'show', 'C-100', '--purpose', 'ticket SUP-1', '--json'], env).json<{ fields: Record<string, unknown>; images: unknown[] }>();
  assert.equal(shown.fields.full_name, PERSON.full_name);
  assert.deepEqual(shown.fields.extra, { loyalty_tier: 'gold-secret-tier' }, 'unknown fields kept');
  assert.equal(shown.images.length, 2);

  const find = (args: string[]) => tm(['records', 'find', ...args, '--json'], env).json<{ subjects: { ref: string }[] }>().subjects.map((x) => x.ref);
  assert.deepEqual(find(['--document-number', 'zx 908-1726']), ['C-100']);
  assert.deepEqual(find(['--document-number', 'AB123456']), ['C-200']);
  assert.deepEqual(find(['--email', 'ZOE.Kowalczyk@Example.org ']), ['C-100']);
  assert.deepEqual(find(['--name', 'zoe  bronte kowalczyk', '--dob', '1987-06-05']), ['C-100']);
  assert.deepEqual(find(['--name', 'zoe bronte kowalczyk', '--dob', '1987-06-06']), []);

  const out = join(tempDir('out'), 'front.jpg');
  const exp = tm(['records', 'export-image', 'C-100', 'id_front', out, '--purpose', 'vendor re-check', '--json'], env);
  assert.equal(exp.status, 0, exp.stderr);
  assert.ok(existsSync(out));
  const mark = tm(['watermark', 'detect', out, '--json'], env).json<{ detected: boolean; payload: string }>();
  assert.equal(mark.detected, true, 'every export carries a mark');
  assert.equal(mark.payload, exp.json<{ payload: string }>().payload);
  assert.equal(tm(['records', 'export-image', 'C-100', 'id_front', out, '--purpose', 'again'], env).status, 2, 'never overwrites');

  // Privacy: nothing under the home holds PII or image bytes in plaintext.
  for (const secret of [PERSON.full_name, PERSON.document_number, PERSON.email, PERSON.phone, 'Omar Haddad', 'gold-secret-tier', 'Kowalczyk']) {
    assert.deepEqual(filesContaining(home, Buffer.from(secret, 'utf8')), [], `plaintext ${secret.slice(0, 3)}… found`);
  }
  for (const img of images) {
    for (const at of [64, img.length >> 1, img.length - 80]) {
      assert.deepEqual(filesContaining(home, img.subarray(at, at + 48)), [], 'image bytes found in plaintext');
    }
  }

  assert.equal(tm(['keys', 'rotate'], env).status, 0);
  assert.equal(tm(['records', 'show', 'C-100', '--purpose', 'after rotation', '--json'], env).json<{ fields: { email: string } }>().fields.email, PERSON.email);

  const erase = tm(['records', 'erase', 'C-100', '--reason', 'GDPR art. 17 request 42'], env);
  assert.equal(erase.status, 0, erase.stderr);
  const after = tm(['records', 'show', 'C-100', '--purpose', 'check erasure', '--json'], env).json<{ fields: Record<string, unknown>; subject: { status: string } }>();
  assert.equal(after.subject.status, 'erased');
  assert.deepEqual(after.fields, {});
  assert.deepEqual(find(['--document-number', PERSON.document_number]), []);
  const trail = tm(['audit', 'show', '--subject', 'C-100', '--json'], env).json<{ entries: { action: string; purpose: string | null }[] }>().entries;
  assert.deepEqual(trail.map((e) => e.action), ['subject.create', 'image.create', 'image.create', 'subject.read', 'image.export', 'release.item', 'subject.read', 'subject.erase', 'subject.read']);
  assert.ok(!JSON.stringify(trail).includes('Zoë'), 'tombstone without PII');

  const doctor = tm(['doctor', '--json'], env);
  assert.equal(doctor.status, 0, doctor.stdout);
  assert.equal(doctor.json<{ healthy: boolean; imagesChecked: number }>().imagesChecked, 1);

  assert.match(tm(['audit', 'verify'], env).stdout, /^OK/);
  const db = new Database(join(home, 'db', 'tracemark.sqlite'));
  db.prepare("UPDATE audit_log SET purpose = 'routine' WHERE action = 'image.export'").run();
  db.close();
  const bad = tm(['audit', 'verify'], env);
  assert.equal(bad.status, 4);
  assert.match(bad.stdout, /TAMPERED: entry #\d+ was altered/);
  assert.ok(allFiles(home).length > 0);
});

test('a passphrase-sealed keyring needs the passphrase', async () => {
  const home = join(tempDir('pp'), 'vault');
  assert.equal(tm(['init', '--home', home], { TRACEMARK_PASSPHRASE: 'correct horse battery staple' }).status, 0);
  const ring = readFileSync(join(home, 'keys', 'keyring.json'), 'utf8');
  assert.match(ring, /"protection": "scrypt"/);
  assert.ok(!ring.includes('"kek"'), 'no key material in the clear');
  const none = tm(['records', 'list', '--home', home]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /TRACEMARK_PASSPHRASE/);
  const wrong = tm(['records', 'list', '--home', home], { TRACEMARK_PASSPHRASE: 'wrong' });
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /passphrase does not open/);
  assert.equal(tm(['records', 'list', '--home', home], { TRACEMARK_PASSPHRASE: 'correct horse battery staple' }).status, 0);
});

test('ciphertext moved between subjects in the database fails to decrypt', async () => {
  const home = join(tempDir('mv'), 'vault');
  const env = { TRACEMARK_HOME: home };
  const { dir } = await makeImportDir();
  tm(['init'], env);
  tm(['records', 'import', dir], env);
  const db = new Database(join(home, 'db', 'tracemark.sqlite'));
  const a = db.prepare("SELECT s.id FROM subjects s WHERE ref = 'C-100'").get() as { id: string };
  const b = db.prepare("SELECT s.id FROM subjects s WHERE ref = 'C-200'").get() as { id: string };
  const fromB = db.prepare("SELECT ciphertext FROM subject_fields WHERE subject_id = ? AND field = 'email'").get(b.id) as { ciphertext: Buffer };
  db.prepare("UPDATE subject_fields SET ciphertext = ? WHERE subject_id = ? AND field = 'email'").run(fromB.ciphertext, a.id);
  db.close();
  const r = tm(['records', 'show', 'C-100', '--purpose', 'tamper test'], env);
  assert.equal(r.status, 4);
  assert.match(r.stderr, /failed authentication/);
  assert.ok(!r.stderr.includes('omar@example.net'));
});
