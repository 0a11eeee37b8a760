// The PostgreSQL wire protocol surface (issue 14): psql, psycopg2, pandas and BI tools connect as if
// meshguard were a PostgreSQL database. User = the subject, password = a JWT, checked exactly like a
// bearer token (and again before every query, so expiry, revocation and suspension stop a session);
// the database name is ignored. Every query runs the federated SQL use case (run-federated-query.ts):
// the same authorisation, caps and one audit entry as POST /v1/query. pg-gateway (over pg-protocol)
// frames the protocol: start-up, TLS, the password exchange and errors; the simple query protocol
// is what psql and psycopg2 speak. Without TLS the listener binds to loopback only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { PostgresConnection } from 'pg-gateway';
import type { AppDeps } from '../app-deps';
import type { AuditInput } from '../audit/audit-entry';
import type { Principal } from '../auth/verify-token';
import { GatewayError, fail } from '../errors';
import { queryAuditDetails, runFederatedQuery } from '../federation/run-federated-query';
import { bearerVerifier, loadAccess } from '../http/authenticate';
import { driverAnswer } from './driver-answers';
import { pgError } from './pg-errors';
import { sendBackendKeyData, sendCommandComplete, sendDataRows, sendEmptyQuery, sendRowDescription } from './pg-answers';

export interface PgListenerOptions {
  port: number;
  /** Where to listen when TLS is on; without TLS, always 127.0.0.1. */
  host: string;
  tls?: { certFile: string; keyFile: string };
}

export interface PgListener {
  port: number;
  close(): Promise<void>;
}

const SERVER_VERSION = '16.0 (meshguard)';
const QUERY = 0x51;
const PASSWORD = 0x70;
const TERMINATE = 0x58;
const SYNC = 0x53;
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48, 0x46]); // Parse, Bind, Describe, Execute, Close, Flush, FunctionCall

const cstringAt = (data: Uint8Array, from: number) => {
  const end = data.indexOf(0, from);
  return Buffer.from(data.subarray(from, end < 0 ? data.length : end)).toString('utf8');
};
const isLoopback = (addr?: string) => addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';

