/**
 * A tiny structured logger that writes JSON lines to stderr. It only accepts identifiers and counts: fields whose
 * names suggest personal data are replaced by "[redacted]" as a second line of defence.
 */
const REDACT = /name|dob|birth|email|phone|document_number|address|passphrase|secret|key$|plaintext|pii/i;

/** Log verbosity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** A logger bound to a minimum level. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Replaces values of PII-looking fields; exported for tests. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = REDACT.test(k) && !/_id$|Id$|ref$/.test(k) ? '[redacted]' : v;
  return out;
}

/** Creates a logger writing JSON lines to `sink` (stderr by default). */
export function createLogger(level: LogLevel, sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    sink(JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...redactFields(fields) }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
