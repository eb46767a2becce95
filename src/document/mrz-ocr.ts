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
interface TessWorker {
  setParameters(p: Record<string, string>): Promise<unknown>;
  recognize(image: Buffer): Promise<{ data: { text: string } }>;
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
  let rawLines: string[] = [];
  for (const from of [0.55, 0]) {
    const { data } = await w.recognize(await mrzBand(raster, from));
    const lines = mrzCandidateLines(data.text);
    if (!normaliseMrzLines(lines)) continue;
    rawLines = lines;
    try {
      const mrz = parseMrz(lines, { repairOcr: true, ...(opts.now ? { now: opts.now } : {}) });
      if (mrz.valid || from === 0) return { mrz, rawLines, ocrVersion: MRZ_OCR_VERSION };
      // An invalid read of the band: retry on the whole image, keep this one if that is not better.
      const whole = await w.recognize(await mrzBand(raster, 0));
      const lines2 = mrzCandidateLines(whole.data.text);
      if (normaliseMrzLines(lines2)) {
        const m2 = parseMrz(lines2, { repairOcr: true, ...(opts.now ? { now: opts.now } : {}) });
        if (m2.valid || m2.invalidFields.length < mrz.invalidFields.length) return { mrz: m2, rawLines: lines2, ocrVersion: MRZ_OCR_VERSION };
      }
      return { mrz, rawLines, ocrVersion: MRZ_OCR_VERSION };
    } catch {
      continue;
    }
  }
  return { mrz: null, rawLines, ocrVersion: MRZ_OCR_VERSION };
}
