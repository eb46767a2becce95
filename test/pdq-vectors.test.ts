/**
 * PDQ must equal Meta's reference implementation bit for bit on its own test vectors. The committed subset under
 * test/fixtures/pdq always runs; the full set in ../shared/pdq-vectors runs when that folder exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Raster } from '../src/image/decode.js';
import { pdqHash, pdqDihedral } from '../src/hash/pdq.js';
import { toHex } from '../src/hash/hasher.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'pdq');
const shared = resolve(root, '..', 'shared', 'pdq-vectors');
const sharedExists = existsSync(join(shared, 'expected-png.csv'));

interface Row {
  file: string;
  cols: string[];
}

function readCsv(path: string): Row[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#') && !l.startsWith('file,'))
    .map((l) => {
      const cols = l.split(',');
      return { file: cols[0]!, cols: cols.slice(1) };
    });
}

/**
 * Decodes exactly the stored pixel values, as the reference's libpng does: no ICC transform (some vectors embed a
 * profile, which sharp would otherwise apply), no EXIF rotation (the PNGs are already upright).
 */
async function load(dir: string, file: string): Promise<Raster> {
  const { data, info } = await sharp(readFileSync(join(dir, file)), { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3, `${file}: expected RGB`);
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

async function checkSingle(dir: string): Promise<number> {
  const rows = readCsv(join(dir, 'expected-png.csv'));
  assert.ok(rows.length > 0, 'no expected rows');
  const failures: string[] = [];
  for (const row of rows) {
    const r = await load(dir, row.file);
    const { hash, quality } = pdqHash(r);
    if (toHex(hash) !== row.cols[0] || quality !== Number(row.cols[1])) failures.push(`${row.file}: got ${toHex(hash)} q${quality}, want ${row.cols[0]} q${row.cols[1]}`);
  }
  assert.deepEqual(failures, []);
  return rows.length;
}

async function checkDihedral(dir: string): Promise<number> {
  const rows = readCsv(join(dir, 'expected-png-dihedral.csv'));
  const failures: string[] = [];
  for (const row of rows) {
    const r = await load(dir, row.file);
    const { hashes } = pdqDihedral(r);
    const got = hashes.map(toHex);
    const want = row.cols.slice(0, 8);
    if (got.join() !== want.join()) failures.push(`${row.file}: got ${got.join(' ')}, want ${want.join(' ')}`);
  }
  assert.deepEqual(failures, []);
  return rows.length;
}

test('PDQ equals the reference on the committed vector subset', async () => {
  await checkSingle(fixtures);
});

test('PDQ dihedral hashes equal the reference on the committed subset', async () => {
  await checkDihedral(fixtures);
});

test('PDQ equals the reference on every vector in ../shared/pdq-vectors', { skip: !sharedExists && 'shared/pdq-vectors not present' }, async () => {
  await checkSingle(shared);
});

test('PDQ dihedral hashes equal the reference on every vector in ../shared/pdq-vectors', { skip: !sharedExists && 'shared/pdq-vectors not present' }, async () => {
  await checkDihedral(shared);
});
