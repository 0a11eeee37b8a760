// The guardrails' parts the app is built with: their state, idempotency keys and the alert sender.
import type pino from 'pino';
import type { AuditLog } from '../audit/audit-log';
import type { Config } from '../config';
import type { StateDb } from '../state/open-state';
import { AlertSender } from './alert-sender';
import { GuardStore } from './guard-store';
import { IdempotencyStore } from './idempotency-store';

export interface Guardrails {
  store: GuardStore;
  idempotency: IdempotencyStore;
  alerts: AlertSender;
}

export function openGuardrails(config: Config, state: StateDb, audit: AuditLog, logger: pino.Logger): Guardrails {
  return {
    store: new GuardStore(state.knex, state.dialect, audit),
    idempotency: new IdempotencyStore(state.knex),
    alerts: new AlertSender(config.alerts, logger),
  };
}
