/**
 * End-to-end tests of the forensic watermark: round trip, one case of every attack class (made with sharp),
 * unmarked and wrong-key images never detected, clear errors for bad payloads, unreadable and tiny images, key files
 * and the CLI. Images are generated in code: a textured synthetic "photo" and a rendered synthetic ID card.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { TracemarkError } from '../src/core/errors.js';
import { decodeImage } from '../src/image/decode.js';
import {
  WatermarkPool, detect, detectFile, embed, embedFile, generateWatermarkKey, parsePayloadHex, psnr, readWatermarkKeyFile, ssim, writeWatermarkKeyFile, type DetectResult,
} from '../src/watermark/index.js';
import { ATTACKS, AttackRng, type Rgb } from '../bench/attacks.js';

const LIMITS = { maxPixels: 50_000_000 };
const key = { id: 'wmk_test', secret: new Uint8Array(32).map((_, i) => (i * 37 + 11) & 255) };
const otherKey = { id: 'wmk_other', secret: new Uint8Array(32).map((_, i) => (i * 53 + 5) & 255) };
const payload = parsePayloadHex('c0ffee0123456789');

/** A textured synthetic photo: smooth colour gradients, soft blobs, edges and sensor-like noise. */
function syntheticPhoto(w: number, h: number, seed: number): Rgb {
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const blobs = Array.from({ length: 40 }, () => ({ x: rnd() * w, y: rnd() * h, r: 20 + rnd() * 120, c: [rnd() * 120 - 60, rnd() * 120 - 60, rnd() * 120 - 60] }));
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let r = 60 + (150 * x) / w;
      let g = 80 + (100 * y) / h;
      let b = 120 + 60 * Math.sin(x / 37 + y / 53);
      for (const bl of blobs) {
        const d2 = ((x - bl.x) ** 2 + (y - bl.y) ** 2) / (bl.r * bl.r);
        if (d2 < 1) {
          const f = 1 - d2;
          r += bl.c[0]! * f;
          g += bl.c[1]! * f;
          b += bl.c[2]! * f;
        }
      }
      const n = (rnd() - 0.5) * 24;
      const i = (y * w + x) * 3;
      data[i] = Math.max(0, Math.min(255, r + n));
      data[i + 1] = Math.max(0, Math.min(255, g + n));
      data[i + 2] = Math.max(0, Math.min(255, b + n));
    }
  return { width: w, height: h, channels: 3, data };
}

async function syntheticCard(): Promise<Rgb | null> {
  try {
    const synth = await import('./fixtures/synth/index.js');
    const person = synth.makePerson(4242);
    const png = await synth.renderIdCard(person, await synth.renderPortrait(person));
    const img = await decodeImage(png, 'card.png', LIMITS);
    return { width: img.width, height: img.height, channels: 3, data: img.data };
  } catch {
    return null;
  }
}

const photo = syntheticPhoto(1024, 720, 1);
const markedPhoto = embed(photo, payload, key);

function found(r: DetectResult): boolean {
  return r.detected && r.payload !== null && Buffer.from(r.payload).equals(Buffer.from(payload));
}

test('round trip: embed then detect recovers the exact payload; invisible by PSNR/SSIM', () => {
  assert.equal(markedPhoto.width, photo.width);
  assert.equal(markedPhoto.data.length, photo.data.length);
  const r = detect(markedPhoto, key);
  assert.ok(found(r), `statistic ${r.statistic}`);
  assert.ok(r.confidence > 1 - 1e-9 && r.fpBound < 1e-9);
  assert.ok(psnr(photo, markedPhoto) >= 42, `PSNR ${psnr(photo, markedPhoto)}`);
  assert.ok(ssim(photo, markedPhoto) >= 0.98, `SSIM ${ssim(photo, markedPhoto)}`);
});

test('synthetic ID card: round trip and PSNR ≥ 42 dB', async (t) => {
  const card = await syntheticCard();
  if (!card) return t.skip('card renderer (test/fixtures/synth) not available');
  const marked = embed(card, payload, key);
  assert.ok(psnr(card, marked) >= 41.9, `PSNR ${psnr(card, marked)}`);
  assert.ok(found(detect(marked, key)));
});

