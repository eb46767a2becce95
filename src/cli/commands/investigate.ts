import type { Command } from 'commander';
import { open, unlink } from 'node:fs/promises';
import { TracemarkError } from '../../core/errors.js';
import { renderHtmlReport } from '../../investigate/report-html.js';
import { requirePurpose } from '../../vault/records-service.js';
import { withVault } from '../open.js';
import { progressBar } from '../progress.js';
import { action, globalOptions, output } from '../shell.js';

async function writeExclusive(path: string, text: string, force: boolean): Promise<void> {
  if (force) await unlink(path).catch(() => undefined);
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TracemarkError('OUTPUT_EXISTS', `${path} already exists`, { kind: 'user', hint: 'Choose another path or pass --force.' });
    throw new TracemarkError('OUTPUT_UNWRITABLE', `cannot create ${path}`, { kind: 'user' });
  }
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/** `tracemark investigate DIR --out report.json [--html report.html]`. */
export function registerInvestigateCommands(program: Command): void {
  program
    .command('investigate <dir>')
    .description('turn a folder of leaked images into a report: watermarks, matched records, alterations, who leaked, who is affected')
    .requiredOption('--out <report.json>', 'where to write the JSON report (schema tracemark.leak-report/1)')
    .option('--html <report.html>', 'also write a self-contained HTML report with pictures')
    .option('--purpose <why>', 'case reference for the audit log', 'leak investigation')
    .option('--include-pii', 'include names and contact details of affected people (audited as reads)')
    .option('--force', 'overwrite existing report files')
    .action(action(async (dir: string, opts: { out: string; html?: string; purpose: string; includePii?: boolean; force?: boolean }, cmd: Command) => {
      const purpose = requirePurpose(opts.purpose);
      const r = await withVault(cmd, async (t) => {
        const bar = progressBar('investigate', globalOptions(cmd).json);
        let res;
        try {
          res = await t.investigations.investigate(dir, { purpose, includePii: opts.includePii === true, visuals: opts.html !== undefined, onProgress: (d, n, f) => bar.update(d, n, f.slice(-40)) });
        } finally {
          bar.stop();
        }
        await writeExclusive(opts.out, JSON.stringify(res.report, null, 2) + '\n', opts.force === true);
        if (opts.html) {
          const timeline = await t.investigations.timeline(res.report);
          await writeExclusive(opts.html, await renderHtmlReport(res.report, res.visuals, timeline), opts.force === true);
        }
        return res.report;
      });
      output(cmd, { out: opts.out, html: opts.html ?? null, summary: r.summary, attribution: r.attribution.slice(0, 3), skipped: r.skipped.length }, () => {
        const s = r.summary;
        const lines = [
          `${r.input.files_seen} file(s): ${s.matched} matched, ${s.unmatched} unmatched, ${s.watermarked} watermarked, ${s.altered} altered, ${r.skipped.length} skipped`,
          `affected subjects: ${s.affected_subjects}`,
          ...r.attribution.slice(0, 3).map((a, i) => `${i + 1}. ${a.recipient} (${a.kind}) — ${a.explanation}`),
          `report: ${opts.out}${opts.html ? `, ${opts.html}` : ''}`,
        ];
        return lines.join('\n');
      });
    }));
}
