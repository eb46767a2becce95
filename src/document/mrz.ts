/**
 * MRZ (ICAO 9303 TD1, TD2, TD3) parsing and check-digit validation with the `mrz` package, plus a repair step for
 * OCR output: characters OCR commonly confuses (0/O, 1/I, 5/S, 8/B, 2/Z, 6/G) are swapped only where a check digit
 * proves the swap right, so a repair can never invent a valid MRZ out of a tampered one.
 */
import { parse, type Details, type ParseResult } from 'mrz';
import { invalidArgument } from '../core/errors.js';

/** Normalised MRZ content (dates as ISO yyyy-mm-dd). */
export interface MrzData {
  format: 'TD1' | 'TD2' | 'TD3';
  /** True when every check digit and every coded field is valid. */
  valid: boolean;
  documentCode: string | null;
  issuingState: string | null;
  documentNumber: string | null;
  surname: string | null;
  givenNames: string | null;
  nationality: string | null;
  /** ISO date; the century is inferred (a birth date is never in the future). */
  birthDate: string | null;
  /** ISO date (20yy). */
  expiryDate: string | null;
  sex: 'M' | 'F' | 'X' | null;
  /** Names of the fields that failed validation (e.g. `birthDateCheckDigit`). */
  invalidFields: string[];
  /** Characters changed by OCR repair, as `line:column original→corrected`. */
  corrections: string[];
  /** The MRZ lines as validated (after repair). */
  lines: string[];
}

const LENGTHS: Record<'TD1' | 'TD2' | 'TD3', { lines: number; chars: number }> = {
  TD1: { lines: 3, chars: 30 },
  TD2: { lines: 2, chars: 36 },
  TD3: { lines: 2, chars: 44 },
};

const CONFUSIONS: Record<string, string[]> = {
  '0': ['O', 'D', 'Q'], O: ['0', 'D', 'Q'], D: ['0', 'O'], Q: ['0', 'O'],
  '1': ['I', 'L', 'T'], I: ['1', 'L'], L: ['1', 'I'], T: ['1'],
  '5': ['S'], S: ['5'], '8': ['B'], B: ['8'], '2': ['Z'], Z: ['2'], '6': ['G'], G: ['6'],
  '4': ['A'], A: ['4'], '7': ['T'], '<': ['K', 'C'], K: ['<'], C: ['<'],
};

function isoDate(yymmdd: string | null | undefined, kind: 'birth' | 'expiry', now: Date): string | null {
  if (!yymmdd || !/^\d{6}$/.test(yymmdd)) return null;
  const yy = Number(yymmdd.slice(0, 2));
  const mm = yymmdd.slice(2, 4);
  const dd = yymmdd.slice(4, 6);
  const cur = now.getUTCFullYear() % 100;
  const century = kind === 'birth' ? (yy > cur ? 1900 : 2000) : 2000;
  return `${century + yy}-${mm}-${dd}`;
}

function sexOf(v: string | null | undefined): MrzData['sex'] {
  return v === 'male' ? 'M' : v === 'female' ? 'F' : v === 'nonspecified' || v === 'unspecified' ? 'X' : null;
}

function safeParse(lines: string[]): ParseResult | null {
  try {
    return parse(lines, { autocorrect: true });
  } catch {
    return null;
  }
}

function invalidCount(r: ParseResult): number {
  return r.details.filter((d) => !d.valid).length;
}

/**
 * Greedy check-digit-guided repair: for each field whose check digit fails, try one confusable substitution at a
 * time inside the characters that check digit covers, keep it only when that check then passes and nothing else
 * breaks. Returns the best parse and the corrections made.
 */