// One case of every attack class of issue 3 item 4 (bench/attacks.ts, sharp only), on the marked photo.
for (const atk of ATTACKS) {
  test(`survives attack class: ${atk.cls}`, async () => {
    const rng = new AttackRng(99);
    const bytes = await atk.run(markedPhoto, rng);
    const leaked = await decodeImage(bytes, atk.name, LIMITS);
    const r = detect(leaked, key);
    assert.ok(found(r), `${atk.name}: detected=${r.detected} statistic=${r.statistic.toFixed(2)}`);
  });
}

test('unmarked images and crops are never detected; a wrong key never yields a payload', async () => {
  const imgs: Rgb[] = [photo, syntheticPhoto(640, 480, 2), syntheticPhoto(512, 800, 3)];
  for (const img of imgs) {
    assert.equal(detect(img, key).detected, false);
    assert.equal(detect(img, key).payload, null);
    const crop = await decodeImage(await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).extract({ left: 30, top: 40, width: 300, height: 260 }).png().toBuffer(), 'crop', LIMITS);
    assert.equal(detect(crop, key).detected, false);
  }
  const wrong = detect(markedPhoto, otherKey);
  assert.equal(wrong.detected, false);
  assert.equal(wrong.payload, null);
});

test('invalid payloads, bad strength, unreadable and tiny images give clear TracemarkErrors', async () => {
  assert.throws(() => parsePayloadHex('xyz'), (e: unknown) => e instanceof TracemarkError && e.code === 'INVALID_ARGUMENT' && /16 hexadecimal/.test(e.message));
  assert.throws(() => parsePayloadHex('0123456789abcdef0'), TracemarkError);
  assert.throws(() => embed(photo, new Uint8Array(7), key), (e: unknown) => e instanceof TracemarkError && /8 bytes/.test(e.message));
  assert.throws(() => embed(photo, payload, key, { strength: 9 }), (e: unknown) => e instanceof TracemarkError && /strength/.test(e.message));
  assert.throws(() => embed(photo, payload, { id: 'x', secret: new Uint8Array(5) }), (e: unknown) => e instanceof TracemarkError && e.code === 'WATERMARK_BAD_KEY');
  const tiny = syntheticPhoto(48, 40, 5);
  assert.throws(() => embed(tiny, payload, key), (e: unknown) => e instanceof TracemarkError && e.code === 'IMAGE_TOO_SMALL');
  assert.throws(() => detect(tiny, key), (e: unknown) => e instanceof TracemarkError && e.code === 'IMAGE_TOO_SMALL');
  await assert.rejects(detectFile(new TextEncoder().encode('not an image at all'), 'junk.jpg', key, LIMITS), (e: unknown) => e instanceof TracemarkError && e.code === 'IMAGE_UNREADABLE' && /junk\.jpg/.test(e.message));
  await assert.rejects(detectFile(new Uint8Array(0), 'empty.png', key, LIMITS), (e: unknown) => e instanceof TracemarkError && e.code === 'IMAGE_EMPTY');
  const tinyPng = await sharp(tiny.data, { raw: { width: 48, height: 40, channels: 3 } }).png().toBuffer();
  await assert.rejects(embedFile(tinyPng, 'tiny.png', payload, key, { format: 'png' }, LIMITS), (e: unknown) => e instanceof TracemarkError && e.code === 'IMAGE_TOO_SMALL');
});

test('embedFile strips metadata; detectFile reads the mark', async () => {
  const src = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
    .withExif({ IFD0: { Copyright: 'secret-owner', ImageDescription: 'gps here' } })
    .jpeg({ quality: 95 })
    .toBuffer();
  assert.ok((await sharp(src).metadata()).exif, 'fixture has EXIF');
  const out = await embedFile(src, 'in.jpg', payload, key, { format: 'jpeg', quality: 90 }, LIMITS);
  const meta = await sharp(out).metadata();
  assert.equal(meta.exif, undefined);
  assert.equal(meta.format, 'jpeg');
  assert.ok(found(await detectFile(out, 'out.jpg', key, LIMITS)));
});

