/* global process, console */
// Builds each card with HubSpot's own bundler (@hubspot/ui-extensions-dev-server, the code HubSpot
// runs on upload) into dist/, so a card that does not bundle fails CI before it fails an upload.
import { readdirSync, readFileSync } from 'node:fs';
import { buildSingleExtension } from '@hubspot/ui-extensions-dev-server';

const root = process.cwd();
const entrypoints = readdirSync(root)
  .filter((name) => name.endsWith('-hsmeta.json'))
  .map((name) => JSON.parse(readFileSync(name, 'utf-8')).config.entrypoint.split('/').pop());

for (const file of entrypoints) {
  await buildSingleExtension({ file, root, outputDir: 'dist', emptyOutDir: false, minify: true,
    logLevel: 'warn', codeCheckingPluginEnabled: true });
  console.log(`built ${file}`);
}
