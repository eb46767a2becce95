/**
 * The leak report (`tracemark.leak-report/1`): a stable, documented JSON shape (see README) that investigators,
 * lawyers and the response tooling consume. Change it only by adding fields; a breaking change bumps the schema.
 */

import type { RankedRecipient } from './attribution.js';

/** Schema id written into every report. */
export const REPORT_SCHEMA = 'tracemark.leak-report/1';

/** Release a detected watermark payload resolves to. */
export interface ReportRelease {
  release_id: string;
  recipient: string;
  recipient_kind: 'vendor' | 'staff';
  channel: string;
  released_at: string;
  purpose: string;
  subject_ref: string;
  image_kind: string;
}

/** One leaked file's findings. */
export interface ReportFile {
  file: string;
  sha256: string;
  width: number;
  height: number;
  watermark: { detected: boolean; payload: string | null; confidence: number; release: ReportRelease | null; unknown_payload?: boolean };
  match: { subject_ref: string; image_kind: string; confidence: number; evidence: 'watermark' | 'hash' | 'features'; image_id: string } | null;
  altered: boolean;
  altered_regions: { bbox: [number, number, number, number]; score: number }[];
  /** Findings in words: what this file shows. */
  notes: string[];
  /** Milliseconds spent per stage (diagnostics). */
  timings?: Record<string, number>;
}

/** A file that could not be analysed, with the reason. */
export interface ReportSkipped {
  file: string;
  code: string;
  reason: string;
}

/** One ranked recipient: the attribution module's output, as written in the report. */
export type ReportAttribution = RankedRecipient;

/** The whole report. */
export interface LeakReport {
  schema: typeof REPORT_SCHEMA;
  generated_at: string;
  input: { folder: string; files_seen: number; files_analysed: number; files_skipped: number };
  vault: { subjects: number; active_subjects: number; images: number; recipients: number };
  summary: { matched: number; unmatched: number; watermarked: number; altered: number; unmarked_matches: number; affected_subjects: number };
  files: ReportFile[];
  skipped: ReportSkipped[];
  attribution: ReportAttribution[];
  affected_subjects: string[];
  /** Only with --include-pii: names and contact details of the affected people, for notification. */
  affected_people?: { subject_ref: string; full_name?: string; email?: string; phone?: string }[];
  timings: { total_ms: number; per_stage_ms: Record<string, number>; images_per_second: number };
}
