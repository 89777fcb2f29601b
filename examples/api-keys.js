#!/usr/bin/env node
// Manage the API keys of createKnexApiKeyStore() in an SQLite file (the demo's, by default).
//   node examples/api-keys.js create <name> [--feeds A,B] [--privileges Feeds_DownloadPackage,Feeds_ViewPackage]
//   node examples/api-keys.js list
//   node examples/api-keys.js revoke <name>
// DEPLOYMENTS_DB names the SQLite file (default: package-deployments.sqlite in the working directory).
// The secret is printed once, by `create`; only its SHA-256 hash is stored, so it cannot be shown again.
'use strict';
const { createKnexApiKeyStore } = require('package-deployments');

const USAGE = 'usage: node examples/api-keys.js create <name> [--feeds A,B] [--privileges P1,P2] | list | revoke <name>';

function option(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a comma-separated list`);
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

async function main(argv) {
  const [command, ...args] = argv;
  const keys = createKnexApiKeyStore({ filename: process.env.DEPLOYMENTS_DB || 'package-deployments.sqlite' });
  try {
    switch (command) {
      case 'create': {
        const name = args[0];
        if (!name || name.startsWith('--')) throw new Error(USAGE);
        const created = await keys.createApiKey({ name, feeds: option(args, '--feeds'), privileges: option(args, '--privileges') });
        console.log(`created "${created.name}" (feeds: ${created.feeds ? created.feeds.join(', ') : 'all'}; privileges: ${created.privileges.join(', ')})`);
        console.log('key (shown once; store it now):');
        console.log(created.key);
        return 0;
      }
      case 'list': {
        const list = await keys.listApiKeys();
        if (list.length === 0) console.log('no API keys');
        for (const k of list) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
          console.log(`${k.name}\t${state}\tfeeds: ${k.feeds ? k.feeds.join(',') : 'all'}\tprivileges: ${k.privileges.join(',')}\tcreated ${k.createdAt.toISOString()}`);
        }
        return 0;
      }
      case 'revoke': {
        if (!args[0]) throw new Error(USAGE);
        const revoked = await keys.revokeApiKey(args[0]);
        console.log(revoked ? `revoked "${args[0]}"` : `no active key named "${args[0]}"`);
        return revoked ? 0 : 1;
      }
      default:
        throw new Error(USAGE);
    }
  } finally {
    await keys.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err.message); process.exitCode = 2; },
);
