import type { Command } from 'commander';

/** Registers every command group on the root program. Each group lives in its own file beside this one. */
export function registerCommands(program: Command): void {
  void program;
}
