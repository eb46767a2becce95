import type { Command } from 'commander';
import { parseImageKind, requirePurpose } from '../../vault/records-service.js';
import { withVault } from '../open.js';
import { writeNewFile } from '../output-file.js';
import { progressBar } from '../progress.js';
import { action, globalOptions, output } from '../shell.js';

/** `tracemark records …`: import, list, find, show, export-image, erase. */
export function registerRecordsCommands(program: Command): void {
  const records = program.command('records').description('identity records: import, look up, read, export, erase');

  records
    .command('import <dir>')
    .description('import a folder with one sub-folder per subject (see README: Import layout); idempotent and resumable')
    .option('--source <name>', 'source recorded with each record (default: import:<folder name>)')
    .action(action(async (dir: string, opts: { source?: string }, cmd: Command) => {
      const summary = await withVault(cmd, async (t) => {
        const bar = progressBar('import', globalOptions(cmd).json);
        try {
          return await t.importer.importDir(dir, { ...(opts.source ? { source: opts.source } : {}), onProgress: (d, n, cur) => bar.update(d, n, cur) });
        } finally {
          bar.stop();
        }
      });
      output(cmd, summary, () => {
        const lines = [
          `subjects: ${summary.subjectsCreated} created, ${summary.subjectsExisting} already present`,
          `images:   ${summary.imagesAdded} added (${(summary.bytesImported / 1e6).toFixed(1)} MB), ${summary.imagesDuplicate} already present`,
          `failed:   ${summary.filesFailed}`,
          ...summary.failures.map((f) => `  ✗ ${f.path}: [${f.code}] ${f.message}`),
        ];
        return lines.join('\n');
      });
      if (summary.filesFailed > 0) process.exitCode = 2;
    }));

  records
    .command('list')
    .description('list subjects (refs, status, image counts; no personal data)')
    .option('--limit <n>', 'page size', '100')
    .option('--offset <n>', 'skip this many', '0')
    .action(action(async (opts: { limit: string; offset: string }, cmd: Command) => {
      const r = await withVault(cmd, (t) => t.records.list({ limit: Number(opts.limit), offset: Number(opts.offset) }));
      output(cmd, r, () => [
        `${r.total} subject(s)`,
        ...r.subjects.map((s) => `${s.ref.padEnd(16)} ${s.id}  ${s.status.padEnd(7)} images=${s.images}  kyc=${s.kycStatus ?? '-'}  added=${s.createdAt.slice(0, 10)}`),
      ].join('\n'));
    }));

  records
    .command('find')
    .description('exact lookup through blind indexes (no decryption)')
    .option('--document-number <n>', 'document number (spaces, dashes and case ignored)')
    .option('--email <e>', 'email address (case ignored)')
    .option('--name <name>', 'full name (accents, case and spacing ignored); needs --dob')
    .option('--dob <date>', 'date of birth YYYY-MM-DD; with --name')
    .action(action(async (opts: { documentNumber?: string; email?: string; name?: string; dob?: string }, cmd: Command) => {
      const found = await withVault(cmd, (t) => t.records.find(opts));
      output(cmd, { subjects: found.map((s) => ({ id: s.id, ref: s.ref, status: s.status })) }, () =>
        found.length === 0 ? 'no match' : found.map((s) => `${s.ref}  ${s.id}  ${s.status}`).join('\n'));
    }));

  records
    .command('show <id-or-ref>')
    .description('show a record with its personal data (requires --purpose; audited)')
    .option('--purpose <why>', 'why you need to see it (recorded in the audit log)')
    .action(action(async (id: string, opts: { purpose?: string }, cmd: Command) => {
      const v = await withVault(cmd, (t) => t.records.show(id, opts.purpose));
      output(cmd, { subject: v.subject, fields: v.fields, images: v.images.map(({ blobKey: _b, ...rest }) => rest) }, () => {
        const lines = [`${v.subject.ref}  (${v.subject.id})  status=${v.subject.status}  source=${v.subject.source}  added=${v.subject.createdAt}`];
        if (v.subject.recordDate) lines.push(`record date: ${v.subject.recordDate}`);
        for (const [k, val] of Object.entries(v.fields)) lines.push(`  ${k.padEnd(16)} ${typeof val === 'string' ? val : JSON.stringify(val)}`);
        lines.push(`images (${v.images.length}):`);
        for (const i of v.images) lines.push(`  ${i.kind.padEnd(17)} ${i.id}  ${i.format} ${i.width}×${i.height}  ${(i.byteSize / 1024).toFixed(0)} KiB`);
        return lines.join('\n');
      });
    }));

  records
    .command('export-image <id-or-ref> <kind-or-image-id> <out>')
    .description('write a watermarked copy of an image, marked for you (requires --purpose; audited)')
    .option('--purpose <why>', 'why the copy is needed (recorded in the audit log)')
    .action(action(async (id: string, kindOrImage: string, out: string, opts: { purpose?: string }, cmd: Command) => {
      const purpose = requirePurpose(opts.purpose);
      const r = await withVault(cmd, async (t) => {
        const { subject, image } = await t.records.findImage(id, kindOrImage);
        return writeNewFile(out, async () => {
          const copy = await t.releases.markedCopy(image, { recipient: await t.releases.staffRecipient(t.config.actor), purpose, channel: 'export' });
          return { bytes: copy.bytes, info: { subject: subject.ref, image: image.id, kind: image.kind, out, payload: copy.payload, format: copy.ext } };
        });
      });
      output(cmd, r, () => `wrote a watermarked copy of ${r.kind} of ${r.subject} to ${r.out} (payload ${r.payload}, ${r.bytes} bytes)`);
    }));

  records
    .command('export-original <id-or-ref> <kind-or-image-id> <out>')
    .description('ADMIN: write the unmarked original bytes (audited as an unmarked export; use only for legal hand-over)')
    .option('--purpose <why>', 'legal reason for an unmarked copy (recorded in the audit log)')
    .action(action(async (id: string, kindOrImage: string, out: string, opts: { purpose?: string }, cmd: Command) => {
      const purpose = requirePurpose(opts.purpose);
      const r = await withVault(cmd, async (t) => {
        const { subject, image } = await t.records.findImage(id, kindOrImage);
        return writeNewFile(out, async () => ({
          bytes: await t.records.readImage(image, { purpose, action: 'image.export_original', details: { unmarked: true } }),
          info: { subject: subject.ref, image: image.id, kind: image.kind, out, payload: null },
        }));
      });
      output(cmd, r, () => `wrote the UNMARKED original ${r.kind} of ${r.subject} to ${r.out} (${r.bytes} bytes); audited`);
    }));

  records
    .command('erase <id-or-ref>')
    .description('crypto-shred a subject: destroy its data key, fields, indexes and images (audited tombstone)')
    .option('--reason <why>', 'legal basis / request reference (kept in the audit log)')
    .action(action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const r = await withVault(cmd, (t) => t.records.erase(id, opts.reason));
      output(cmd, { subject: r.subject.id, ref: r.subject.ref, status: 'erased', blobs_deleted: r.blobsDeleted }, () => `erased ${r.subject.ref} (${r.subject.id}); ${r.blobsDeleted} image blob(s) deleted; data key destroyed`);
    }));
}