export async function startPgListener(deps: AppDeps, o: PgListenerOptions): Promise<PgListener> {
  const tls = o.tls ? { cert: fs.readFileSync(o.tls.certFile), key: fs.readFileSync(o.tls.keyFile) } : undefined;
  const verify = bearerVerifier(deps);
  const sockets = new Set<net.Socket>();

  const audit = async (input: Omit<AuditInput, 'ts' | 'requestId' | 'policyVersion'>): Promise<AuditInput> => {
    const entry = { ts: deps.clock.now(), requestId: crypto.randomUUID(), policyVersion: deps.policies.version, ...input };
    await deps.audit.record(entry);
    return entry;
  };
  const principalOf = async (token: string): Promise<Principal> => {
    const p = verify(`Bearer ${token}`, deps.clock.now());
    return p instanceof Promise ? await p : p;
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const clientIp = socket.remoteAddress ?? null;
    let token = '';
    let subject = '';
    let txn: 'idle' | 'transaction' | 'error' = 'idle';
    let skipToSync = false;
    let busy: Promise<void> = Promise.resolve();

    const authenticate = async (conn: PostgresConnection, password: string) => {
      subject = conn.clientInfo?.parameters.user ?? '';
      try {
        if (!conn.secureSocket && !isLoopback(socket.remoteAddress)) throw fail('invalid_token', 'a password is taken only over TLS or from this machine');
        const principal = await principalOf(password);
        if (principal.subject !== subject) throw fail('invalid_token', 'the user name is not the token\'s subject');
        await loadAccess(deps, principal);
        token = password;
      } catch (e) {
        await audit({ subject: subject.slice(0, 128) || null, action: 'authenticate', resource: null, decision: 'deny', reason: e instanceof GatewayError ? e.code : 'error', status: 401, clientIp, details: { surface: 'pgwire' } }).catch(() => undefined);
        conn.sendAuthenticationFailedError();
        socket.end();
        return;
      }
      conn.isAuthenticated = true;
      conn.sendAuthenticationOk();
      const params: Record<string, string> = {
        server_version: SERVER_VERSION,
        server_encoding: 'UTF8',
        client_encoding: 'UTF8',
        DateStyle: 'ISO, MDY',
        IntervalStyle: 'postgres',
        TimeZone: 'UTC',
        integer_datetimes: 'on',
        standard_conforming_strings: 'on',
        is_superuser: 'off',
        session_authorization: subject,
      };
      for (const [k, v] of Object.entries(params)) conn.sendParameterStatus(k, v);
      sendBackendKeyData(conn, process.pid, crypto.randomInt(0x7fffffff));
      conn.sendReadyForQuery('idle');
    };

    const runQuery = async (conn: PostgresConnection, sql: string) => {
      const started = process.hrtime.bigint();
      if (sql.trim() === '') {
        sendEmptyQuery(conn);
        return;
      }
      const canned = driverAnswer(sql, subject);
      if (canned) {
        sendRowDescription(conn, canned.columns);
        sendDataRows(conn, canned.columns, canned.rows);
        sendCommandComplete(conn, `SELECT ${canned.rows.length}`);
        return;
      }
      let grantIds: string[] | null = null;
      try {
        const principal = await principalOf(token);
        const access = await loadAccess(deps, principal);
        const answer = await runFederatedQuery({ policies: deps.policies, stores: deps.stores, mask: deps.mask, limits: deps.config.query }, access.ability, sql, [], false);
        grantIds = answer.grantIds;
        const details = queryAuditDetails(answer, answer.rows!.length);
        const entry = await audit({
          subject, action: 'query', resource: answer.datasets.map((d) => d.dataset).join(',') || null, decision: 'allow',
          reason: `federated query granted by ${answer.grantIds.join(', ')}`, status: 200, columns: details.columns, rowCount: answer.rows!.length,
          fingerprint: details.sql, clientIp, grantIds, latencyMs: Number(process.hrtime.bigint() - started) / 1e6, details: { ...details.details, surface: 'pgwire' },
        });
        if (answer.grantIds.length) deps.usage.touch(answer.grantIds, entry);
        sendRowDescription(conn, answer.columns!);
        sendDataRows(conn, answer.columns!, answer.rows!);
        sendCommandComplete(conn, `SELECT ${answer.rows!.length}`);
      } catch (e) {
        // A driver's SET and transaction statements change nothing here (reads only): answered, not run.
        const refused = e instanceof GatewayError && e.code === 'sql_not_allowed' ? e.extra.refused : undefined;
        if (refused === 'SET statement') return sendCommandComplete(conn, 'SET');
        if (refused === 'TRANSACTION statement') {
          const verb = sql.trim().split(/\s+/)[0].toUpperCase();
          const tag = verb === 'COMMIT' || verb === 'END' ? 'COMMIT' : verb === 'ROLLBACK' || verb === 'ABORT' ? 'ROLLBACK' : 'BEGIN';
          txn = tag === 'BEGIN' ? 'transaction' : 'idle';
          return sendCommandComplete(conn, tag);
        }
        if (!(e instanceof GatewayError)) deps.logger.error({ err: e }, 'pgwire query failed');
        const problem = e instanceof GatewayError ? e : undefined;
        await audit({
          subject, action: 'query', resource: null, decision: 'deny', reason: problem?.code ?? 'internal', status: problem?.status ?? 500,
          columns: typeof problem?.extra.column === 'string' ? [problem.extra.column] : null, clientIp, grantIds,
          details: { surface: 'pgwire', ...(problem?.extra.missing ? { missing: problem.extra.missing } : {}) },
        }).catch((err) => deps.logger.error({ err }, 'audit of a pgwire refusal failed'));
        conn.sendError(pgError(e));
        if (txn === 'transaction') txn = 'error';
      }
    };

    const conn = new PostgresConnection(socket, {
      serverVersion: SERVER_VERSION,
      authMode: 'cleartextPassword',
      tls,
      onMessage: async (data, state) => {
        if (!state.hasStarted) return false;
        const code = data[0];
        if (!state.isAuthenticated) {
          if (code !== PASSWORD) return false;
          await authenticate(conn, cstringAt(data, 5));
          return true;
        }
        if (code === TERMINATE) return false;
        // One query at a time per connection, in order.
        busy = busy.then(async () => {
          try {
            if (code === QUERY) {
              await runQuery(conn, cstringAt(data, 5));
              conn.sendReadyForQuery(txn);
            } else if (EXTENDED.has(code)) {
              if (!skipToSync) conn.sendError({ severity: 'ERROR', code: '0A000', message: 'meshguard speaks the simple query protocol; send queries as text (psql, psycopg2 and SQLAlchemy do)' });
              skipToSync = true;
            } else if (code === SYNC) {
              skipToSync = false;
              conn.sendReadyForQuery(txn);
            }
          } catch (e) {
            deps.logger.error({ err: e }, 'pgwire connection failed');
            socket.destroy();
          }
        });
        await busy;
        return true;
      },
    });
  });
  const host = tls ? o.host : '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
