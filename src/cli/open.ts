import type { Command } from 'commander';
import { openTracemark, type Tracemark } from '../app/tracemark.js';
import { configFor } from './shell.js';

/** Opens the vault named by the command's options, runs `fn`, and always closes it (writing a signed checkpoint). */
export async function withVault<T>(cmd: Command, fn: (t: Tracemark) => Promise<T>): Promise<T> {
  const t = await openTracemark(configFor(cmd));
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}
