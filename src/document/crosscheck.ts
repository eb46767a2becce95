/**
 * Cross-checks what the customer typed against the MRZ (name, date of birth, document number, expiry) and flags an
 * expired document. Names are compared after ICAO 9303 transliteration (diacritics removed or expanded: Ü → UE or U,
 * Å → AA or A, ß → SS …), token by token, allowing for the MRZ's truncation of long names.
 */
import type { MrzData } from './mrz.js';

/** Fields the customer typed (any subset). Dates as ISO yyyy-mm-dd. */
export interface TypedFields {
  full_name?: string;
  surname?: string;
  given_names?: string;
  date_of_birth?: string;
  document_number?: string;
  date_of_expiry?: string;
}

/** One problem found by the cross-check. */
export interface DocumentIssue {
  code: 'NAME_MISMATCH' | 'DOB_MISMATCH' | 'DOCUMENT_NUMBER_MISMATCH' | 'EXPIRY_MISMATCH' | 'DOCUMENT_EXPIRED' | 'EXPIRY_UNKNOWN';
  message: string;
}

const EXPAND: Record<string, string> = { Ä: 'AE', Ö: 'OE', Ü: 'UE', ß: 'SS', Å: 'AA', Æ: 'AE', Ø: 'OE', Œ: 'OE', Þ: 'TH', Ð: 'D', Ł: 'L', Đ: 'D', Ħ: 'H', Ŧ: 'T', Ĳ: 'IJ' };

/** ICAO-style transliteration to A–Z tokens; `expand` picks Ü→UE (true) or Ü→U (false). */
export function mrzNameTokens(name: string, expand = true): string[] {
  let s = name.toUpperCase();
  if (expand) s = s.replace(/[ÄÖÜßÅÆØŒÞÐŁĐĦŦĲ]/g, (c) => EXPAND[c] ?? c);
  else s = s.replace(/[ßÆØŒÞÐŁĐĦŦĲ]/g, (c) => EXPAND[c] ?? c);
  s = s.normalize('NFD').replace(/\p{M}/gu, '');
  return s.replace(/[^A-Z]+/g, ' ').trim().split(' ').filter(Boolean);
}

function tokensMatch(typed: string[], mrz: string[]): boolean {
  if (typed.length === 0 || mrz.length === 0) return false;
  if (typed.join(' ') === mrz.join(' ')) return true;
  // The MRZ truncates long names: every MRZ token must equal the typed one, the last may be a prefix.
  if (mrz.length > typed.length) return false;
  return mrz.every((t, i) => (i === mrz.length - 1 ? (typed[i] ?? '').startsWith(t) : typed[i] === t));
}

/** True when a typed name (in either transliteration) equals the MRZ name. */
export function namesMatch(typed: string, mrz: string): boolean {
  const m = mrzNameTokens(mrz);
  return tokensMatch(mrzNameTokens(typed, true), m) || tokensMatch(mrzNameTokens(typed, false), m);
}

function normNumber(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Cross-checks typed fields and the expiry date. `today` is an ISO date (injected for tests). */
export function crossCheck(mrz: MrzData, typed: TypedFields | undefined, today: string): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  if (!mrz.expiryDate) issues.push({ code: 'EXPIRY_UNKNOWN', message: 'The expiry date could not be read from the MRZ.' });
  else if (mrz.expiryDate < today) issues.push({ code: 'DOCUMENT_EXPIRED', message: `The document expired on ${mrz.expiryDate}.` });
  if (!typed) return issues;
  const mrzFull = [mrz.givenNames, mrz.surname].filter(Boolean).join(' ');
  const nameOk = (() => {
    if (typed.surname !== undefined || typed.given_names !== undefined) {
      const s = typed.surname === undefined || (mrz.surname !== null && namesMatch(typed.surname, mrz.surname));
      const g = typed.given_names === undefined || (mrz.givenNames !== null && namesMatch(typed.given_names, mrz.givenNames));
      return s && g;
    }
    if (typed.full_name !== undefined) {
      const surnameFirst = [mrz.surname, mrz.givenNames].filter(Boolean).join(' ');
      return namesMatch(typed.full_name, mrzFull) || namesMatch(typed.full_name, surnameFirst);
    }
    return true;
  })();
  if (!nameOk) issues.push({ code: 'NAME_MISMATCH', message: 'The name typed does not match the name in the document MRZ.' });
  if (typed.date_of_birth !== undefined && typed.date_of_birth !== mrz.birthDate) {
    issues.push({ code: 'DOB_MISMATCH', message: 'The date of birth typed does not match the document MRZ.' });
  }
  if (typed.document_number !== undefined && normNumber(typed.document_number) !== normNumber(mrz.documentNumber ?? '')) {
    issues.push({ code: 'DOCUMENT_NUMBER_MISMATCH', message: 'The document number typed does not match the document MRZ.' });
  }
  if (typed.date_of_expiry !== undefined && typed.date_of_expiry !== mrz.expiryDate) {
    issues.push({ code: 'EXPIRY_MISMATCH', message: 'The expiry date typed does not match the document MRZ.' });
  }
  return issues;
}
