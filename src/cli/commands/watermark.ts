import type { Command } from 'commander';
import { readFile, writeFile, rename, unlink, access } from 'node:fs/promises';
import { extname, join, dirname, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TracemarkError, invalidArgument } from '../../core/errors.js';
import { detectFile, embedFile, generateWatermarkKey, parsePayloadHex, readWatermarkKeyFile, writeWatermarkKeyFile, type EmbedOutput, type WatermarkKey } from '../../watermark/index.js';
import { action, configFor, output } from '../shell.js';

async function loadKey(cmd: Command, keyFile: string | undefined): Promise<WatermarkKey> {
  if (keyFile) return readWatermarkKeyFile(keyFile);
  const path = join(configFor(cmd).home, 'keys', 'watermark.key');
  try {
    await access(path);
  } catch {
    throw new TracemarkError('WATERMARK_KEY_MISSING', `no key; pass --key-file or run \`tracemark init\` (looked for ${path})`, { kind: 'not_found', details: { file: path } });
  }
  return readWatermarkKeyFile(path);
}

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new TracemarkError('FILE_UNREADABLE', `Cannot read ${path}`, { kind: 'user', hint: 'Check the path and permissions.', details: { file: path } });
  }
}

function formatFor(out: string): EmbedOutput['format'] {
  const ext = extname(out).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.png') return 'png';
  if (ext === '.webp') return 'webp';
  throw invalidArgument('OUT', 'a file name ending in .jpg, .jpeg, .png or .webp', out);
}

/** `tracemark watermark keygen|embed|detect`: the forensic watermark on single files. */
export function registerWatermarkCommands(program: Command): void {
  const wm = program.command('watermark').description('invisible forensic watermark (wm-v1): keyed, blind, 64-bit payload');
  wm.command('keygen')
    .description('create a new watermark key file (mode 0600; never overwrites)')
    .argument('<file>', 'where to write the key')
    .action(action(async (file: string, _opts: unknown, cmd: Command) => {
      const key = generateWatermarkKey();
      await writeWatermarkKeyFile(file, key);
      output(cmd, { keyId: key.id, file }, () => `wrote watermark key ${key.id} to ${file}`);
    }));
  wm.command('embed')
    .description('embed a 64-bit payload; the output format follows OUT\'s extension; metadata is stripped')
    .argument('<in>', 'input image')
    .argument('<out>', 'output image (.jpg, .png or .webp)')
    .requiredOption('--payload <hex16>', '64-bit payload as 16 hex digits')
    .option('--key-file <file>', 'watermark key (default: the vault home\'s keys/watermark.key)')
    .option('--quality <q>', 'JPEG/WebP quality 1–100', '92')
    .action(action(async (input: string, out: string, opts: { payload: string; keyFile?: string; quality: string }, cmd: Command) => {
      const payload = parsePayloadHex(opts.payload);
      const format = formatFor(out);
      const quality = Number(opts.quality);
      if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw invalidArgument('--quality', 'an integer between 1 and 100', opts.quality);
      const key = await loadKey(cmd, opts.keyFile);
      const bytes = await readInput(input);
      const cfg = configFor(cmd);
      const marked = await embedFile(bytes, basename(input), payload, key, { format, quality }, { maxPixels: cfg.maxPixels });
      const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, marked, { mode: 0o644 });
        await rename(tmp, out);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw new TracemarkError('FILE_UNWRITABLE', `Cannot write ${out}`, { kind: 'user', details: { file: out }, cause: err });
      }
      output(cmd, { out, format, keyId: key.id, payload: opts.payload.toLowerCase() }, () => `marked ${input} → ${out} (${format}, key ${key.id})`);
    }));
  wm.command('detect')
    .description('look for a mark; exit status 0 whether or not one is found')
    .argument('<in>', 'image to examine')
    .option('--key-file <file>', 'watermark key (default: the vault home\'s keys/watermark.key)')
    .option('--json', 'print one JSON object {detected, payload, confidence}')
    .action(action(async (input: string, opts: { keyFile?: string }, cmd: Command) => {
      const key = await loadKey(cmd, opts.keyFile);
      const bytes = await readInput(input);
      const cfg = configFor(cmd);
      const r = await detectFile(bytes, basename(input), key, { maxPixels: cfg.maxPixels });
      const payload = r.payload ? Buffer.from(r.payload).toString('hex') : null;
      output(cmd, { detected: r.detected, payload, confidence: Number(r.confidence.toFixed(12)) }, () =>
        r.detected ? `mark found: payload ${payload} (statistic ${r.statistic.toFixed(1)}, false-positive bound ${r.fpBound.toExponential(1)})` : `no mark of key ${key.id} found (statistic ${r.statistic.toFixed(1)} < ${r.threshold})`);
    }));
}
