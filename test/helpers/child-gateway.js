// A second gateway process for multi-process tests: runs the TypeScript sources through @swc/core
// (no build step, so it works from a fresh clone under `npm test`), opens the gateway on the
// environment it is given, listens on a free port and prints "LISTENING <port>" on stdout.
'use strict';
require('./swc-register');

const { loadConfig } = require('../../src/config.ts');
const { openGateway } = require('../../src/gateway.ts');

async function main() {
  const gw = await openGateway(loadConfig(process.env));
  const server = gw.app.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => gw.close().then(() => process.exit(0))));
}

main().catch((e) => {
  process.stderr.write(`child gateway failed: ${e.stack}\n`);
  process.exit(1);
});
