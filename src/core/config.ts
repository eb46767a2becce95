import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { invalidArgument } from './errors.js';
import type { LogLevel } from './log.js';

/** Everything Tracemark reads from the environment, validated once at start-up (style habit 4). */
export interface TracemarkConfig {
  /** Vault home directory (absolute). */
  home: string;
  /** Passphrase protecting the local keyring with scrypt; undefined = keyring stored unwrapped (mode 0600). */
  passphrase: string | undefined;
  /** Largest image accepted, in pixels (width × height), checked from the header before decoding. */
  maxPixels: number;
  /** Largest input file accepted, in bytes. */
  maxFileBytes: number;
  /** Who is acting, recorded in every audit entry. */
  actor: string;
  logLevel: LogLevel;
}

/** Overrides given on the command line; they win over the environment. */
export interface ConfigOverrides {
  home?: string | undefined;
  actor?: string | undefined;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw invalidArgument(name, 'a positive integer', raw);
  return n;
}

/** Reads and validates the configuration from an environment object. The only place that reads `process.env`. */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): TracemarkConfig {
  const level = (env.TRACEMARK_LOG_LEVEL ?? 'warn') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) {
    throw invalidArgument('TRACEMARK_LOG_LEVEL', 'one of debug, info, warn, error, silent', level);
  }
  let actor = overrides.actor ?? env.TRACEMARK_ACTOR;
  if (!actor) {
    try {
      actor = `os:${userInfo().username}`;
    } catch {
      actor = 'os:unknown';
    }
  }
  return {
    home: resolve(overrides.home ?? env.TRACEMARK_HOME ?? './tracemark-data'),
    passphrase: env.TRACEMARK_PASSPHRASE === '' ? undefined : env.TRACEMARK_PASSPHRASE,
    maxPixels: positiveInt(env, 'TRACEMARK_MAX_PIXELS', 50_000_000),
    maxFileBytes: positiveInt(env, 'TRACEMARK_MAX_FILE_BYTES', 200 * 1024 * 1024),
    actor,
    logLevel: level,
  };
}
