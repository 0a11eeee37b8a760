// Guardrail alerts: a JSON POST to the configured webhook, sent in the background and retried with
// exponential back-off. Never on the request path: send() returns at once. close() gives in-flight
// posts a moment, then abandons what is left (logged), so shutdown and tests never hang.
import type pino from 'pino';

export interface GuardrailAlert {
  event: 'guardrail_tripped' | 'writer_paused' | 'writer_resumed';
  at: string;
  subject: string;
  dataset: string;
  guardrail?: string;
  pauseId?: string;
  detail: string;
  requestId?: string;
  by?: string;
}

const ATTEMPT_TIMEOUT_MS = 5000;
const CLOSE_GRACE_MS = 1000;

export class AlertSender {
  private readonly pending = new Set<Promise<void>>();
  private readonly controller = new AbortController();
  private closed = false;

  constructor(
    private readonly opts: { webhookUrl?: string; retries: number; backoffMs: number },
    private readonly logger: pino.Logger,
  ) {}

  send(alert: GuardrailAlert): void {
    this.logger.warn({ alert }, `guardrail alert: ${alert.event} ${alert.subject} on ${alert.dataset}`);
    if (!this.opts.webhookUrl || this.closed) return;
    const p = this.deliver(alert).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async deliver(alert: GuardrailAlert): Promise<void> {
    const body = JSON.stringify(alert);
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (attempt > 0 && !(await this.sleep(this.opts.backoffMs * 2 ** (attempt - 1)))) break;
      // One controller per attempt, aborted by its timeout or by close() (no AbortSignal.any before Node 20.3).
      const attemptController = new AbortController();
      const abort = () => attemptController.abort();
      const timer = setTimeout(abort, ATTEMPT_TIMEOUT_MS);
      this.controller.signal.addEventListener('abort', abort, { once: true });
      try {
        const res = await fetch(this.opts.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: attemptController.signal });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        this.logger.warn({ status: res.status, attempt, event: alert.event }, 'alert webhook refused the alert');
      } catch (e) {
        if (this.controller.signal.aborted) break;
        this.logger.warn({ err: (e as Error).message, attempt, event: alert.event }, 'alert webhook did not answer');
      } finally {
        clearTimeout(timer);
        this.controller.signal.removeEventListener('abort', abort);
      }
    }
    this.logger.error({ alert }, 'guardrail alert abandoned: the webhook never accepted it');
  }

  /** Resolves true after `ms`, or false at once when the sender closes. */
  private sleep(ms: number): Promise<boolean> {
    if (this.controller.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.controller.signal.removeEventListener('abort', done);
        resolve(true);
      }, ms);
      this.controller.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Waits for every alert to be delivered (tests), at most `ms`. */
  async flushed(ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.pending.size > 0 && Date.now() < until) await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, 50))]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
    }
    this.controller.abort();
    await Promise.allSettled([...this.pending]);
  }
}
