/**
 * Reads the MRZ from a document image with tesseract.js and the OCR-B model (`ocrb_int.traineddata`, extracted at
 * install time into vendor/tessdata by scripts/install-ocr-model.mjs). Fully offline: the model is read from a local
 * `langPath`, the WASM core and worker script come from node_modules, and `cacheMethod: 'none'` keeps tesseract
 * from writing anything. Image bytes stay in memory (passed to the worker thread), never in temp files.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { TracemarkError } from '../core/errors.js';
import type { Raster } from '../image/decode.js';
import { normaliseMrzLines, parseMrz, type MrzData } from './mrz.js';

const require = createRequire(import.meta.url);

// tesseract.js ships typings, but only the calls below are used; a narrow structural type keeps them explicit.
interface TessSymbol {
  text: string;
  confidence: number;
  bbox: { x0: number; x1: number };
}
interface TessLine {
  text: string;
  words: Array<{ symbols: TessSymbol[] }>;
}
interface TessResult {
  data: { text: string; blocks: Array<{ paragraphs: Array<{ lines: TessLine[] }> }> | null };
}
interface TessWorker {
  setParameters(p: Record<string, string>): Promise<unknown>;
  recognize(image: Buffer, options: Record<string, unknown>, output: { text: boolean; blocks: boolean }): Promise<TessResult>;
  terminate(): Promise<unknown>;
}
interface TesseractModule {
  createWorker(lang: string, oem: number, options: Record<string, unknown>): Promise<TessWorker>;
}

/** Default folder of the OCR-B model: <project>/vendor/tessdata (this file is dist/src/document/mrz-ocr.js). */
export const DEFAULT_TESSDATA = fileURLToPath(new URL('../../../vendor/tessdata/', import.meta.url));
/** Id and version stored with every OCR result. */
export const MRZ_OCR_VERSION = 'tesseract.js@7 ocrb_int (smartscanner 0.7.7) lstm psm6';
const LANG = 'ocrb_int';
const MRZ_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<';

let worker: Promise<TessWorker> | undefined;

function modelMissing(dir: string): TracemarkError {
  return new TracemarkError('MRZ_OCR_UNAVAILABLE', `The OCR-B model ${LANG}.traineddata is missing from ${dir}`, {
    kind: 'dependency',
    hint: 'Run `npm ci` (its postinstall step extracts it) or `node scripts/install-ocr-model.mjs`.',
  });
}

function getWorker(tessdata: string): Promise<TessWorker> {
  worker ??= (async () => {
    if (!existsSync(`${tessdata}/${LANG}.traineddata`)) throw modelMissing(tessdata);
    const T = require('tesseract.js') as TesseractModule;
    // oem 1 = LSTM only. langPath is a local folder (not a URL), so tesseract.js reads the file instead of fetching.
    const w = await T.createWorker(LANG, 1, { langPath: tessdata, gzip: false, cacheMethod: 'none', logger: () => undefined, errorHandler: () => undefined });
    await w.setParameters({ tessedit_char_whitelist: MRZ_CHARS, tessedit_pageseg_mode: '6', user_defined_dpi: '300' });
    return w;
  })().catch((err: unknown) => {
    worker = undefined;
    if (err instanceof TracemarkError) throw err;
    throw new TracemarkError('MRZ_OCR_UNAVAILABLE', 'The OCR engine could not start', { kind: 'dependency', cause: err instanceof Error ? new Error(err.message.split('\n')[0]) : undefined });
  });
  return worker;
}

/** Starts the OCR worker now (server start) instead of on the first document. */
export async function warmUpMrzOcr(tessdata = DEFAULT_TESSDATA): Promise<void> {
  await getWorker(tessdata);
}

/** Stops the OCR worker thread (lets a CLI process or a test exit). Safe to call when none is running. */
export async function closeMrzOcr(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await (await w.catch(() => null))?.terminate();
}

/** Otsu threshold of an 8-bit histogram: the grey level that best separates ink from paper. */
export function otsuThreshold(grey: Uint8Array): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < grey.length; i++) hist[grey[i] as number] = (hist[grey[i] as number] as number) + 1;
  const total = grey.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * (hist[i] as number);
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let bestT = 128;
  for (let t = 0; t < 256; t++) {
    wB += hist[t] as number;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * (hist[t] as number);
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      bestT = t;
    }
  }
  return bestT;
}

/** Crops the bottom band (where ICAO puts the MRZ), normalises to ~1000 px wide and binarises with Otsu. */
async function mrzBand(raster: Raster, fromFraction: number): Promise<Buffer> {
  const top = Math.floor(raster.height * fromFraction);
  const height = raster.height - top;
  const width = Math.min(1400, Math.max(900, raster.width));
  const { data, info } = await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } })
    .extract({ left: 0, top, width: raster.width, height })
    .greyscale()
    .resize({ width, kernel: 'lanczos3' })
    .normalise()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const grey = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const t = otsuThreshold(grey);
  const bin = Buffer.alloc(grey.length);
  for (let i = 0; i < grey.length; i++) bin[i] = (grey[i] as number) > t ? 255 : 0;
  return sharp(bin, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer();
}

