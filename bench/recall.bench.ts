/**
 * Recall benchmark: vault-like images (real photos from `bash scripts/fetch-photos.sh`, synthetic ID cards, selfies
 * holding cards) under resize, JPEG, crops to 90/70/50 % of each side, rotation ±5/10°, screenshot framing, mirror and
 * "card photographed in a new selfie", searched among ≥ 1,000 distractor images (crops of other photos, other
 * people's cards of the same issuers, other selfies). Reports recall and false matches for PDQ alone (radius 31, 8
 * dihedral variants) and for the full retrieval (PDQ + ORB features + RANSAC), plus negatives (copies of images that
 * are not in the vault: every confident candidate there is a false match; runner-ups are counted apart).
 *
 *   npm run bench:recall                 # ~20 photos + 24 people vs ≥ 1,000 distractors (several minutes)
 *   npm run bench:recall -- --quick      # smaller, for development
 *   … -- --quick --mode full --verbose --cache /tmp/recall-quick
 *        --mode pdq|full|both (default both); --verbose prints why each miss / false match happened (PDQ distance,
 *        the source's rank by descriptor votes, its inliers next to the best wrong candidate's); --cache DIR keeps
 *        the generated images (synthetic cards and public photos only) so development runs skip the prep (~100 s
 *        quick, ~6 min full); --dump FILE writes every query's verified candidates as JSON; --matcher JSON passes
 *        MatcherOptions (e.g. '{"verifyTop":20}') for A/B runs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { SqliteHashStore } from '../src/storage/hashes/sqlite.js';
import { ImageMatcher, type MatchCandidate, type MatchExplain, type MatcherOptions } from '../src/match/retrieval.js';
import type { Raster } from '../src/image/decode.js';
import { loadBenchPhotos, makePerson, renderSubject, renderSelfie, renderIdCard, renderPortrait, Rng } from '../test/fixtures/synth/index.js';

const QUICK = process.argv.includes('--quick');
const N_PHOTOS = QUICK ? 6 : 20;
const N_CARD_ONLY = QUICK ? 4 : 12;
const N_WITH_SELFIE = QUICK ? 4 : 12;
const N_DISTRACTORS = QUICK ? 200 : 1000;
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const MODE = arg('--mode') ?? 'both';
const VERBOSE = process.argv.includes('--verbose');
const CACHE = arg('--cache');
const DUMP = arg('--dump');
/** `--matcher '{"verifyTop":20}'`: MatcherOptions for A/B runs (README figures use the defaults). */
const MATCHER_OPTS = JSON.parse(arg('--matcher') ?? '{}') as MatcherOptions;

async function raster(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Normalises a source to at most 1200 px on the long side (vault images are re-encoded PNG here). */
async function normalise(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes).rotate().resize(1200, 1200, { fit: 'inside', withoutEnlargement: true }).removeAlpha().png().toBuffer();
}

type Attack = { name: string; group: 'photometric' | 'crop' | 'geometric' | 'screenshot' | 'mirror' | 'selfie'; run: (src: Buffer, rng: Rng) => Promise<Buffer> };

async function size(b: Buffer): Promise<{ w: number; h: number }> {
  const m = await sharp(b).metadata();
  return { w: m.width ?? 0, h: m.height ?? 0 };
}

function crop(keep: number): Attack['run'] {
  return async (src, rng) => {
    const { w, h } = await size(src);
    const cw = Math.round(w * keep);
    const ch = Math.round(h * keep);
    const left = Math.floor(rng.range(0, w - cw));
    const top = Math.floor(rng.range(0, h - ch));
    return sharp(src).extract({ left, top, width: cw, height: ch }).jpeg({ quality: 85 }).toBuffer();
  };
}

