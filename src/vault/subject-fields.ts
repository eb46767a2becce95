import { TracemarkError, invalidArgument } from '../core/errors.js';

/** The personal-data fields of a subject. All are optional strings; every one is stored encrypted. */
export const PII_FIELDS = [
  'full_name', 'given_names', 'surname', 'date_of_birth', 'sex', 'nationality', 'issuer', 'document_type',
  'document_number', 'date_of_expiry', 'email', 'phone',
] as const;
/** One of {@link PII_FIELDS}. */
export type PiiField = (typeof PII_FIELDS)[number];

/** A subject's personal data as given at intake and returned by an authorised read. */
export type SubjectFields = Partial<Record<PiiField, string>> & { extra?: Record<string, unknown> };

/** External references name folders and appear in reports: letters, digits, dot, dash, underscore; ≤ 64 chars. */
export const REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a reference string; the message quotes at most a short prefix (refs are not personal data). */
export function validateRef(ref: string): string {
  if (!REF_PATTERN.test(ref)) throw invalidArgument('ref', 'letters, digits, ".", "-" or "_" (1–64 characters, not starting with a symbol)', ref);
  return ref;
}

function validDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Validates and normalises raw record fields (from record.json, the API or the CLI). Unknown fields are kept in
 * `extra` (encrypted like the rest). Error messages name the field, never its value, because values are PII.
 */
export function parseSubjectFields(raw: unknown, source: string): { fields: SubjectFields; createdAt: string | null } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TracemarkError('RECORD_INVALID', `${source}: expected a JSON object of record fields`, { kind: 'user' });
  }
  const fields: SubjectFields = {};
  const extra: Record<string, unknown> = {};
  let createdAt: string | null = null;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === 'created_at') {
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new TracemarkError('RECORD_INVALID', `${source}: created_at must be an ISO 8601 date`, { kind: 'user' });
      createdAt = v.length === 10 ? v : new Date(v).toISOString();
      continue;
    }
    if ((PII_FIELDS as readonly string[]).includes(k)) {
      if (v === null || v === undefined || v === '') continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw new TracemarkError('RECORD_INVALID', `${source}: field ${k} must be a string`, { kind: 'user' });
      const value = String(v).normalize('NFC').trim();
      if (value.length > 512) throw new TracemarkError('RECORD_INVALID', `${source}: field ${k} is longer than 512 characters`, { kind: 'user' });
      if ((k === 'date_of_birth' || k === 'date_of_expiry') && !validDate(value)) {
        throw new TracemarkError('RECORD_INVALID', `${source}: field ${k} must be a date in YYYY-MM-DD form`, { kind: 'user' });
      }
      if (k === 'email' && !/^[^\s@]+@[^\s@]+$/.test(value)) throw new TracemarkError('RECORD_INVALID', `${source}: field email is not an email address`, { kind: 'user' });
      fields[k as PiiField] = value;
    } else {
      extra[k] = v;
    }
  }
  if (!fields.full_name && (fields.given_names || fields.surname)) fields.full_name = [fields.given_names, fields.surname].filter(Boolean).join(' ');
  if (Object.keys(extra).length) fields.extra = extra;
  return { fields, createdAt };
}
