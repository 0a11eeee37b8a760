// PostgreSQL state only: LISTEN/NOTIFY lets a replica skip the per-request read of the version
// counters (grants/state-versions.ts) while nothing changed, without ever serving from a stale cache.
//
// Every counter bump also runs pg_notify on the state schema's channel, in the same transaction, so
// the notification is delivered after the change commits. A dedicated connection LISTENs, and every
// HEARTBEAT_MS it notifies the channel itself, remembering when (on its monotonic clock) it sent each
// heartbeat. PostgreSQL delivers notifications of different transactions in commit order, so once this
// connection has received its own heartbeat sent at `s`, it has received every change committed
// before `s`. A replica serves without the counter query only while it has received a heartbeat sent
// less than SERVE_WINDOW_MS ago; a change, in turn, is acknowledged to its caller only CHANGE_LEASE_MS
// after it committed (settle()). A request arriving after the acknowledgement (t > commit + lease) can
// thus be served from the cache only if a heartbeat sent after t - window > commit was received, which
// was delivered after the change's own notification: the cache had already been invalidated. The
// lease exceeds the window by a margin for the clocks of two machines ticking at slightly different
// rates. Without a fresh heartbeat (the listener dropped, is reconnecting, or its notifications lag)
// every request reads the counters as before: it fails closed.
import { Client, type Notification } from 'pg';
import type pino from 'pino';

export const HEARTBEAT_MS = 100;
export const SERVE_WINDOW_MS = 400;
/** How long after its commit a change is acknowledged (see the proof above); used on any PostgreSQL state. */
export const CHANGE_LEASE_MS = 500;
const RECONNECT_MS = 500;

const CHANNEL_PREFIX = 'mg_changes_';

/** The channel of a state schema: every process sharing the schema, and only they, listen on it. */
export const changeChannel = (schema: string): string => `${CHANNEL_PREFIX}${schema}`.slice(0, 63);

/** The SQL a counter bump runs in its transaction (the channel follows the transaction's schema). */
export const NOTIFY_CHANGE_SQL = 'select pg_notify(left(? || current_schema(), 63), ?)';
export const notifyChangeBindings = (counter: string): string[] => [CHANNEL_PREFIX, counter];

const monotonicMs = (): number => performance.now();

export class ChangeFeed {
  /** Bumped by every change notification and every (re)connection: a cache read at an older generation is stale. */
  generation = 0;
  /** Notifications and heartbeats received, and how many times the listener connected (for tests and the bench). */
  readonly stats = { changes: 0, heartbeats: 0, connects: 0 };
  private client: Client | null = null;
  private channel = '';
  private lastHeartbeatSent = -Infinity;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly token = `hb:${process.pid}:${Math.random().toString(36).slice(2)}`;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly schema: string | undefined,
    private readonly logger: pino.Logger,
  ) {}

  /** Starts listening; resolves once connected or after the first failure (the feed retries by itself). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Whether the counters known at `generation` may be used without reading them again. */
  fresh(generation: number): boolean {
    return generation === this.generation && this.client !== null && monotonicMs() - this.lastHeartbeatSent < SERVE_WINDOW_MS;
  }

  /** Whether the listener holds a confirmed connection (for /readyz and the bench). */
  get listening(): boolean {
    return this.client !== null && monotonicMs() - this.lastHeartbeatSent < SERVE_WINDOW_MS;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropped();
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.url });
    client.on('error', (err) => {
      this.logger.warn({ err }, 'the state change listener lost its connection; requests read the counters until it is back');
      this.dropped(client);
    });
    client.on('end', () => this.dropped(client));
    client.on('notification', (n) => this.received(n));
    try {
      await client.connect();
      const schema = this.schema ?? (await client.query<{ s: string }>('select current_schema() as s')).rows[0].s;
      this.channel = changeChannel(schema);
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (err) {
      this.logger.warn({ err }, 'the state change listener could not connect; requests read the counters until it does');
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
      return;
    }
    if (this.closed) return void client.end().catch(() => undefined);
    this.client = client;
    this.generation++; // changes may have been missed while not listening
    this.stats.connects++;
    this.heartbeat();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  private heartbeat(): void {
    const client = this.client;
    if (!client) return;
    const sentAt = monotonicMs();
    client.query('select pg_notify($1, $2)', [this.channel, `${this.token}:${sentAt}`]).catch(() => this.dropped(client));
  }

  private received(n: Notification): void {
    const payload = n.payload ?? '';
    if (payload.startsWith(`${this.token}:`)) {
      this.stats.heartbeats++;
      this.lastHeartbeatSent = Math.max(this.lastHeartbeatSent, Number(payload.slice(this.token.length + 1)));
    } else if (!payload.startsWith('hb:')) {
      this.stats.changes++;
      this.generation++;
    }
  }

  private dropped(client?: Client): void {
    if (client && client !== this.client) return;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    const was = this.client;
    this.client = null;
    this.lastHeartbeatSent = -Infinity;
    this.generation++;
    if (was) {
      void was.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }
}

/** Waits out the change lease before a change on PostgreSQL state is acknowledged (see above). */
export function settleChange(dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect !== 'postgres') return Promise.resolve();
  return new Promise((r) => setTimeout(r, CHANGE_LEASE_MS));
}
