import type { Command } from 'commander';
import { initTracemark } from '../../app/tracemark.js';
import { withVault } from '../open.js';
import { progressBar } from '../progress.js';
import { action, configFor, globalOptions, output } from '../shell.js';

/** `tracemark init`, `keys …`, `audit …`, `doctor`. */
export function registerAdminCommands(program: Command): void {
  program
    .command('init')
    .description('create a vault home: database, blob folder, keyring (protected with scrypt if TRACEMARK_PASSPHRASE is set), watermark key')
    .action(action(async (_opts: unknown, cmd: Command) => {
      const cfg = configFor(cmd);
      const r = await initTracemark(cfg);
      output(cmd, r, () => [
        `created vault at ${r.home}`,
        r.passphraseProtected ? 'keyring sealed with your passphrase (scrypt + AES-256-GCM)' : 'keyring protected by file permissions only (set TRACEMARK_PASSPHRASE before init to seal it)',
      ].join('\n'));
    }));

  const keys = program.command('keys').description('key management');
  keys
    .command('status')
    .description('KEK versions and how many data keys each wraps')
    .action(action(async (_opts: unknown, cmd: Command) => {
      const s = await withVault(cmd, (t) => t.keys.status());
      output(cmd, s, () => `provider ${s.provider}; current version ${s.current}; versions ${s.versions.join(', ')}\ndata keys by version: ${Object.entries(s.dataKeysByVersion).map(([v, n]) => `v${v}=${n}`).join(' ') || 'none'}`);
    }));
  keys
    .command('rotate')
    .description('add a key-encryption key version and rewrap every data key (no blob is re-encrypted); safe to interrupt and re-run')
    .action(action(async (_opts: unknown, cmd: Command) => {
      const r = await withVault(cmd, async (t) => {
        const bar = progressBar('rewrap', globalOptions(cmd).json);
        try {
          return await t.keys.rotate({ onProgress: (d, n) => bar.update(d, n) });
        } finally {
          bar.stop();
        }
      });
      output(cmd, r, () => `${r.resumed ? 'finished an interrupted rotation to' : 'rotated to'} key version ${r.version}; ${r.rewrapped} data key(s) rewrapped`);
    }));

  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('check the hash chain and signed checkpoints; exits 4 and names the first bad entry if tampered')
    .action(action(async (_opts: unknown, cmd: Command) => {
      const v = await withVault(cmd, (t) => t.audit.verify());
      output(cmd, v, () => v.ok ? `OK: ${v.entries} entries, ${v.checkpoints} signed checkpoint(s), last at #${v.lastCheckpointSeq ?? '-'}` : `TAMPERED: ${v.problem?.message}`);
      if (!v.ok) process.exitCode = 4;
    }));
  audit
    .command('show')
    .description('list audit entries')
    .option('--subject <id-or-ref>', 'only entries about this subject')
    .option('--limit <n>', 'at most this many', '200')
    .action(action(async (opts: { subject?: string; limit: string }, cmd: Command) => {
      const rows = await withVault(cmd, async (t) => {
        const subjectId = opts.subject ? (await t.records.resolve(opts.subject)).id : undefined;
        return t.audit.show({ ...(subjectId ? { subjectId } : {}), limit: Number(opts.limit) });
      });
      output(cmd, { entries: rows }, () => rows.map((e) => `#${String(e.seq).padEnd(5)} ${e.at}  ${e.actor.padEnd(14)} ${e.action.padEnd(18)} ${e.subjectId ?? '-'}${e.purpose ? `  purpose="${e.purpose}"` : ''}${Object.keys(e.details).length ? `  ${JSON.stringify(e.details)}` : ''}`).join('\n') || 'no entries');
    }));

  program
    .command('doctor')
    .description('decrypt every blob and check its hash, find orphans, verify the audit log')
    .option('--fix', 'remove orphan blobs left by interrupted writes')
    .action(action(async (opts: { fix?: boolean }, cmd: Command) => {
      const r = await withVault(cmd, async (t) => {
        const bar = progressBar('doctor', globalOptions(cmd).json);
        try {
          return await t.doctor.run({ fix: opts.fix === true, onProgress: (d, n) => bar.update(d, n) });
        } finally {
          bar.stop();
        }
      });
      output(cmd, r, () => [
        r.healthy ? 'healthy' : 'PROBLEMS FOUND',
        `subjects ${r.subjects}, images checked ${r.imagesChecked}, orphan blobs ${r.orphanBlobs}${r.orphansRemoved ? ` (${r.orphansRemoved} removed)` : ''}, audit ${r.audit.ok ? 'OK' : 'TAMPERED'}`,
        ...r.findings.map((f) => `  ${f.severity === 'error' ? '✗' : '!'} [${f.code}] ${f.message}`),
      ].join('\n'));
      if (!r.healthy) process.exitCode = 4;
    }));
}
