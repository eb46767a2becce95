/**
 * `npm run make-leak-case -- --out DIR [--subjects N] [--seed S] [--photos DIR]`: writes a synthetic leak case
 * (DIR/vault import folder, DIR/recipients.json processing log, DIR/leak/ leaked images, DIR/truth.json).
 * Uses real background photos from .bench-data/photos/ when present (bash scripts/fetch-photos.sh), else generated.
 */
import { parseArgs } from 'node:util';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadBenchPhotos, makeLeakCase } from '../test/fixtures/synth/index.js';

const USAGE = 'usage: npm run make-leak-case -- --out DIR [--subjects N=60] [--seed S=1] [--photos DIR=.bench-data/photos] [--max-leaked-subjects N=25] [--doctored-share F=0.2]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      subjects: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      photos: { type: 'string', default: '.bench-data/photos' },
      'max-leaked-subjects': { type: 'string', default: '25' },
      'doctored-share': { type: 'string', default: '0.2' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.out) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const subjects = Number(values.subjects);
  const maxLeaked = Number(values['max-leaked-subjects']);
  if (!Number.isInteger(subjects) || subjects < 10 || subjects > 100000) {
    console.error(`Expected an integer between 10 and 100000 for --subjects but received ${JSON.stringify(values.subjects)}`);
    return 2;
  }
  if (!Number.isInteger(maxLeaked) || maxLeaked < 1) {
    console.error(`Expected a positive integer for --max-leaked-subjects but received ${JSON.stringify(values['max-leaked-subjects'])}`);
    return 2;
  }
  const doctoredShare = Number(values['doctored-share']);
  if (!(doctoredShare >= 0 && doctoredShare <= 1)) {
    console.error(`Expected a number between 0 and 1 for --doctored-share but received ${JSON.stringify(values['doctored-share'])}`);
    return 2;
  }
  const out = resolve(values.out);
  if (existsSync(out) && readdirSync(out).length > 0) {
    console.error(`${values.out} exists and is not empty; choose a new --out directory`);
    return 2;
  }
  const photos = await loadBenchPhotos(values.photos);
  const t0 = Date.now();
  const truth = await makeLeakCase({ out, subjects, seed: values.seed, photos, maxLeakedSubjects: maxLeaked, doctoredShare, log: (m) => console.log(m) });
  const vault = truth.files.filter((f) => f.source === 'vault');
  console.log(
    `leak case written to ${values.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${subjects} subjects, ${truth.files.length} leaked files ` +
      `(${vault.length} from the vault, ${vault.filter((f) => f.altered).length} doctored, ${truth.files.length - vault.length} distractors), ` +
      `${photos.length ? `${photos.length} real background photos` : 'generated backgrounds'}; leaking vendor: ${truth.leaking_vendor}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
