import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { TracemarkError, invalidArgument } from '../../core/errors.js';
import type { TracemarkConfig } from '../../core/config.js';
import { openTracemark, type Tracemark } from '../../app/tracemark.js';
import { faceApiEngine } from '../../face/faceapi-engine.js';
import { closeMrzOcr, readMrz } from '../../document/mrz-ocr.js';
import type { TypedFields } from '../../document/crosscheck.js';
import { verifyKyc, type ImageInput, type KycInput } from '../../kyc/pipeline.js';
import { parseSteps } from '../../kyc/liveness.js';
import { VaultDuplicateLookup } from '../../kyc/vault-lookup.js';
import type { KycResult } from '../../kyc/types.js';
import { action, configFor, output } from '../shell.js';

const TYPED_KEYS = ['full_name', 'surname', 'given_names', 'date_of_birth', 'document_number', 'date_of_expiry'] as const;
const FRAME_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

async function readInput(path: string, what: string, cfg: TracemarkConfig): Promise<ImageInput> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new TracemarkError('FILE_NOT_FOUND', `${what} file not found: ${path}`, { kind: 'user' });
  }
  if (size > cfg.maxFileBytes) throw new TracemarkError('FILE_TOO_LARGE', `${path}: ${size} bytes exceeds the limit of ${cfg.maxFileBytes}`, { kind: 'user', hint: 'Raise TRACEMARK_MAX_FILE_BYTES if such files are legitimate.' });
  return { bytes: await readFile(path), label: path };
}

async function readTyped(path: string): Promise<TypedFields> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw invalidArgument('--typed', 'a readable JSON file with the fields the customer typed', path);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidArgument('--typed', 'a JSON object', Array.isArray(raw) ? 'an array' : typeof raw);
  const out: TypedFields = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(TYPED_KEYS as readonly string[]).includes(k)) throw invalidArgument(`--typed field ${JSON.stringify(k)}`, `one of ${TYPED_KEYS.join(', ')}`, k);
    if (typeof v !== 'string') throw invalidArgument(`--typed field ${k}`, 'a string', typeof v);
    if ((k === 'date_of_birth' || k === 'date_of_expiry') && !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw invalidArgument(`--typed field ${k}`, 'an ISO date yyyy-mm-dd', v);
    out[k as (typeof TYPED_KEYS)[number]] = v;
  }
  return out;
}

/** Frames folder: images in name order plus challenge.json {"steps": [...]} naming what was asked of the person. */
async function readFrames(dir: string, cfg: TracemarkConfig): Promise<{ frames: ImageInput[]; steps: ReturnType<typeof parseSteps> }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new TracemarkError('FILE_NOT_FOUND', `frames folder not found: ${dir}`, { kind: 'user' });
  }
  const challengePath = join(dir, 'challenge.json');
  if (!existsSync(challengePath)) throw new TracemarkError('LIVENESS_STEPS_MISSING', `${dir} has no challenge.json`, { kind: 'user', hint: 'Put {"steps": ["turn_left", "blink", …]} (the instructions the frames answer) in challenge.json beside the frames.' });
  let steps;
  try {
    steps = parseSteps((JSON.parse(await readFile(challengePath, 'utf8')) as { steps?: unknown }).steps);
  } catch (e) {
    if (e instanceof TracemarkError) throw e;
    throw invalidArgument(challengePath, 'JSON {"steps": [...]}', 'unparseable JSON');
  }
  const files = names.filter((n) => FRAME_EXT.has(extname(n).toLowerCase())).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const frames: ImageInput[] = [];
  for (const f of files) frames.push(await readInput(join(dir, f), 'frame', cfg));
  return { frames, steps };
}

function human(r: KycResult): string {
  const lines = [`decision: ${r.decision.toUpperCase()}`];
  lines.push(`face: ${r.face.score === null ? 'not compared' : `distance ${r.face.score} (${r.face.verdict}; match ≤ ${r.face.threshold}, auto-accept ≤ ${r.face.accept_threshold}, review ≤ ${r.face.review_upper})`}`);
  lines.push(`document: ${r.document.mrz ? `${r.document.mrz.format} MRZ ${r.document.mrz_valid ? 'valid' : 'INVALID'}${r.document.expired ? ', EXPIRED' : ''}` : 'no MRZ read'}`);
  lines.push(`liveness: ${r.liveness.performed ? (r.liveness.passed ? `passed (${r.liveness.steps.join(' → ')})` : `FAILED (${r.liveness.failure})`) : 'not performed'}`);
  lines.push(`duplicates: ${r.duplicates.checked ? `${r.duplicates.document_number.length} by document number, ${r.duplicates.faces.length} by face` : 'not checked'}`);
  if (r.reasons.length) lines.push('reasons:', ...r.reasons.map((x) => `  - [${x.severity}] ${x.code}: ${x.message}`));
  lines.push(`time: ${r.timings_ms.total} ms`);
  return lines.join('\n');
}

/** `tracemark kyc verify`: runs the KYC pipeline on files. */
export function registerKycCommands(program: Command): void {
  const kyc = program.command('kyc').description('KYC verification: document + selfie (+ liveness frames) → approve / review / reject');
  kyc
    .command('verify')
    .description('verify an identity document image against a selfie: face match, MRZ check digits and OCR, typed fields, expiry, liveness frames, duplicates (when a vault exists)')
    .requiredOption('--document <file>', 'photo/scan of the identity document (upright; MRZ visible)')
    .requiredOption('--selfie <file>', 'selfie of the person')
    .option('--frames <dir>', 'liveness frames in name order, with challenge.json {"steps": [...]}')
    .option('--typed <file>', 'JSON with the fields the customer typed: full_name | surname + given_names, date_of_birth, document_number, date_of_expiry')
    .option('--no-vault', 'do not use the vault even if one exists (duplicates are then not checked)')
    .action(action(async (opts: { document: string; selfie: string; frames?: string; typed?: string; vault: boolean }, cmd: Command) => {
      const cfg = configFor(cmd);
      const input: KycInput = {
        document: await readInput(opts.document, 'document', cfg),
        selfie: await readInput(opts.selfie, 'selfie', cfg),
      };
      if (opts.typed) input.typed = await readTyped(opts.typed);
      if (opts.frames) {
        const { frames, steps } = await readFrames(opts.frames, cfg);
        input.frames = frames;
        input.challenge = { steps };
      }
      const hasVault = opts.vault && existsSync(join(cfg.home, 'tracemark.json'));
      let vault: Tracemark | null = null;
      try {
        if (hasVault) vault = await openTracemark(cfg);
        const engine = faceApiEngine();
        const result = await verifyKyc(input, {
          engine,
          readMrz: (r) => readMrz(r),
          duplicates: vault ? new VaultDuplicateLookup(vault.records, engine.id) : null,
          duplicatesSkipped: opts.vault ? `No vault at ${cfg.home}, so existing subjects were not searched for this document number or face.` : 'Run with --no-vault: existing subjects were not searched.',
          limits: { maxPixels: cfg.maxPixels },
        });
        if (vault) await vault.audit.record('kyc.verify', null, { details: { decision: result.decision, reasons: result.reasons.map((r) => r.code), face_distance: result.face.score, mrz_valid: result.document.mrz_valid, duplicates: result.duplicates.document_number.length + result.duplicates.faces.length } });
        output(cmd, result, () => human(result));
      } finally {
        await closeMrzOcr();
        if (vault) await vault.close();
      }
    }));
}
