import { Command } from 'commander';
import { TracemarkError, exitCodeFor } from '../core/errors.js';
import { loadConfig, type TracemarkConfig } from '../core/config.js';

/** Options every command accepts. */
export interface GlobalOptions {
  home?: string;
  actor?: string;
  json?: boolean;
}

/** Reads the global options of the root program from any sub-command. */
export function globalOptions(cmd: Command): GlobalOptions {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const own = cmd.opts<GlobalOptions>();
  return { ...root.opts<GlobalOptions>(), ...own };
}

/** Builds the validated configuration for a command (environment + command-line overrides). */
export function configFor(cmd: Command): TracemarkConfig {
  const g = globalOptions(cmd);
  return loadConfig(process.env, { home: g.home, actor: g.actor });
}

/** Prints a result either as one JSON object (`--json`) or via a human formatter. */
export function output(cmd: Command, value: unknown, human: () => string): void {
  if (globalOptions(cmd).json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else {
    const text = human();
    if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
}

/**
 * Wraps a command action: errors become a one-line message (or a JSON error with `--json`) and an exit code
 * (2 user error, 3 outside dependency, 4 integrity failure, 1 bug). Stack traces only with TRACEMARK_DEBUG=1.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    try {
      await fn(...args);
    } catch (err) {
      const json = cmd instanceof Command ? globalOptions(cmd).json : false;
      if (err instanceof TracemarkError) {
        if (json) process.stdout.write(JSON.stringify({ error: err.toJSON() }, null, 2) + '\n');
        process.stderr.write(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      } else {
        process.stderr.write(`internal error: ${err instanceof Error ? err.message : String(err)}\n`);
        if (process.env.TRACEMARK_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      }
      process.exitCode = exitCodeFor(err);
    }
  };
}
