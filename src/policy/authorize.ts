// The one authorisation entry point: may `ability` do `action` on `subject` (and `field`)? If so, the
// grants whose rules allow it (for the audit entry and usage); if not, the one standard `forbidden`
// problem naming the missing permission. CASL's ForbiddenError.from(ability).unlessCan(...) is the
// pattern; routes and use cases never compose their own refusals.
import { ForbiddenError } from '@casl/ability';
import { fail, type GatewayError } from '../errors';
import { READ_MASKED, grantOfRule, type AppAbility } from './build-ability';

export type AuthSubject = string | object;

function subjectTypeOf(ability: AppAbility, subject: AuthSubject): string {
  return typeof subject === 'string' ? subject : String(ability.detectSubjectType(subject));
}

/** The permission in words: `grant analyst on sales`, `read sales.orders`, `read_audit`, `resume_writer on hr`. */
export function describePermission(action: string, subjectType: string, subject: AuthSubject, field?: string): string {
  const parts = [action];
  if (subjectType.startsWith('dataset:')) parts.push(`${subjectType.slice('dataset:'.length)}${field ? `.${field}` : ''}`);
  if (typeof subject === 'object') {
    const s = subject as { role?: unknown; domain?: unknown };
    if (typeof s.role === 'string') parts.push(s.role);
    if (typeof s.domain === 'string') parts.push(`on ${s.domain}`);
  }
  return parts.join(' ');
}

/** The one refusal: 403 `forbidden` with the permission the caller lacks as `missing`. */
export function refusal(missing: string): GatewayError {
  return fail('forbidden', `you may not ${missing.replace(/_/g, ' ')}`, { missing });
}

/** The grants whose (non-inverted) rules allow `action` on `subject`; empty when none does. */
export function allowingGrants(ability: AppAbility, action: string, subject: AuthSubject, field?: string): string[] {
  const ids = new Set<string>();
  for (const rule of ability.rulesFor(action, subjectTypeOf(ability, subject), field)) {
    if (rule.inverted || !rule.matchesConditions(subject as never)) continue;
    const id = grantOfRule(rule);
    if (id) ids.add(id);
  }
  return [...ids];
}

/** The grants that allow `action` on `subject` (and `field`), or throws the standard `forbidden` problem. */
export function authorize(ability: AppAbility, action: string, subject: AuthSubject, field?: string): string[] {
  if (ForbiddenError.from(ability).unlessCan(action, subject as never, field)) {
    throw refusal(describePermission(action, subjectTypeOf(ability, subject), subject, field));
  }
  return allowingGrants(ability, action, subject, field);
}

/**
 * The dataset-level decision of the data path: may the caller `action` (read, which includes masked
 * reads; insert; update; or any of several) some column of `ds`? If not, the standard refusal. Which
 * columns and rows exactly, and the grants that allow them, the planner decides per column
 * (query/plan-*.ts), on this same ability.
 */
export function authorizeDataset(ability: AppAbility, action: string | readonly string[], ds: { key: string; subjectType: string; columnNames: readonly string[] }): void {
  const actions = typeof action === 'string' ? (action === 'read' ? ['read', READ_MASKED] : [action]) : action;
  if (!actions.some((a) => ds.columnNames.some((c) => ability.can(a, ds.subjectType, c)))) throw refusal(`${actions[0]} ${ds.key}`);
}
