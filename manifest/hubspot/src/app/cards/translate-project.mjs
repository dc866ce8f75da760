/* global process, console */
// Reads a HubSpot project the way HubSpot's CLI does before an upload (@hubspot/project-parsing-lib:
// *-hsmeta.json files, a config profile's ${VAR} filled in) and prints each component's config as
// JSON, so tests can check the build's profile against HubSpot's own parser. Schema validation
// needs a HubSpot account and is skipped. Usage: node translate-project.mjs <project src dir> [profile]
import { translate } from '@hubspot/project-parsing-lib/translate';

const [projectSourceDir, profile] = process.argv.slice(2);
const { intermediateRepresentation } = await translate(
  { projectSourceDir, platformVersion: '2025.2' },
  { skipValidation: true, profile }
);
const configs = Object.fromEntries(
  Object.entries(intermediateRepresentation.intermediateNodesIndexedByUid).map(([uid, node]) => [
    uid,
    node.config,
  ])
);
console.log(JSON.stringify(configs));
