// Start-up: load config, open stores and state, listen. The only place with process-level effects.
import type { AddressInfo } from 'node:net';
import { loadConfig } from './config';
import { ConfigError } from './errors';
import { openGateway } from './gateway';
import { answerClientErrors } from './http/client-errors';
import { drainOnSignals } from './http/drain-server';
import { createHttpServer } from './http/http-server';
import { startMetricsServer } from './observability/metrics-server';
import { startPgListener } from './pgwire/pg-listener';

/** Why listening failed, and what to change: HOST and PORT are the operator's to fix. */
function listenFailure(e: NodeJS.ErrnoException): string {
  if (e.code === 'EADDRINUSE') return 'the address is already in use (another meshguard?); stop that process or set PORT= to a free port';
  if (e.code === 'EACCES') return 'permission denied; set PORT= to a port above 1023';
  if (e.code === 'EADDRNOTAVAIL') return 'no such address on this host; check HOST=';
  return `${e.message}; check HOST= and PORT=`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const gw = await openGateway(config);
  const { logger } = gw.deps;
  // Not app.listen: Express 5 calls its callback with the error when listening fails, which would
  // print the banner of a gateway that never started.
  if (gw.deps.metrics && config.metrics) {
    const where = config.metrics;
    const metrics = await startMetricsServer(gw.deps.metrics, where).catch((e: NodeJS.ErrnoException) => {
      process.stderr.write(`meshguard: cannot serve metrics on ${where.host}:${where.port}: ${e.message}; check MESHGUARD_METRICS_HOST and MESHGUARD_METRICS_PORT\n`);
      process.exit(2);
    });
    metrics.server.unref();
    logger.info({ url: `http://${where.host}:${metrics.port}/metrics` }, 'metrics served');
  }
  if (config.pgWire) {
    const where = config.pgWire;
    const pg = await startPgListener(gw.deps, where).catch((e: NodeJS.ErrnoException) => {
      process.stderr.write(`meshguard: cannot serve the PostgreSQL protocol on port ${where.port}: ${e.message}; check MESHGUARD_PG_PORT, MESHGUARD_PG_TLS_CERT and MESHGUARD_PG_TLS_KEY\n`);
      process.exit(2);
    });
    logger.info({ port: pg.port, tls: Boolean(where.tls), host: where.tls ? where.host : '127.0.0.1' }, 'PostgreSQL protocol served');
  }
  const server = createHttpServer(gw.app);
  answerClientErrors(server);
  server.on('error', (e: NodeJS.ErrnoException) => {
    process.stderr.write(`meshguard: cannot listen on ${config.host}:${config.port}: ${listenFailure(e)}\n`);
    process.exit(2);
  });
  server.listen(config.port, config.host, () => {
    const base = `http://${config.host}:${(server.address() as AddressInfo).port}`;
    logger.info({ url: base, policyVersion: gw.deps.policies.version, state: gw.deps.state.dialect, key: gw.deps.verifyKey.source }, 'meshguard listening');
    if (!config.jwt.secret && !config.jwt.publicKeyFile) {
      process.stdout.write(
        `\nmeshguard serves the demo data mesh on ${base}\n` +
          `  get a token:   export TOKEN=$(npm run -s token -- --sub alice)\n` +
          `  read data:     curl -H "Authorization: Bearer $TOKEN" "${base}/v1/datasets/sales/orders/rows?region=eq.EU&limit=5"\n\n`,
      );
    }
  });
  process.on('SIGHUP', () => {
    gw.reloadPolicies('signal:SIGHUP').then(
      (r) => logger.info(r, r.changed ? 'policies reloaded' : 'policies unchanged'),
      (err) => logger.error({ err }, `policies not reloaded, the old ones stay in force: ${(err as Error).message}`),
    );
  });
  drainOnSignals(server, gw, config.drainSeconds);
}

main().catch((e) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`meshguard: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`meshguard: failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
