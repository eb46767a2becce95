import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { detectAlteration, type Homography } from '../src/investigate/alteration.js';
import { rankAttribution } from '../src/investigate/attribution.js';
import { apply, iou, makeLeakCase, scoreLeakCase, type LeakTruth, type Mat3, type ReportLike, type VendorLog } from './fixtures/synth/index.js';

/** A report that says exactly what the truth says. */
function perfectReport(truth: LeakTruth): ReportLike {
  return {
    schema: 'tracemark.leak-report/1',
    files: truth.files.map((f) => ({
      file: join('/somewhere/case', f.file),
      match: f.subject_ref ? { subject_ref: f.subject_ref, image_kind: f.image_kind } : null,
      altered: f.altered,
      altered_regions: f.boxes.map((b) => ({ bbox: b, score: 1 })),
    })),
    attribution: [{ recipient: truth.leaking_vendor }, ...truth.vendors.filter((v) => v !== truth.leaking_vendor).map((recipient) => ({ recipient }))],
  };
}

test('make a small leak case and score reports against it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-leak-'));
  try {
    const truth = await makeLeakCase({ out: dir, subjects: 12, seed: 'test', maxLeakedSubjects: 5, doctoredShare: 0.4 });
    // Layout on disk.
    assert.deepEqual((await readdir(dir)).sort(), ['leak', 'recipients.json', 'truth.json', 'vault']);
    assert.equal((await readdir(join(dir, 'vault'))).length, 12);
    const recipients = JSON.parse(await readFile(join(dir, 'recipients.json'), 'utf8')) as { vendors: VendorLog[] };
    const leaker = recipients.vendors.find((v) => v.name === truth.leaking_vendor);
    assert.ok(leaker, 'the leaking vendor is in the processing log');
    for (const v of recipients.vendors) for (const c of v.contracts) assert.ok(c.start < c.end);
    // Every leaked vault subject was held by the leaker, and its record date fits one of the leaker's windows.
    for (const ref of truth.leaked_subjects) {
      assert.ok(leaker.records_sent.includes(ref));
      const rec = JSON.parse(await readFile(join(dir, 'vault', ref, 'record.json'), 'utf8')) as { created_at: string };
      assert.ok(leaker.contracts.some((c) => rec.created_at.slice(0, 10) >= c.start && rec.created_at.slice(0, 10) <= c.end));
    }
    assert.ok(truth.files.some((f) => f.subject_ref === null), 'distractors present');
    // Attribution from the processing log alone ranks the leaking vendor first.
    const dates = new Map<string, string>();
    for (const ref of await readdir(join(dir, 'vault'))) dates.set(ref, (JSON.parse(await readFile(join(dir, 'vault', ref, 'record.json'), 'utf8')) as { created_at: string }).created_at);
    const ranked = rankAttribution({
      vaultSize: dates.size,
      leaked: truth.leaked_subjects,
      recordDates: dates,
      recipients: recipients.vendors.map((v) => ({ name: v.name, kind: 'vendor' as const, held: v.records_sent, windows: v.contracts, watermarkHits: 0 })),
    });
    assert.equal(ranked[0]?.recipient, truth.leaking_vendor, JSON.stringify(ranked.map((r) => [r.recipient, r.overlap_count, r.log10_p_value])));
    assert.ok(truth.files.some((f) => f.altered), 'doctored files present');
    for (const f of truth.files) {
      const meta = await sharp(await readFile(join(dir, f.file))).metadata();
      assert.equal(meta.width, f.width, f.file);
      assert.equal(meta.height, f.height, f.file);
      for (const b of f.boxes) assert.ok(b[0] >= 0 && b[1] >= 0 && b[2] <= f.width && b[3] <= f.height && b[2] > b[0] && b[3] > b[1], `${f.file} box inside frame`);
      if (f.homography) {
        // The original's centre lands inside the leaked frame.
        const om = await sharp(await readFile(join(dir, f.original!))).metadata();
        const [cx, cy] = apply(f.homography as Mat3, om.width! / 2, om.height! / 2);
        assert.ok(cx > 0 && cy > 0 && cx < f.width && cy < f.height, `${f.file} homography`);
      }
    }
    // Alteration detection on this case with the true alignment: every doctored copy found, no benign one flagged.
    const detected = perfectReport(truth);
    for (const f of truth.files) {
      if (!f.homography) continue;
      const raw = async (p: string) => {
        const { data, info } = await sharp(join(dir, p)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
      };
      const r = detectAlteration(await raw(f.original!), await raw(f.file), f.homography as unknown as Homography);
      const entry = detected.files.find((e) => e.file.endsWith(f.file))!;
      entry.altered = r.altered;
      entry.altered_regions = r.regions;
    }
    const alt = scoreLeakCase(truth, detected);
    assert.ok(alt.altered.precision >= 0.9 && alt.altered.recall >= 0.9 && alt.meanIoU >= 0.5, JSON.stringify({ ...alt.altered, iou: alt.meanIoU, mistakes: alt.mistakes }));

    const perfect = scoreLeakCase(truth, perfectReport(truth));
    assert.equal(perfect.passed, true, JSON.stringify(perfect.checks));
    assert.equal(perfect.meanIoU, 1);
    assert.deepEqual(perfect.missingFromReport, []);
    // A matched distractor costs precision; a missed alteration costs recall; a wrong leader fails attribution.
    const bad = perfectReport(truth);
    const d = bad.files.find((f) => f.match === null)!;
    d.match = { subject_ref: truth.leaked_subjects[0]!, image_kind: 'id_front' };
    const doctored = bad.files.find((f) => f.altered)!;
    doctored.altered = false;
    bad.attribution!.reverse();
    const s = scoreLeakCase(truth, bad);
    assert.ok(s.match.precision < 1 && s.match.fp === 1);
    assert.equal(s.altered.fn, 1);
    assert.equal(s.leakerRankedFirst, false);
    assert.equal(s.passed, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('iou of boxes', () => {
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(iou([0, 0, 10, 10], [10, 10, 20, 20]), 0);
  assert.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
});
