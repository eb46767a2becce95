import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Path of the built CLI launcher. */
export const BIN = resolve('bin/tracemark.js');

/** Result of one CLI run. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** Runs `tracemark …` synchronously with an isolated environment. */
export function tm(args: string[], env: Record<string, string | undefined> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TRACEMARK_ACTOR: 'test-runner', ...env },
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json<T>() {
      return JSON.parse(r.stdout) as T;
    },
  };
}

/** Runs the CLI asynchronously (for kill tests). */
export function tmSpawn(args: string[], env: Record<string, string | undefined> = {}) {
  return spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, TRACEMARK_ACTOR: 'test-runner', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Temporary directories made by this test process, removed when it exits (vault homes, inputs, reports). */
const made: string[] = [];

/** A fresh temporary directory, removed with everything in it when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tm-${prefix}-`));
  if (made.length === 0) process.once('exit', () => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  made.push(dir);
  return dir;
}

/** Every regular file under a directory, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...allFiles(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Files under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: Buffer): string[] {
  return allFiles(dir).filter((f) => readFileSync(f).includes(needle));
}
