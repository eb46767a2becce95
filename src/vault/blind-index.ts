import { createHmac } from 'node:crypto';
import type { BlindIndexKind, BlindIndexRow } from '../storage/records/record-store.js';
import type { SubjectFields } from './subject-fields.js';

/**
 * Normalises text for exact matching: Unicode compatibility decomposition, diacritics removed, case folded,
 * punctuation turned into spaces, whitespace collapsed. "  José  MÜLLER-Łukasiewicz " → "jose muller lukasiewicz".
 */
export function normaliseText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    // Letters that NFKD does not decompose into base + mark.
    .replace(/[łŁ]/g, 'l').replace(/[øØ]/g, 'o').replace(/[ßẞ]/g, 'ss').replace(/[æÆ]/g, 'ae').replace(/[đĐ]/g, 'd').replace(/[ıİ]/g, 'i')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Document numbers: letters and digits only, upper case ("ab 12-345" → "AB12345"). */
export function normaliseDocumentNumber(s: string): string {
  return s.normalize('NFKC').replace(/[^\p{L}\p{N}]/gu, '').toUpperCase();
}

/** Emails compare case-insensitively after trimming. */
export function normaliseEmail(s: string): string {
  return s.normalize('NFKC').trim().toLowerCase();
}

/** Name + date of birth; the name's word order is kept (it is part of identity), spacing and accents are not. */
export function normaliseNameDob(name: string, dob: string): string {
  return `${normaliseText(name)}|${dob.trim()}`;
}

/**
 * Keyed blind index: HMAC-SHA256 under a key separate from every encryption key, over a domain-separated,
 * normalised value. Without the key the digest cannot be brute-forced from a guessed name or number.
 */
export function blindDigest(key: Buffer, kind: BlindIndexKind, normalised: string): string {
  return createHmac('sha256', key).update(`tracemark/bidx/v1/${kind}\u0000`).update(normalised, 'utf8').digest('hex');
}

/** All blind indexes a subject's fields produce. */
export function blindIndexesFor(key: Buffer, subjectId: string, f: SubjectFields): BlindIndexRow[] {
  const rows: BlindIndexRow[] = [];
  if (f.document_number) rows.push({ subjectId, kind: 'document_number', digest: blindDigest(key, 'document_number', normaliseDocumentNumber(f.document_number)) });
  if (f.email) rows.push({ subjectId, kind: 'email', digest: blindDigest(key, 'email', normaliseEmail(f.email)) });
  if (f.full_name && f.date_of_birth) rows.push({ subjectId, kind: 'name_dob', digest: blindDigest(key, 'name_dob', normaliseNameDob(f.full_name, f.date_of_birth)) });
  return rows;
}
