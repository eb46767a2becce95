import type { Command } from 'commander';
import { registerAdminCommands } from './admin.js';
import { registerKycCommands } from './kyc.js';
import { registerRecordsCommands } from './records.js';
import { registerReleaseCommands } from './releases.js';
import { registerServeCommands } from './serve.js';
import { registerInvestigateCommands } from './investigate.js';
import { registerWatermarkCommands } from './watermark.js';
import { registerHashCommands } from './hash.js';

/** Registers every command group on the root program. Each group lives in its own file beside this one. */
export function registerCommands(program: Command): void {
  registerHashCommands(program);
  registerAdminCommands(program);
  registerKycCommands(program);
  registerRecordsCommands(program);
  registerReleaseCommands(program);
  registerServeCommands(program);
  registerInvestigateCommands(program);
  registerWatermarkCommands(program);
}
