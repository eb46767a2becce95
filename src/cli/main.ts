import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

/** The `tracemark` command: a thin shell over the services in src/app. */
const program = new Command('tracemark')
  .description('Tracemark — encrypted KYC vault, forensic watermarking and leak investigation')
  .version('0.1.0')
  .option('--home <dir>', 'vault home directory (default: $TRACEMARK_HOME or ./tracemark-data)')
  .option('--actor <name>', 'who is acting, recorded in the audit log (default: $TRACEMARK_ACTOR or the OS user)')
  .option('--json', 'machine-readable JSON output')
  .showHelpAfterError('(run with --help for usage)');

registerCommands(program);
await program.parseAsync(process.argv);