const ATTACKS: Attack[] = [
  { name: 'resize-50%', group: 'photometric', run: async (s) => sharp(s).resize({ width: Math.round((await size(s)).w * 0.5) }).jpeg({ quality: 90 }).toBuffer() },
  { name: 'jpeg-q40', group: 'photometric', run: async (s) => sharp(s).jpeg({ quality: 40 }).toBuffer() },
  { name: 'bright+contrast', group: 'photometric', run: async (s) => sharp(s).linear(1.15, 12).modulate({ saturation: 1.2 }).jpeg({ quality: 80 }).toBuffer() },
  { name: 'crop-90%', group: 'crop', run: crop(0.9) },
  { name: 'crop-70%', group: 'crop', run: crop(0.7) },
  { name: 'crop-50%', group: 'crop', run: crop(0.5) },
  { name: 'rotate+5°', group: 'geometric', run: async (s) => sharp(s).rotate(5, { background: '#000' }).jpeg({ quality: 85 }).toBuffer() },
  { name: 'rotate-10°', group: 'geometric', run: async (s) => sharp(s).rotate(-10, { background: '#fff' }).jpeg({ quality: 85 }).toBuffer() },
  {
    name: 'screenshot',
    group: 'screenshot',
    run: async (s) => {
      const W = 1440;
      const H = 900;
      const inner = await sharp(s).resize(900, 640, { fit: 'inside' }).toBuffer();
      const m = await size(inner);
      const ui = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#2b2d31"/><rect width="${W}" height="44" fill="#1e1f22"/><circle cx="22" cy="22" r="7" fill="#ed6a5e"/><circle cx="44" cy="22" r="7" fill="#f5bf4f"/><rect x="0" y="44" width="260" height="${H - 44}" fill="#232428"/><text x="300" y="90" font-family="DejaVu Sans" font-size="22" fill="#ddd">leaked_scan.png — chat</text><rect x="300" y="${H - 70}" width="1000" height="40" rx="8" fill="#383a40"/></svg>`;
      return sharp(Buffer.from(ui)).composite([{ input: inner, left: 300 + Math.round((1000 - m.w) / 2), top: 110 }]).png().toBuffer();
    },
  },
  { name: 'mirror', group: 'mirror', run: async (s) => sharp(s).flop().jpeg({ quality: 85 }).toBuffer() },
];

interface Query {
  attack: string;
  group: string;
  bytes: Buffer;
  expected: Set<string>;
}

const tStart = performance.now();
function progress(msg: string): void {
  process.stderr.write(`[${((performance.now() - tStart) / 1000).toFixed(0)} s] ${msg}\n`);
}

interface Prepared {
  vault: { id: string; kind: string; png: Buffer; subject: string }[];
  queries: Query[];
  distractors: { id: string; kind: string; png: Buffer }[];
  negatives: Query[];
}

