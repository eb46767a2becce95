#!/usr/bin/env node
// Install step (npm `postinstall`): extracts the OCR-B Tesseract model `ocrb_int.traineddata` (Apache-2.0) from the
// Android archive inside the npm package @idpass/smartscanner-capacitor into vendor/tessdata/, so MRZ OCR runs
// fully offline. Runs at install time only; reads files already on disk, downloads nothing. Idempotent.
// Never fails the install: if the package is missing, it says so and MRZ OCR reports itself unavailable at run time.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { createHash } from 'node:crypto';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'vendor', 'tessdata');
const OUT = join(OUT_DIR, 'ocrb_int.traineddata');
const ENTRY = 'assets/tessdata/ocrb_int.traineddata';

function findAars(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) findAars(p, out);
    else if (name.endsWith('.aar') && name.includes('release')) out.push(p);
  }
  return out;
}

/** Reads one entry of a zip archive (stored or deflated) via its central directory. */
function readZipEntry(zip, wanted) {
  // End of central directory record: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end-of-central-directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (name === wanted) {
      if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error('corrupt zip local header');
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(start, start + compSize);
      const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : null;
      if (!data) throw new Error(`unsupported zip compression method ${method}`);
      if (data.length !== size) throw new Error('zip entry size mismatch');
      return data;
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return null;
}

function main() {
  if (existsSync(OUT) && statSync(OUT).size > 100_000) {
    console.log(`install-ocr-model: ${OUT} already present`);
    return;
  }
  let pkgDir;
  try {
    pkgDir = dirname(createRequire(join(ROOT, 'package.json')).resolve('@idpass/smartscanner-capacitor/package.json'));
  } catch {
    console.warn('install-ocr-model: @idpass/smartscanner-capacitor is not installed; MRZ OCR will be unavailable');
    return;
  }
  for (const aar of findAars(pkgDir)) {
    const data = readZipEntry(readFileSync(aar), ENTRY);
    if (!data) continue;
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(OUT + '.tmp', data);
    renameSync(OUT + '.tmp', OUT);
    const sha = createHash('sha256').update(data).digest('hex').slice(0, 16);
    console.log(`install-ocr-model: extracted ${ENTRY} (${data.length} bytes, sha256 ${sha}…) to vendor/tessdata/`);
    return;
  }
  console.warn('install-ocr-model: ocrb_int.traineddata not found in @idpass/smartscanner-capacitor; MRZ OCR will be unavailable');
}

try {
  main();
} catch (err) {
  console.warn(`install-ocr-model: ${err instanceof Error ? err.message : String(err)}; MRZ OCR will be unavailable`);
}
