import type { Command } from 'commander';
import { renderHtmlReport } from '../../investigate/report-html.js';
import { requirePurpose } from '../../vault/records-service.js';
import { withVault } from '../open.js';
import { writeNewFile } from '../output-file.js';
import { progressBar } from '../progress.js';
import { action, globalOptions, output } from '../shell.js';

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
        await writeNewFile(opts.out, async () => ({ bytes: JSON.stringify(res.report, null, 2) + '\n', info: {} }), opts.force === true);
        if (opts.html) {
          const timeline = await t.investigations.timeline(res.report);
          await writeNewFile(opts.html, async () => ({ bytes: await renderHtmlReport(res.report, res.visuals, timeline), info: {} }), opts.force === true);
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
