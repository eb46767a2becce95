/**
 * One error base for all of Tracemark: a stable machine code, a message that never contains PII or secret values,
 * and a hint saying what to do next. Shells (CLI, API) map `kind` to exit codes and HTTP statuses.
 */

/** Broad class of a failure; decides the CLI exit code (2 user, 3 dependency/environment, 4 integrity) and HTTP status. */
export type ErrorKind = 'user' | 'not_found' | 'conflict' | 'forbidden' | 'integrity' | 'dependency' | 'internal';

/** Base class of every error Tracemark raises on purpose. */
export class TracemarkError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  /** Identifiers only (subject ids, file names given by the user, codes) — never values. */
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, opts: { kind?: ErrorKind; hint?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TracemarkError';
    this.code = code;
    this.kind = opts.kind ?? 'user';
    this.hint = opts.hint;
    this.details = opts.details ?? {};
  }

  /** JSON shape used by `--json` output and the HTTP API. */
  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
    };
  }
}

/** A value given by the user is out of range or malformed (sharp-style message: expected … but received …). */
export function invalidArgument(name: string, expected: string, received: unknown): TracemarkError {
  const shown = typeof received === 'string' ? JSON.stringify(received.length > 40 ? received.slice(0, 40) + '…' : received) : String(received);
  return new TracemarkError('INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${shown}`, { kind: 'user' });
}

/** Exit code for a CLI process that failed with this error. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof TracemarkError)) return 1;
  switch (err.kind) {
    case 'user':
    case 'not_found':
    case 'conflict':
    case 'forbidden':
      return 2;
    case 'dependency':
      return 3;
    case 'integrity':
      return 4;
    case 'internal':
      return 1;
    default:
      err.kind satisfies never;
      return 1;
  }
}

/** HTTP status for an error, used by the API shell. */
export function httpStatusFor(err: unknown): number {
  if (!(err instanceof TracemarkError)) return 500;
  switch (err.kind) {
    case 'user':
      return 400;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'forbidden':
      return 403;
    case 'integrity':
      return 500;
    case 'dependency':
      return 503;
    case 'internal':
      return 500;
    default:
      err.kind satisfies never;
      return 500;
  }
}
