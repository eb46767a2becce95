/**
 * `npm run score-leak-case -- --truth DIR/truth.json --report report.json [--strict] [--json]`: compares an
 * investigation report with a generated leak case's truth and prints a table; with --strict, exits 1 when any of
 * issue 5's targets is missed.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { formatScore, scoreLeakCase, type LeakTruth, type ReportLike } from '../test/fixtures/synth/index.js';

const USAGE = 'usage: npm run score-leak-case -- --truth DIR/truth.json --report report.json [--strict] [--json]';

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}

function main(): number {
  const { values } = parseArgs({
    options: { truth: { type: 'string' }, report: { type: 'string' }, strict: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !values.truth || !values.report) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const truth = readJson(values.truth, 'truth') as LeakTruth;
  const report = readJson(values.report, 'report') as ReportLike;
  if (truth.schema !== 'tracemark.leak-truth/1' || !Array.isArray(truth.files)) throw new Error(`${values.truth} is not a tracemark.leak-truth/1 file`);
  if (!Array.isArray(report.files)) throw new Error(`${values.report} has no "files" array (expected tracemark.leak-report/1)`);
  const score = scoreLeakCase(truth, report);
  console.log(values.json ? JSON.stringify(score, null, 2) : formatScore(score, truth));
  if (values.strict && !score.passed) {
    console.error(`targets missed: ${Object.entries(score.checks).filter(([, v]) => !v).map(([k]) => k).join(', ')}`);
    return 1;
  }
  return 0;
}

try {
  process.exit(main());
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
