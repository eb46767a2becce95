import { lstat, readdir, readFile } from 'node:fs/promises';
import { extname, join, basename } from 'node:path';
import { TracemarkError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ImageKind } from '../storage/records/record-store.js';
import type { RecordsService } from './records-service.js';
import { REF_PATTERN, parseSubjectFields } from './subject-fields.js';

/** Image extensions the import picks up. */
const IMAGE_EXTS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.heic', '.heif', '.avif', '.tif', '.tiff', '.gif']);

/** Maps a file name to an image kind: `id_front.jpg` → id_front, `other-2.png` → other; null if it names no kind. */
export function kindFromFileName(name: string): ImageKind | null {
  const stem = basename(name, extname(name)).toLowerCase();
  if (stem === 'id_front' || stem === 'id_back' || stem === 'selfie' || stem === 'proof_of_address') return stem;
  if (/^other([-_ .]?\w*)?$/.test(stem)) return 'other';
  return null;
}

/** One problem met during an import; the import goes on. */
export interface ImportFailure {
  path: string;
  code: string;
  message: string;
}

/** Totals of an import run. */
export interface ImportSummary {
  subjectsCreated: number;
  subjectsExisting: number;
  imagesAdded: number;
  imagesDuplicate: number;
  filesFailed: number;
  failures: ImportFailure[];
  bytesImported: number;
}

/** Progress callback: one tick per folder processed. */
export type ImportProgress = (done: number, total: number, current: string) => void;

function failureOf(path: string, err: unknown): ImportFailure {
  if (err instanceof TracemarkError) return { path, code: err.code, message: err.message + (err.hint ? ` (${err.hint})` : '') };
  return { path, code: 'INTERNAL', message: err instanceof Error ? err.message.split('\n')[0] ?? 'error' : String(err) };
}

/**
 * Imports a folder of subjects: one sub-folder per subject (its name is the subject's ref), image files named by
 * kind, an optional record.json. Idempotent — an existing ref is reused and an image already stored (same SHA-256)
 * is skipped — so a run interrupted at any point is completed by running it again. One bad file never stops the
 * run; each is reported with its reason.
 */
export class ImportService {
  constructor(private readonly records: RecordsService, private readonly log?: Logger) {}

  async importDir(dir: string, opts: { source?: string; onProgress?: ImportProgress } = {}): Promise<ImportSummary> {
    let entries: string[];
    try {
      const st = await lstat(dir);
      if (!st.isDirectory()) throw new Error('not a directory');
      entries = (await readdir(dir)).sort();
    } catch {
      throw new TracemarkError('IMPORT_DIR_UNREADABLE', `cannot read the import folder ${dir}`, { kind: 'user', hint: 'Pass a folder that contains one sub-folder per subject.' });
    }
    const source = opts.source ?? `import:${basename(dir)}`;
    const summary: ImportSummary = { subjectsCreated: 0, subjectsExisting: 0, imagesAdded: 0, imagesDuplicate: 0, filesFailed: 0, failures: [], bytesImported: 0 };
    const folders: string[] = [];
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      const st = await lstat(join(dir, name)).catch(() => null);
      if (st?.isDirectory()) folders.push(name);
      else if (st && !st.isDirectory()) {
        summary.failures.push({ path: name, code: 'NOT_A_SUBJECT_FOLDER', message: `${name}: expected one sub-folder per subject; loose files are ignored` });
        summary.filesFailed++;
      }
    }
    let done = 0;
    for (const ref of folders) {
      opts.onProgress?.(done, folders.length, ref);
      const before = summary.imagesAdded;
      await this.importSubject(dir, ref, source, summary);
      done++;
      this.log?.info('import.subject', { ref, images_added: summary.imagesAdded - before, done, total: folders.length });
    }
    opts.onProgress?.(done, folders.length, '');
    return summary;
  }

  private async importSubject(dir: string, ref: string, source: string, summary: ImportSummary): Promise<void> {
    const folder = join(dir, ref);
    const fail = (path: string, err: unknown) => {
      summary.failures.push(failureOf(path, err));
      summary.filesFailed++;
    };
    if (!REF_PATTERN.test(ref)) {
      fail(ref, new TracemarkError('REF_INVALID', `folder name ${JSON.stringify(ref.slice(0, 64))} is not a valid subject ref (letters, digits, ".", "-", "_"; up to 64)`, { kind: 'user' }));
      return;
    }
    let files: string[];
    try {
      files = (await readdir(folder)).sort();
    } catch (err) {
      fail(ref, err);
      return;
    }
    let subject = await this.records.resolve(ref).catch(() => null);
    if (subject) {
      summary.subjectsExisting++;
      if (subject.status === 'erased') return; // Never resurrect an erased subject by re-importing its folder.
    } else {
      let fields = {};
      let recordDate: string | null = null;
      if (files.includes('record.json')) {
        try {
          const raw = await readFile(join(folder, 'record.json'), 'utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw);
          } catch {
            throw new TracemarkError('RECORD_INVALID', `${ref}/record.json is not valid JSON`, { kind: 'user' });
          }
          const r = parseSubjectFields(parsed, `${ref}/record.json`);
          fields = r.fields;
          recordDate = r.createdAt;
        } catch (err) {
          fail(`${ref}/record.json`, err);
          return;
        }
      }
      try {
        subject = await this.records.createSubject({ ref, fields, recordDate, source });
        summary.subjectsCreated++;
      } catch (err) {
        fail(ref, err);
        return;
      }
    }
    for (const name of files) {
      if (name === 'record.json' || name.startsWith('.')) continue;
      const path = `${ref}/${name}`;
      const kind = kindFromFileName(name);
      if (!IMAGE_EXTS.has(extname(name).toLowerCase()) || !kind) {
        fail(path, new TracemarkError('FILE_NOT_RECOGNISED', `${path}: not named after an image kind (id_front, id_back, selfie, proof_of_address, other) with an image extension`, { kind: 'user' }));
        continue;
      }
      try {
        const st = await lstat(join(folder, name));
        if (!st.isFile()) throw new TracemarkError('FILE_NOT_REGULAR', `${path}: not a regular file (symlinks and devices are not followed)`, { kind: 'user' });
        this.records.checkFileSize(st.size, path);
        const bytes = await readFile(join(folder, name));
        const r = await this.records.addImage(subject.id, kind, bytes, path, source);
        if (r.duplicate) summary.imagesDuplicate++;
        else {
          summary.imagesAdded++;
          summary.bytesImported += bytes.length;
        }
      } catch (err) {
        fail(path, err);
      }
    }
  }
}