function repair(lines: string[], first: ParseResult): { result: ParseResult; lines: string[]; corrections: string[] } {
  let cur = first;
  let curLines = lines;
  const corrections: string[] = [];
  for (let round = 0; round < 4 && !cur.valid; round++) {
    const failing = cur.details.filter((d: Details) => !d.valid && d.field !== 'compositeCheckDigit' && d.ranges.length > 0);
    let improved = false;
    for (const det of failing) {
      // Every single confusable substitution that makes this field's check digit pass. Several different ones
      // (possible when two positions have the same weight) mean the check digit cannot tell: no repair then.
      const fixes: Array<{ r: ParseResult; lines: string[]; fix: string; value: string }> = [];
      for (const range of det.ranges) {
        for (let col = range.start; col < range.end; col++) {
          const line = curLines[range.line] ?? '';
          const ch = line[col] ?? '';
          for (const alt of CONFUSIONS[ch] ?? []) {
            const trial = curLines.slice();
            trial[range.line] = line.slice(0, col) + alt + line.slice(col + 1);
            const r = safeParse(trial);
            if (!r) continue;
            const fixed = r.details.find((d) => d.field === det.field && d.line === det.line && d.start === det.start);
            if (fixed?.valid && invalidCount(r) < invalidCount(cur)) {
              fixes.push({ r, lines: trial, fix: `${range.line + 1}:${col + 1} ${ch}→${alt}`, value: trial.join('\n') });
            }
          }
        }
      }
      const distinct = new Set(fixes.map((f) => f.value));
      const only = fixes[0];
      if (distinct.size === 1 && only) {
        cur = only.r;
        curLines = only.lines;
        corrections.push(only.fix);
        improved = true;
      }
    }
    if (!improved) break;
  }
  return { result: cur, lines: curLines, corrections };
}

/** Normalises raw MRZ text lines: upper case, spaces removed, padded/truncated to the format's length. */
export function normaliseMrzLines(raw: readonly string[]): { format: 'TD1' | 'TD2' | 'TD3'; lines: string[] } | null {
  const lines = raw.map((l) => l.toUpperCase().replace(/\s+/g, '').replace(/[«‹]/g, '<')).filter((l) => l.length >= 20);
  if (lines.length < 2) return null;
  const longest = Math.max(...lines.map((l) => l.length));
  const format = lines.length >= 3 && longest <= 33 ? 'TD1' : longest >= 40 ? 'TD3' : 'TD2';
  const spec = LENGTHS[format];
  const take = lines.slice(-spec.lines);
  if (take.length < spec.lines) return null;
  return { format, lines: take.map((l) => (l.length >= spec.chars ? l.slice(0, spec.chars) : l.padEnd(spec.chars, '<'))) };
}

/**
 * Parses and validates MRZ lines. `repairOcr` enables the check-digit-guided repair (for OCR output; leave it off
 * for MRZ text typed or read from a chip). Throws INVALID_ARGUMENT when the text is not MRZ-shaped at all.
 */
export function parseMrz(raw: readonly string[], opts: { repairOcr?: boolean; now?: Date } = {}): MrzData {
  const norm = normaliseMrzLines(raw);
  if (!norm) throw invalidArgument('mrz', 'two or three MRZ lines (TD1 3×30, TD2 2×36, TD3 2×44)', `${raw.length} line(s)`);
  const first = safeParse(norm.lines);
  if (!first) throw invalidArgument('mrz', 'a TD1, TD2 or TD3 MRZ', `${norm.format}-shaped text the parser rejects`);
  const { result, lines, corrections } = opts.repairOcr ? repair(norm.lines, first) : { result: first, lines: norm.lines, corrections: [] as string[] };
  const autos = result.details.flatMap((d) => d.autocorrect);
  const auto = autos.map((a) => `${a.line + 1}:${a.column + 1} ${a.original}→${a.corrected}`);
  // Report the lines as the parser read them, i.e. with its letter/digit autocorrections applied.
  const fixedLines = lines.map((l, i) => {
    let out = l;
    for (const a of autos) if (a.line === i) out = out.slice(0, a.column) + a.corrected + out.slice(a.column + 1);
    return out;
  });
  const f = result.fields;
  const now = opts.now ?? new Date();
  const fmt = result.format === 'TD1' || result.format === 'TD2' || result.format === 'TD3' ? result.format : norm.format;
  return {
    format: fmt,
    valid: result.valid,
    documentCode: f.documentCode ?? null,
    issuingState: f.issuingState ?? null,
    documentNumber: result.documentNumber ?? f.documentNumber ?? null,
    surname: f.lastName ?? null,
    givenNames: f.firstName ?? null,
    nationality: f.nationality ?? null,
    birthDate: isoDate(f.birthDate, 'birth', now),
    expiryDate: isoDate(f.expirationDate, 'expiry', now),
    sex: sexOf(f.sex),
    invalidFields: result.details.filter((d) => !d.valid && d.field).map((d) => d.field as string),
    corrections: [...corrections, ...auto],
    lines: fixedLines,
  };
}