/** Picks the MRZ-looking lines out of OCR text (MRZ alphabet only, ≥ 25 characters, at least one filler). */
export function mrzCandidateLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ''))
    .filter((l) => l.length >= 25 && /^[A-Z0-9<]+$/.test(l) && l.includes('<'));
}

/** One OCR'd character with its horizontal extent. */
export interface OcrSymbol {
  text: string;
  confidence: number;
  x0: number;
  x1: number;
}

/**
 * Snaps OCR'd characters onto the MRZ's fixed-pitch grid: the MRZ is monospaced, so each character owns one cell of
 * (line width / character count). Two symbols in one cell (OCR read "O" as "O0") keep the more confident one; an
 * empty cell becomes a filler. Lines whose length the OCR got wrong are thereby realigned.
 */
export function snapToGrid(symbols: readonly OcrSymbol[], chars: number): string {
  const syms = symbols.filter((s) => s.text.length === 1 && MRZ_CHARS.includes(s.text));
  if (syms.length === 0) return '<'.repeat(chars);
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const s of syms) {
    x0 = Math.min(x0, s.x0);
    x1 = Math.max(x1, s.x1);
  }
  const pitch = (x1 - x0) / chars;
  const cells: Array<OcrSymbol | null> = new Array<OcrSymbol | null>(chars).fill(null);
  for (const s of syms) {
    const c = Math.max(0, Math.min(chars - 1, Math.floor(((s.x0 + s.x1) / 2 - x0) / pitch)));
    const cur = cells[c];
    if (!cur || s.confidence > cur.confidence) cells[c] = s;
  }
  return cells.map((c) => c?.text ?? '<').join('');
}

/** MRZ lines from tesseract's line/symbol output, snapped to the grid of the detected format. */
export function mrzLinesFromOcr(lines: ReadonlyArray<{ text: string; symbols: readonly OcrSymbol[] }>): string[] | null {
  const cands = lines.filter((l) => mrzCandidateLines(l.text).length === 1);
  if (cands.length < 2) return null;
  const len = (l: { text: string }) => l.text.replace(/\s+/g, '').length;
  const last3 = cands.slice(-3);
  let take: typeof cands;
  let chars: number;
  if (last3.length === 3 && last3.every((l) => len(l) <= 34)) {
    take = last3;
    chars = 30;
  } else {
    take = cands.slice(-2);
    const mean = take.reduce((a, l) => a + len(l), 0) / take.length;
    chars = Math.abs(mean - 44) < Math.abs(mean - 36) ? 44 : 36;
  }
  return take.map((l) => (l.symbols.length ? snapToGrid(l.symbols, chars) : l.text.replace(/\s+/g, '')));
}

async function ocrLines(w: TessWorker, png: Buffer): Promise<string[] | null> {
  const r = await w.recognize(png, {}, { text: true, blocks: true });
  const lines: Array<{ text: string; symbols: OcrSymbol[] }> = [];
  for (const b of r.data.blocks ?? []) {
    for (const p of b.paragraphs) {
      for (const l of p.lines) lines.push({ text: l.text, symbols: l.words.flatMap((wd) => wd.symbols.map((s) => ({ text: s.text, confidence: s.confidence, x0: s.bbox.x0, x1: s.bbox.x1 }))) });
    }
  }
  if (lines.length === 0) lines.push(...mrzCandidateLines(r.data.text).map((t) => ({ text: t, symbols: [] })));
  return mrzLinesFromOcr(lines);
}

/** Result of reading the MRZ from an image. */
export interface MrzReadResult {
  /** Parsed MRZ, or null when no MRZ could be read. */
  mrz: MrzData | null;
  /** Raw candidate lines OCR returned (MRZ characters only; kept for review, not logged). */
  rawLines: string[];
  ocrVersion: string;
}

/**
 * Finds and reads the MRZ of an upright document image: the bottom 45 % first, then the whole image. OCR output is
 * repaired with check digits (see `parseMrz`). Throws MRZ_OCR_UNAVAILABLE if the model is not installed.
 */
export async function readMrz(raster: Raster, opts: { tessdata?: string; now?: Date } = {}): Promise<MrzReadResult> {
  const w = await getWorker(opts.tessdata ?? DEFAULT_TESSDATA);
  const parseOpts = { repairOcr: true, ...(opts.now ? { now: opts.now } : {}) };
  let best: MrzReadResult | null = null;
  for (const from of [0.55, 0]) {
    const lines = await ocrLines(w, await mrzBand(raster, from));
    if (!lines) continue;
    let mrz: MrzData;
    try {
      mrz = parseMrz(lines, parseOpts);
    } catch {
      continue;
    }
    if (!best?.mrz || mrz.invalidFields.length < best.mrz.invalidFields.length) best = { mrz, rawLines: lines, ocrVersion: MRZ_OCR_VERSION };
    if (mrz.valid) break;
  }
  return best ?? { mrz: null, rawLines: [], ocrVersion: MRZ_OCR_VERSION };
}
