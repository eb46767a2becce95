import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { TracemarkError } from '../../core/errors.js';
import { withVault } from '../open.js';
import { progressBar } from '../progress.js';
import { action, globalOptions, output } from '../shell.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `tracemark recipients …` and `tracemark release`. */
export function registerReleaseCommands(program: Command): void {
  const rc = program.command('recipients').description('staff and vendors who receive copies');
  rc.command('add <name>')
    .description('add a recipient')
    .requiredOption('--kind <kind>', 'vendor or staff')
    .option('--service <text>', 'what the recipient does for us (e.g. "address verification")')
    .option('--contract <start:end>', 'contract window YYYY-MM-DD:YYYY-MM-DD (repeatable)', collect, [])
    .option('--scope <kind>', 'image kind the recipient may receive (repeatable; default all)', collect, [])
    .action(action(async (name: string, opts: { kind: string; service?: string; contract: string[]; scope: string[] }, cmd: Command) => {
      const r = await withVault(cmd, (t) => t.releases.addRecipient({ name, kind: opts.kind, ...(opts.service ? { service: opts.service } : {}), contracts: opts.contract, scope: opts.scope }));
      output(cmd, r, () => `added ${r.kind} ${r.name} (${r.id})`);
    }));
  rc.command('add-contract <name> <start:end>')
    .description('add a contract window to a recipient')
    .action(action(async (name: string, window: string, _o: unknown, cmd: Command) => {
      const n = await withVault(cmd, async (t) => {
        const r = await t.releases.recipient(name);
        const { parseWindow } = await import('../../vault/release-service.js');
        return t.stores.releases.addContracts([{ recipientId: r.id, ...parseWindow(window) }]);
      });
      output(cmd, { added: n }, () => (n ? 'contract window added' : 'that window already exists'));
    }));
  rc.command('list')
    .description('recipients with contract windows, subjects held and copies released')
    .action(action(async (_o: unknown, cmd: Command) => {
      const rows = await withVault(cmd, (t) => t.releases.list());
      output(cmd, { recipients: rows }, () => rows.map((r) => `${r.name.padEnd(28)} ${r.kind.padEnd(6)} ${(r.service ?? '').padEnd(24)} windows=${r.contracts.map((c) => `${c.start}..${c.end}`).join(',') || '-'} held=${r.subjectsHeld} copies=${r.copiesReleased}`).join('\n') || 'no recipients');
    }));
  rc.command('show <name>')
    .description('one recipient with its contracts and released copies')
    .action(action(async (name: string, _o: unknown, cmd: Command) => {
      const v = await withVault(cmd, async (t) => {
        const r = await t.releases.recipient(name);
        return { ...r, contracts: await t.stores.releases.contractsOf(r.id), items: await t.stores.releases.itemsOf(r.id) };
      });
      output(cmd, v, () => [
        `${v.name} (${v.id}) ${v.kind}${v.service ? ` — ${v.service}` : ''}${v.scopeKinds ? ` scope=${v.scopeKinds.join(',')}` : ''}`,
        `contracts: ${v.contracts.map((c) => `${c.start}..${c.end}`).join(', ') || 'none'}`,
        `copies released: ${v.items.length}`,
        ...v.items.slice(-20).map((i) => `  ${i.createdAt}  ${i.kind.padEnd(16)} subject=${i.subjectId} payload=${i.payload}`),
      ].join('\n'));
    }));
  rc.command('import-log <file>')
    .description('record historic processing (which vendor held which subjects, when) from a JSON log')
    .action(action(async (file: string, _o: unknown, cmd: Command) => {
      const r = await withVault(cmd, (t) => t.releases.importLog(file));
      output(cmd, r, () => `${r.vendors} vendor(s): ${r.recipientsCreated} new, ${r.contractsAdded} contract window(s) and ${r.holdingsAdded} holding(s) added${r.unknownRefs.length ? `\nunknown refs (not in the vault): ${r.unknownRefs.join(', ')}` : ''}`);
    }));

  program.command('release')
    .description('write watermarked copies of subjects\' images for one recipient (each copy carries its own payload)')
    .requiredOption('--to <recipient>', 'recipient name or id')
    .option('--subjects <refs...>', 'subject refs or ids')
    .option('--subjects-file <file>', 'file with one ref per line')
    .option('--kind <kind>', 'only this image kind (repeatable)', collect, [])
    .requiredOption('--out <dir>', 'output folder')
    .option('--purpose <why>', 'why the recipient needs them (audited)')
    .action(action(async (opts: { to: string; subjects?: string[]; subjectsFile?: string; kind: string[]; out: string; purpose?: string }, cmd: Command) => {
      let refs = opts.subjects ?? [];
      if (opts.subjectsFile) refs = refs.concat((await readFile(opts.subjectsFile, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
      if (refs.length === 0) throw new TracemarkError('NO_SUBJECTS', 'no subjects to release', { kind: 'user', hint: 'Pass --subjects REF… or --subjects-file F.' });
      const r = await withVault(cmd, async (t) => {
        const bar = progressBar('release', globalOptions(cmd).json);
        try {
          return await t.releases.release({ to: opts.to, subjects: refs, outDir: opts.out, purpose: opts.purpose, kinds: opts.kind, onProgress: (d, n) => bar.update(d, n) });
        } finally {
          bar.stop();
        }
      });
      output(cmd, r, () => [
        `release ${r.releaseId} to ${r.recipient}: ${r.files.length} marked cop${r.files.length === 1 ? 'y' : 'ies'} in ${opts.out}`,
        ...r.files.map((f) => `  ${f.file}  payload=${f.payload}`),
        ...r.failures.map((f) => `  ✗ ${f.subject}: [${f.code}] ${f.message}`),
      ].join('\n'));
      if (r.failures.length) process.exitCode = 2;
    }));
}
