#!/usr/bin/env node
// Thin launcher: the CLI is compiled from TypeScript by `npm install` (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('tracemark: not built yet. Run `npm install` (or `npm run build`) in the project folder.\n');
  process.exit(3);
}
await import(entry.href);
