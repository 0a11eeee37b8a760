// SIGTERM (and SIGINT) drain a gateway: /readyz turns 503 so a load balancer stops sending, the
// listener stops accepting, keep-alive connections are told to close, and requests and streams in
// flight finish, for at most MESHGUARD_DRAIN_SECONDS; then what is still open is cut, the audit log
// and grant usage are flushed (gateway.close) and the process exits 0. Exit 1 only if flushing fails.
import type http from 'node:http';
import type { Gateway } from '../gateway';

export function drainOnSignals(server: http.Server, gw: Gateway, drainSeconds: number): void {
  const { logger } = gw.deps;
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    gw.deps.lifecycle.draining = true;
    logger.info({ signal, drainSeconds }, 'draining: finishing requests and streams in flight, then the audit log');
    // A request that still arrives on an open keep-alive connection is answered, with Connection: close.
    server.on('request', (_req, res: http.ServerResponse) => res.setHeader('Connection', 'close'));
    const cut = setTimeout(() => {
      logger.warn({ drainSeconds }, 'drain time is up: cutting the connections still open');
      server.closeAllConnections();
    }, drainSeconds * 1000);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      gw.close().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'the audit log or grant usage could not be flushed at shutdown');
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
