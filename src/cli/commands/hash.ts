import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { TracemarkError, invalidArgument } from '../../core/errors.js';
import { decodeImage } from '../../image/decode.js';
import { toHex } from '../../hash/hasher.js';
import { DIHEDRAL_NAMES, pdqDihedral } from '../../hash/pdq.js';
import { extractFeatures } from '../../hash/features.js';
import { PDQ_ALGO } from '../../match/retrieval.js';
import { pdqCanonical } from '../../hash/pdq-canonical.js';
import { withVault } from '../open.js';
import { action, configFor, output } from '../shell.js';

async function readImageFile(path: string, maxPixels: number) {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new TracemarkError('FILE_NOT_FOUND', `cannot read ${path}`, { kind: 'user', hint: 'Check the path.', cause: err });
  }
  return decodeImage(bytes, path, { maxPixels, minSide: 1 });
}

function intOption(name: string, value: string | undefined, lo: number, hi: number, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < lo || n > hi) throw invalidArgument(name, `an integer between ${lo} and ${hi}`, value);
  return n;
}

/** `tracemark hash`, `tracemark match`, `tracemark index rebuild`: perceptual hashes and the leak-matching index. */
export function registerHashCommands(program: Command): void {
  program
    .command('hash <image>')
    .description('perceptual hashes of an image: PDQ (256-bit, hex) with its quality, the 8 dihedral variants, the PDQ of its canonical 128 px rendition, and the local-feature count')
    .option('--features', 'also extract ORB local features and report how many were found')
    .action(action(async (image: string, opts: { features?: boolean }, cmd: Command) => {
      const r = await readImageFile(image, configFor(cmd).maxPixels);
      const { hashes, quality } = pdqDihedral(r);
      const dihedral = Object.fromEntries(DIHEDRAL_NAMES.map((n, i) => [n, toHex(hashes[i]!)]));
      const features = opts.features ? (await extractFeatures(r)).count : undefined;
      const value = { pdq: dihedral.original, quality, algo: PDQ_ALGO, width: r.width, height: r.height, dihedral, pdq_canonical: toHex(pdqCanonical(r).hash), ...(features !== undefined ? { features } : {}) };
      output(cmd, value, () => `${value.pdq}  quality=${quality}${quality < 50 ? ' (low: flat or tiny image, PDQ is unreliable)' : ''}${features !== undefined ? `  features=${features}` : ''}`);
    }));

  program
    .command('match <image>')
    .description('find the vault images a (possibly cropped, re-encoded, screenshotted) copy came from, without decrypting the vault')
    .option('--radius <r>', 'PDQ Hamming radius (0–256; exact search)', '31')
    .option('--top <k>', 'at most this many candidates', '10')
    .option('--kind <kind...>', 'only these image kinds (id_front, id_back, selfie, proof_of_address, other)')
    .action(action(async (image: string, opts: { radius: string; top: string; kind?: string[] }, cmd: Command) => {
      const radius = intOption('radius', opts.radius, 0, 256, 31);
      const top = intOption('top', opts.top, 1, 1000, 10);
      const cfg = configFor(cmd);
      const r = await readImageFile(image, cfg.maxPixels);
      const result = await withVault(cmd, async (t) => {
        const matcher = await t.matcher();
        const t0 = performance.now();
        const cands = await matcher.match(r, { radius, top, ...(opts.kind ? { kinds: opts.kind } : {}) });
        const ms = performance.now() - t0;
        const candidates = [];
        for (const c of cands) {
          const img = await t.stores.records.getImage(c.imageId);
          if (!img || img.status !== 'active') continue;
          candidates.push({
            subject: img.subjectId, kind: c.kind, image: c.imageId, distance: c.distance, score: c.score,
            method: c.method, variant: c.variant, inliers: c.inliers, homography: c.homography,
          });
        }
        return { candidates, indexed: matcher.size, ms: Math.round(ms) };
      });
      output(cmd, result, () => result.candidates.length === 0
        ? `no match among ${result.indexed} indexed image(s) (${result.ms} ms)`
        : [`${result.candidates.length} candidate(s) among ${result.indexed} indexed image(s) (${result.ms} ms):`,
          ...result.candidates.map((c) => `  ${c.score.toFixed(3)}  subject=${c.subject} ${c.kind.padEnd(8)} image=${c.image}  ${c.method}${c.distance !== null ? ` distance=${c.distance}` : ''}${c.inliers !== null ? ` inliers=${c.inliers}` : ''}`)].join('\n'));
    }));

  const index = program.command('index').description('the perceptual-hash index used by match and investigations');
  index
    .command('rebuild')
    .description('hash every vault image that has no hash of the current algorithms yet (or all with --all), then reload the index from the tables and report')
    .option('--all', 're-hash every image, not only those missing or hashed by an older algorithm')
    .action(action(async (opts: { all?: boolean }, cmd: Command) => {
      const summary = await withVault(cmd, async (t) => {
        const matcher = await t.matcher();
        const have = matcher.upToDate();
        let hashed = 0;
        let failed = 0;
        let after: string | null = null;
        const t0 = performance.now();
        for (;;) {
          const page = await t.stores.records.listAllImages({ afterId: after, limit: 200 });
          if (page.length === 0) break;
          for (const img of page) {
            after = img.id;
            if (!opts.all && have.has(img.id)) continue;
            try {
              const bytes = await t.records.readImage(img, { purpose: 'perceptual hash index rebuild', action: 'image.hash' });
              const raster = await decodeImage(bytes, img.id, { maxPixels: t.config.maxPixels });
              matcher.add(img.id, img.kind, await matcher.compute(raster));
              hashed++;
            } catch (err) {
              if (!(err instanceof TracemarkError)) throw err;
              failed++;
            }
          }
        }
        const hashMs = performance.now() - t0;
        const loaded = matcher.load();
        return { hashed, failed, indexedImages: loaded.pdq, descriptors: loaded.descriptors, hashSeconds: Math.round(hashMs) / 1000, loadMs: Math.round(loaded.ms) };
      });
      output(cmd, summary, () => `hashed ${summary.hashed} image(s) (${summary.failed} failed) in ${summary.hashSeconds} s; index: ${summary.indexedImages} PDQ hashes + ${summary.descriptors} descriptors loaded in ${summary.loadMs} ms`);
      if (summary.failed > 0) process.exitCode = 2;
    }));
}
