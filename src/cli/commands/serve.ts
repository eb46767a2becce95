import type { Command } from 'commander';
import { openTracemark } from '../../app/tracemark.js';
import { invalidArgument } from '../../core/errors.js';
import { ApiKeyStore, parseRole } from '../../api/keys.js';
import { kycApiFor } from '../../api/wiring.js';
import { faceApiEngine } from '../../face/faceapi-engine.js';
import { closeMrzOcr, warmUpMrzOcr } from '../../document/mrz-ocr.js';
import { action, configFor, output } from '../shell.js';

/** `tracemark serve` (the HTTP API) and `tracemark api-key create|list`. */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP API (KYC verifications; OpenAPI docs at /docs) on the vault')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port', '8080')
    .action(action(async (opts: { host: string; port: string }, cmd: Command) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument('--port', 'a port number 0–65535', opts.port);
      const cfg = configFor(cmd);
      const t = await openTracemark(cfg);
      const keys = await ApiKeyStore.open(cfg.home);
      const engine = faceApiEngine();
      await engine.warmUp();
      await warmUpMrzOcr().catch((e: unknown) => process.stderr.write(`warning: MRZ OCR unavailable (${e instanceof Error ? e.message : String(e)}); documents will go to review\n`));
      const app = await kycApiFor(t, { keys, engine, logger: false });
      const address = await app.listen({ host: opts.host, port });
      process.stderr.write(`tracemark API listening on ${address} (docs: ${address}/docs); ${keys.list().length} API key(s)\n`);
      const stop = async () => {
        await app.close();
        await closeMrzOcr();
        await t.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    }));

  const keys = program.command('api-key').description('API keys for the HTTP API (roles: customer_app, kyc_agent, admin)');
  keys
    .command('create')
    .requiredOption('--role <role>', 'customer_app | kyc_agent | admin')
    .option('--label <text>', 'what the key is for', '')
    .description('create a key; it is printed once and stored only as a hash')
    .action(action(async (opts: { role: string; label: string }, cmd: Command) => {
      const cfg = configFor(cmd);
      await (await openTracemark(cfg)).close(); // refuses a home that is not a vault
      const store = await ApiKeyStore.open(cfg.home);
      const { token, record } = await store.create(parseRole(opts.role), opts.label);
      output(cmd, { key: token, id: record.id, role: record.role }, () => `${token}\n(role ${record.role}; shown once — store it now)`);
    }));
  keys
    .command('list')
    .description('list keys (ids and roles only)')
    .action(action(async (_opts: unknown, cmd: Command) => {
      const store = await ApiKeyStore.open(configFor(cmd).home);
      const list = store.list().map(({ sha256: _s, ...k }) => k);
      output(cmd, list, () => list.map((k) => `${k.id}  ${k.role.padEnd(12)} ${k.createdAt}  ${k.label}`).join('\n') || 'no API keys');
    }));
}