/** Saves the generated sets (one file per image plus a manifest) so development runs can skip generating them. */
function saveCache(dir: string, p: Prepared): void {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  const file = (b: Buffer): string => {
    const f = `${n++}.bin`;
    writeFileSync(join(dir, f), b);
    return f;
  };
  const q = (x: Query): unknown => ({ attack: x.attack, group: x.group, file: file(x.bytes), expected: [...x.expected] });
  const manifest = {
    vault: p.vault.map((v) => ({ id: v.id, kind: v.kind, subject: v.subject, file: file(v.png) })),
    queries: p.queries.map(q),
    distractors: p.distractors.map((d) => ({ id: d.id, kind: d.kind, file: file(d.png) })),
    negatives: p.negatives.map(q),
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

function loadCache(dir: string): Prepared {
  type Q = { attack: string; group: string; file: string; expected: string[] };
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    vault: { id: string; kind: string; subject: string; file: string }[];
    queries: Q[];
    distractors: { id: string; kind: string; file: string }[];
    negatives: Q[];
  };
  const rd = (f: string): Buffer => readFileSync(join(dir, f));
  const q = (x: Q): Query => ({ attack: x.attack, group: x.group, bytes: rd(x.file), expected: new Set(x.expected) });
  return {
    vault: m.vault.map((v) => ({ id: v.id, kind: v.kind, subject: v.subject, png: rd(v.file) })),
    queries: m.queries.map(q),
    distractors: m.distractors.map((d) => ({ id: d.id, kind: d.kind, png: rd(d.file) })),
    negatives: m.negatives.map(q),
  };
}

/** One line on why a query went wrong: PDQ hits, the expected image's vote rank and inliers vs the best wrong one. */
function diagnose(q: Query, cands: MatchCandidate[], ex: MatchExplain): string {
  const exp = (id: string): boolean => q.expected.has(id);
  const pdqSrc = ex.pdq.find((h) => exp(h.imageId));
  const pdqWrong = ex.pdq.find((h) => !exp(h.imageId));
  const rank = ex.votes.findIndex((v) => exp(v.imageId));
  const vSrc = rank >= 0 ? ex.votes[rank]! : null;
  const vWrong = ex.votes.find((v) => !exp(v.imageId));
  const inSrc = ex.verified.filter((v) => exp(v.imageId)).sort((a, b) => b.inliers - a.inliers)[0];
  const inWrong = ex.verified.filter((v) => !exp(v.imageId)).sort((a, b) => b.inliers - a.inliers)[0];
  const got = cands.map((c) => `${c.imageId}${c.confident ? '' : '?'}(${c.method},d=${c.distance ?? '-'},in=${c.inliers ?? '-'})`).join(' ');
  return [
    `pdq src ${pdqSrc ? `${pdqSrc.distance}/${pdqSrc.variant}` : '-'} wrong ${pdqWrong ? `${pdqWrong.imageId}:${pdqWrong.distance}` : '-'}`,
    `votes src #${rank >= 0 ? rank + 1 : '-'} ${vSrc ? `${vSrc.votes}/${vSrc.voters}` : ''} wrong ${vWrong ? `${vWrong.imageId}:${vWrong.votes}/${vWrong.voters}` : '-'}`,
    `inliers src ${inSrc ? `${inSrc.inliers}/${inSrc.matches}` : '-'} wrong ${inWrong ? `${inWrong.imageId}:${inWrong.inliers}/${inWrong.matches}` : '-'}`,
    `→ ${got || 'nothing'}`,
  ].join(' | ');
}

async function prepare(): Promise<Prepared | null> {
  const rawPhotos = await loadBenchPhotos('.bench-data/photos', 64);
  if (rawPhotos.length < N_PHOTOS + 10) {
    console.log(`bench:recall needs the benchmark photos: run \`bash scripts/fetch-photos.sh\` first (found ${rawPhotos.length}).`);
    process.exitCode = 1;
    return null;
  }
  // Decode each (often multi-megapixel) photo once.
  const photos: Buffer[] = [];
  for (const p of rawPhotos) photos.push(await normalise(p));
  progress(`photos normalised (${photos.length})`);
  const rng = new Rng('recall-bench');
  const vault: { id: string; kind: string; png: Buffer; subject: string }[] = [];
  const queries: Query[] = [];
  // Vault photos.
  for (let i = 0; i < N_PHOTOS; i++) vault.push({ id: `photo-${i}`, kind: 'other', png: await normalise(photos[i]!), subject: `photo-${i}` });
  // People: some with only the card front in the vault, some with card + selfie.
  const cardOnly: { person: ReturnType<typeof makePerson>; card: Buffer }[] = [];
  for (let i = 0; i < N_CARD_ONLY + N_WITH_SELFIE; i++) {
    const person = makePerson(1000 + i);
    const s = await renderSubject(person);
    vault.push({ id: `card-${i}`, kind: 'id_front', png: await normalise(s.idFront), subject: `person-${i}` });
    if (i >= N_CARD_ONLY && s.selfie) vault.push({ id: `selfie-${i}`, kind: 'selfie', png: await normalise(s.selfie.jpeg), subject: `person-${i}` });
    else cardOnly.push({ person, card: s.idFront });
  }
  progress(`vault rendered (${vault.length})`);
  const subjectImages = new Map<string, string[]>();
  for (const v of vault) subjectImages.set(v.subject, [...(subjectImages.get(v.subject) ?? []), v.id]);
  for (const v of vault) {
    const expected = new Set(subjectImages.get(v.subject));
    for (const a of ATTACKS) queries.push({ attack: a.name, group: a.group, bytes: await a.run(v.png, rng.fork(`${v.id}:${a.name}`)), expected });
  }
  // The card photographed in a new selfie (a different background photo); only the card front is in the vault.
  for (const [i, c] of cardOnly.entries()) {
    const bg = photos[N_PHOTOS + (i % 10)]!;
    const sel = await renderSelfie(c.person, c.card, { backgroundPhoto: bg });
    queries.push({ attack: 'card-in-new-selfie', group: 'selfie', bytes: sel.jpeg, expected: new Set([`card-${i}`]) });
  }
  progress(`queries made (${queries.length})`);
  // Distractors: crops of the other photos, other people's cards (same issuers) and selfies.
  const distractors: { id: string; kind: string; png: Buffer }[] = [];
  const otherPhotos = photos.slice(N_PHOTOS + 10);
  let p = 0;
  const nPeople = Math.floor(N_DISTRACTORS * 0.3);
  for (let i = 0; i < nPeople; i++) {
    const person = makePerson(5000 + i);
    const portrait = await renderPortrait(person);
    const card = await renderIdCard(person, portrait);
    distractors.push({ id: `d-card-${i}`, kind: 'id_front', png: await normalise(card) });
    if (i % 3 === 0) {
      const sel = await renderSelfie(person, card, otherPhotos.length ? { backgroundPhoto: otherPhotos[i % otherPhotos.length]! } : {});
      distractors.push({ id: `d-selfie-${i}`, kind: 'selfie', png: await normalise(sel.jpeg) });
    }
  }
  while (distractors.length < N_DISTRACTORS) {
    const src = otherPhotos[p % otherPhotos.length]!;
    const { w, h } = await size(src);
    const r = rng.fork(`d${p}`);
    const keep = r.range(0.35, 0.8);
    const cw = Math.round(w * keep);
    const ch = Math.round(h * r.range(0.35, 0.8));
    const left = Math.floor(r.range(0, w - cw));
    const top = Math.floor(r.range(0, h - ch));
    distractors.push({ id: `d-photo-${p}`, kind: 'other', png: await sharp(src).rotate().extract({ left, top, width: cw, height: ch }).resize(1000, 1000, { fit: 'inside' }).png().toBuffer() });
    p++;
  }
  progress(`distractors made (${distractors.length})`);
  // Negatives: copies of images that are not in the vault (held-out photos and people).
  const negatives: Query[] = [];
  for (let i = 0; i < (QUICK ? 4 : 10); i++) {
    const src = await normalise(photos[N_PHOTOS + i]!);
    for (const a of [ATTACKS[0]!, ATTACKS[4]!, ATTACKS[8]!]) negatives.push({ attack: a.name, group: 'negative', bytes: await a.run(src, rng.fork(`neg${i}`)), expected: new Set() });
  }
  for (let i = 0; i < (QUICK ? 4 : 10); i++) {
    const person = makePerson(9000 + i);
    const s = await renderSubject(person);
    negatives.push({ attack: 'card-jpeg', group: 'negative', bytes: await ATTACKS[1]!.run(s.idFront, rng), expected: new Set() });
    negatives.push({ attack: 'card-crop70', group: 'negative', bytes: await ATTACKS[4]!.run(s.idFront, rng.fork(`nc${i}`)), expected: new Set() });
    if (s.selfie) negatives.push({ attack: 'selfie', group: 'negative', bytes: s.selfie.jpeg, expected: new Set() });
  }
  return { vault, queries, distractors, negatives };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  let prepared: Prepared | null;
  if (CACHE && existsSync(join(CACHE, 'manifest.json'))) prepared = loadCache(CACHE);
  else {
    prepared = await prepare();
    if (prepared && CACHE) saveCache(CACHE, prepared);
  }
  if (!prepared) return;
  const { vault, queries, distractors, negatives } = prepared;
  const tPrep = performance.now();
  console.log(`bench:recall — vault ${vault.length} images (${N_PHOTOS} photos, ${N_CARD_ONLY + N_WITH_SELFIE} ID cards, ${N_WITH_SELFIE} selfies), ${distractors.length} distractors, ${queries.length} attacked copies, ${negatives.length} negatives (prep ${((tPrep - t0) / 1000).toFixed(0)} s)`);

  const modes = (['pdq-only', 'full'] as const).filter((m) => MODE === 'both' || (MODE === 'pdq') === (m === 'pdq-only'));
  for (const mode of modes) {
    const db = new Database(':memory:');
    const store = new SqliteHashStore(db);
    store.migrate();
    const matcher = new ImageMatcher(store, { ...MATCHER_OPTS, features: mode === 'full' });
    let ti = performance.now();
    for (const v of [...vault, ...distractors]) await matcher.ingest(v.id, v.kind, await raster(v.png));
    progress(`[${mode}] ingested`);
    const ingestMs = (performance.now() - ti) / (vault.length + distractors.length);
    // Reload from the store, as `tracemark index rebuild` does, so the persisted path is what is measured.
    const reloaded = new ImageMatcher(store, { ...MATCHER_OPTS, features: mode === 'full' });
    const loaded = reloaded.load();
    // A false match is a confident candidate that is not the source. Runner-ups (confident: false — verified
    // look-alikes returned when no candidate is confident, for the investigation to decide on the originals) are
    // counted apart: handing them on is by design, the source missing from the list is what cannot be recovered.
    const per = new Map<string, { n: number; hit: number; falseM: number; runnerUps: number; group: string }>();
    const times: number[] = [];
    const stageMs = { pdq: 0, extract: 0, vote: 0, verify: 0 };
    const dump: unknown[] = [];
    let falseTotal = 0;
    let runnerTotal = 0;
    for (const q of [...queries, ...negatives]) {
      const r = await raster(q.bytes);
      ti = performance.now();
      const explain: MatchExplain = { pdq: [], votes: [], verified: [] };
      const cands: MatchCandidate[] = await reloaded.match(r, { top: 5, explain });
      times.push(performance.now() - ti);
      if (explain.ms) for (const k of ['pdq', 'extract', 'vote', 'verify'] as const) stageMs[k] += explain.ms[k];
      const hit = cands.some((c) => q.expected.has(c.imageId));
      const falseM = cands.filter((c) => c.confident && !q.expected.has(c.imageId)).length;
      if (DUMP) dump.push({ attack: q.attack, group: q.group, expected: [...q.expected], verified: explain.verified, pdq: explain.pdq.slice(0, 5), got: cands.map((c) => ({ id: c.imageId, confident: c.confident, inliers: c.inliers, distance: c.distance })) });
      // PDQ alone misses every geometric change by design: only its false matches are worth a line.
      if (VERBOSE && ((!hit && q.group !== 'negative' && mode === 'full') || falseM > 0)) console.log(`  ${hit || q.group === 'negative' ? 'FALSE' : 'MISS '} ${q.attack} [${[...q.expected].join(',') || 'not in vault'}] ${diagnose(q, cands, explain)}`);
      const runnerUps = cands.filter((c) => !c.confident && !q.expected.has(c.imageId)).length;
      falseTotal += falseM;
      runnerTotal += runnerUps;
      const key = `${q.group === 'negative' ? 'negative ' : ''}${q.attack}`;
      const e = per.get(key) ?? { n: 0, hit: 0, falseM: 0, runnerUps: 0, group: q.group };
      e.n++;
      if (hit) e.hit++;
      e.falseM += falseM;
      e.runnerUps += runnerUps;
      per.set(key, e);
    }
    if (DUMP && mode === 'full') writeFileSync(DUMP, JSON.stringify(dump));
    times.sort((a, b) => a - b);
    console.log(`\n[${mode}] ingest ${ingestMs.toFixed(0)} ms/image; index rebuild from store: ${loaded.pdq} PDQ + ${loaded.descriptors} descriptors in ${loaded.ms.toFixed(0)} ms; query p50 ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, p99 ${times[Math.floor(times.length * 0.99)]!.toFixed(0)} ms`);
    const nq = times.length;
    console.log(`  query stages (mean ms): PDQ ${(stageMs.pdq / nq).toFixed(0)}, ORB extraction ${(stageMs.extract / nq).toFixed(0)}, descriptor vote ${(stageMs.vote / nq).toFixed(0)}, geometric verification ${(stageMs.verify / nq).toFixed(0)}`);
    console.log('attack                    group        recall          false matches  other runner-ups');
    for (const [name, e] of per) {
      const recall = e.group === 'negative' ? '   —   ' : `${((100 * e.hit) / e.n).toFixed(1).padStart(5)}% (${e.hit}/${e.n})`;
      console.log(`${name.padEnd(25)} ${e.group.padEnd(12)} ${recall.padEnd(16)} ${String(e.falseM).padEnd(14)} ${e.runnerUps}`);
    }
    const groups = new Map<string, { n: number; hit: number }>();
    for (const e of per.values()) {
      if (e.group === 'negative') continue;
      const g = groups.get(e.group) ?? { n: 0, hit: 0 };
      g.n += e.n;
      g.hit += e.hit;
      groups.set(e.group, g);
    }
    console.log(`summary [${mode}]: ${[...groups].map(([g, v]) => `${g} ${((100 * v.hit) / v.n).toFixed(1)}%`).join(', ')}; false matches ${falseTotal}; runner-ups that are not the source ${runnerTotal}`);
    db.close();
  }
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
