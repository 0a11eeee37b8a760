// A second gateway process for multi-process tests: runs the TypeScript sources through @swc/core
// (no build step, so it works from a fresh clone under `npm test`), opens the gateway on the
// environment it is given, listens on a free port and prints "LISTENING <port>" on stdout.
'use strict';
require('./swc-register');

const { loadConfig } = require('../../src/config.ts');
const { openGateway } = require('../../src/gateway.ts');
const { drainOnSignals } = require('../../src/http/drain-server.ts');

async function main() {
  const config = loadConfig(process.env);
  const gw = await openGateway(config);
  const server = gw.app.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
  // As main.ts: SIGTERM drains, SIGHUP reloads the policies.
  drainOnSignals(server, gw, config.drainSeconds);
  process.on('SIGHUP', () => void gw.reloadPolicies('signal:SIGHUP').catch(() => undefined));
}

main().catch((e) => {
  process.stderr.write(`child gateway failed: ${e.stack}\n`);
  process.exit(1);
});