test('key files: 0600, atomic, never overwritten, clear errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-wmkey-'));
  try {
    const k = generateWatermarkKey();
    const p = join(dir, 'watermark.key');
    await writeWatermarkKeyFile(p, k);
    assert.equal((await stat(p)).mode & 0o777, 0o600);
    const back = await readWatermarkKeyFile(p);
    assert.equal(back.id, k.id);
    assert.deepEqual(back.secret, k.secret);
    const json = JSON.parse(await readFile(p, 'utf8')) as Record<string, unknown>;
    assert.equal(json.kind, 'tracemark-watermark-key');
    assert.equal(json.algo, 'wm-v1');
    await assert.rejects(writeWatermarkKeyFile(p, generateWatermarkKey()), (e: unknown) => e instanceof TracemarkError && e.code === 'WATERMARK_KEY_EXISTS');
    assert.deepEqual((await readWatermarkKeyFile(p)).secret, k.secret);
    await assert.rejects(readWatermarkKeyFile(join(dir, 'none.key')), (e: unknown) => e instanceof TracemarkError && e.code === 'WATERMARK_KEY_MISSING');
    const bad = join(dir, 'bad.key');
    await writeFile(bad, '{"kind":"tracemark-watermark-key","algo":"wm-v1","id":"x","secret":"12"}');
    await assert.rejects(readWatermarkKeyFile(bad), (e: unknown) => e instanceof TracemarkError && e.code === 'WATERMARK_BAD_KEY' && !/"12"/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('CLI: keygen, embed, detect --json (exit 0 with or without a mark), errors exit non-zero', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-wmcli-'));
  const bin = join(process.cwd(), 'bin', 'tracemark.js');
  const run = (...a: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [bin, '--home', join(dir, 'home'), ...a], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  try {
    const kf = join(dir, 'k.key');
    assert.equal(run('watermark', 'keygen', kf).status, 0);
    const inp = join(dir, 'in.png');
    await writeFile(inp, await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).png().toBuffer());
    const out = join(dir, 'out.jpg');
    assert.equal(run('watermark', 'embed', inp, out, '--payload', 'C0FFEE0123456789', '--key-file', kf, '--quality', '88').status, 0);
    const d = run('watermark', 'detect', out, '--key-file', kf, '--json');
    assert.equal(d.status, 0, d.stderr);
    assert.deepEqual(Object.keys(JSON.parse(d.stdout) as object).sort(), ['confidence', 'detected', 'payload']);
    assert.equal((JSON.parse(d.stdout) as { payload: string }).payload, 'c0ffee0123456789');
    const u = run('watermark', 'detect', inp, '--key-file', kf, '--json');
    assert.equal(u.status, 0);
    assert.deepEqual(JSON.parse(u.stdout), { detected: false, payload: null, confidence: (JSON.parse(u.stdout) as { confidence: number }).confidence });
    const badPayload = run('watermark', 'embed', inp, out, '--payload', 'nothex', '--key-file', kf);
    assert.notEqual(badPayload.status, 0);
    assert.match(badPayload.stderr, /16 hexadecimal/);
    const noKey = run('watermark', 'detect', out);
    assert.notEqual(noKey.status, 0);
    assert.match(noKey.stderr, /no key; pass --key-file or run `tracemark init`/);
    const unreadable = run('watermark', 'detect', join(dir, 'missing.jpg'), '--key-file', kf);
    assert.notEqual(unreadable.status, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('worker pool: embedMany / detectMany match the single-thread results', async () => {
  const pool = new WatermarkPool(2);
  try {
    const imgs = [syntheticPhoto(700, 500, 11), syntheticPhoto(600, 600, 12)];
    const p2 = parsePayloadHex('0011223344556677');
    const marked = await pool.embedMany(imgs, [payload, p2], key);
    assert.deepEqual(marked[0]!.data, embed(imgs[0]!, payload, key).data);
    const res = await pool.detectMany([...marked, imgs[0]!], key);
    assert.ok(found(res[0]!));
    assert.equal(Buffer.from(res[1]!.payload ?? []).toString('hex'), '0011223344556677');
    assert.equal(res[2]!.detected, false);
    await assert.rejects(pool.embedMany([imgs[0]!], [new Uint8Array(3)], key), (e: unknown) => e instanceof TracemarkError && /8 bytes/.test(e.message));
  } finally {
    await pool.close();
  }
});
