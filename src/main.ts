// Start-up: load config, open stores and state, listen. The only place with process-level effects.
import { loadConfig } from './config';
import { ConfigError } from './errors';
import { openGateway } from './gateway';

async function main(): Promise<void> {
  const config = loadConfig();
  const gw = await openGateway(config);
  const { logger } = gw.deps;
  const server = gw.app.listen(config.port, config.host, () => {
    const base = `http://${config.host}:${config.port}`;
    logger.info({ url: base, policyVersion: gw.deps.policies.version, state: gw.deps.state.dialect, key: gw.deps.verifyKey.source }, 'meshguard listening');
    if (!config.jwt.secret && !config.jwt.publicKeyFile) {
      process.stdout.write(
        `\nmeshguard serves the demo data mesh on ${base}\n` +
          `  get a token:   export TOKEN=$(npm run -s token -- --sub alice)\n` +
          `  read data:     curl -H "Authorization: Bearer $TOKEN" "${base}/v1/datasets/sales/orders/rows?region=eq.EU&limit=5"\n\n`,
      );
    }
  });
  server.on('error', (e) => {
    logger.fatal({ err: e }, 'cannot listen');
    process.exit(1);
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing requests and the audit log');
    server.close(() => void gw.close().then(() => process.exit(0)));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`meshguard: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`meshguard: failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
