import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { makePerson } from './fixtures/synth/people.js';
import { writeImportFolder } from './fixtures/synth/import-folder.js';
import { renderPortrait } from './fixtures/synth/portrait.js';
import { renderIdCard } from './fixtures/synth/card.js';
import { tempDir, tm } from './helpers/cli.js';
import { pngBomb } from './helpers/images.js';
import type { LeakReport } from '../src/investigate/report.js';

test('end to end: import, release to two recipients, leak from one, investigate, and a hostile leak folder', async () => {
  const work = tempDir('inv');
  const env = { TRACEMARK_HOME: join(work, 'home') };
  // Six subjects of one issuer, so every card shares the template and only record-specific content tells them apart.
  const people = Array.from({ length: 6 }, (_, i) => makePerson(900 + i, { ref: `L-${i + 1}`, issuer: 'DEU' }));
  await writeImportFolder(join(work, 'in'), people, { noSelfie: true });
  assert.equal(tm(['init'], env).status, 0);
  assert.equal(tm(['records', 'import', join(work, 'in')], env).status, 0);
  const year = new Date().getUTCFullYear();
  const window = `${year - 1}-01-01:${year + 1}-12-31`;
  assert.equal(tm(['recipients', 'add', 'Leaky Vendor', '--kind', 'vendor', '--contract', window], env).status, 0);
  assert.equal(tm(['recipients', 'add', 'Careful Vendor', '--kind', 'vendor', '--contract', window], env).status, 0);
  const leakyOut = join(work, 'leaky');
  assert.equal(tm(['release', '--to', 'Leaky Vendor', '--subjects', 'L-1', 'L-2', 'L-3', '--out', leakyOut, '--purpose', 'periodic re-check'], env).status, 0);
  assert.equal(tm(['release', '--to', 'Careful Vendor', '--subjects', 'L-4', 'L-5', '--out', join(work, 'careful'), '--purpose', 'archiving'], env).status, 0);

  // The leak: Leaky Vendor's copies, re-compressed / resized / cropped, plus hostile and unrelated files.
  const leak = join(work, 'leak');
  mkdirSync(join(leak, 'nested', 'deeper'), { recursive: true });
  const copies = readdirSync(leakyOut).sort();
  const [a, b, c] = copies.map((f) => join(leakyOut, f));
  await sharp(a!).jpeg({ quality: 60 }).toFile(join(leak, 'IMG 0001 (copy).jpg'));
  await sharp(b!).resize(760).jpeg({ quality: 75 }).toFile(join(leak, 'nested', 'card.jpeg'));
  const meta = await sharp(c!).metadata();
  await sharp(c!).extract({ left: 40, top: 30, width: (meta.width ?? 1012) - 120, height: (meta.height ?? 638) - 90 }).jpeg({ quality: 80 }).toFile(join(leak, 'nested', 'deeper', 'crop.jpg'));
  // A card of someone who is not in the vault, same issuer (a look-alike), must stay unmatched.
  const stranger = makePerson(4242, { ref: 'X-1', issuer: 'DEU' });
  await sharp(await renderIdCard(stranger, await renderPortrait(stranger))).jpeg({ quality: 85 }).toFile(join(leak, 'stranger.jpg'));
  writeFileSync(join(leak, 'notes.txt'), 'not an image');
  const jpg = readFileSync(join(leak, 'IMG 0001 (copy).jpg'));
  writeFileSync(join(leak, 'truncated.jpg'), jpg.subarray(0, jpg.length >> 1));
  writeFileSync(join(leak, 'empty.png'), Buffer.alloc(0));
  writeFileSync(join(leak, 'bomb.png'), pngBomb());
  writeFileSync(join(leak, '-rf ; $(reboot).jpg'), Buffer.from('x'));
  symlinkSync('/etc/passwd', join(leak, 'link.jpg'));

  const out = join(work, 'report.json');
  const html = join(work, 'report.html');
  const r = tm(['investigate', leak, '--out', out, '--html', html, '--purpose', 'case 2026-17'], env);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(out, 'utf8')) as LeakReport;
  assert.equal(report.schema, 'tracemark.leak-report/1');
  const byFile = new Map(report.files.map((f) => [f.file, f]));
  for (const [file, ref] of [['IMG 0001 (copy).jpg', 'L-1'], ['nested/card.jpeg', 'L-2'], ['nested/deeper/crop.jpg', 'L-3']] as const) {
    const f = byFile.get(file);
    assert.ok(f, `${file} analysed`);
    assert.equal(f.match?.subject_ref, ref, `${file} matched to ${ref}: ${f.notes.join(' ')}`);
    assert.equal(f.match?.image_kind, 'id_front');
    assert.equal(f.watermark.detected, true, `${file} carries its mark`);
    assert.equal(f.watermark.release?.recipient, 'Leaky Vendor');
    assert.equal(f.altered, false, `${file} is not doctored: ${JSON.stringify(f.altered_regions)}`);
  }
  assert.equal(byFile.get('stranger.jpg')?.match, null, `look-alike stays unmatched: ${byFile.get('stranger.jpg')?.notes.join(' ')}`);
  assert.equal(byFile.get('stranger.jpg')?.watermark.detected, false);
  assert.equal(report.attribution[0]?.recipient, 'Leaky Vendor');
  assert.equal(report.attribution[0]?.watermark_hits, 3);
  assert.deepEqual(report.affected_subjects, ['L-1', 'L-2', 'L-3']);
  assert.equal(report.affected_people, undefined, 'no PII without --include-pii');
  const skipped = new Map(report.skipped.map((s) => [s.file, s.code]));
  assert.equal(skipped.get('notes.txt'), 'IMAGE_UNREADABLE');
  assert.equal(skipped.get('truncated.jpg'), 'IMAGE_CORRUPT');
  assert.equal(skipped.get('empty.png'), 'IMAGE_EMPTY');
  assert.equal(skipped.get('bomb.png'), 'IMAGE_TOO_LARGE');
  assert.equal(skipped.get('-rf ; $(reboot).jpg'), 'IMAGE_UNREADABLE');
  assert.equal(skipped.get('link.jpg'), 'SYMLINK');
  const page = readFileSync(html, 'utf8');
  assert.match(page, /Leaky Vendor/);
  assert.match(page, /data:image\/jpeg;base64,/);
  assert.ok(!/https?:\/\//.test(page.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '')), 'self-contained: no external URLs');
  assert.equal(tm(['investigate', leak, '--out', out], env).status, 2, 'never overwrites a report without --force');
  assert.match(tm(['audit', 'verify'], env).stdout, /^OK/);
});
