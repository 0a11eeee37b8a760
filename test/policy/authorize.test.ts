// authorize(), the one authorisation entry point, as a pure function of an ability: the grants whose
// rules allow, or the standard 403 naming the missing permission.
import { subject as asSubject } from '@casl/ability';
import { GatewayError } from '../../src/errors';
import type { Grant } from '../../src/grants/grant-types';
import { AUDIT_SUBJECT, buildAbility, GRANT_SUBJECT } from '../../src/policy/build-ability';
import { authorize } from '../../src/policy/authorize';
import { authorizeEverything, authorizeOversight } from '../../src/policy/grant-decisions';
import { loadPolicies } from '../../src/policy/load-policies';
import { POLICIES } from '../helpers/test-gateway';

const policies = loadPolicies(POLICIES);
const grant = (id: string, role: string, domain: string): Grant => ({
  id, subject: 's', role, domain, reason: 'r', createdBy: 'x', createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: null, revokedAt: null, revokedBy: null, revokeReason: null, lastUsedAt: null, lastWriteAt: null,
});
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof GatewayError ? { code: e.code, status: e.status, missing: e.extra.missing } : e;
  }
  return 'allowed';
};
const onGrant = (role: string, domain: string) => asSubject(GRANT_SUBJECT, { role, domain });

describe('authorize', () => {
  const steward = buildAbility(policies, [grant('g-hr', 'steward', 'hr'), grant('g-mk', 'steward', 'marketing')]);
  const admin = buildAbility(policies, [grant('g-admin', 'admin', '*'), grant('g-aud', 'auditor', '*')]);

  it('returns the grants whose rules allow the action', () => {
    expect(authorize(steward, 'grant', onGrant('analyst', 'hr'))).toEqual(['g-hr']);
    expect(authorize(steward, 'revoke', GRANT_SUBJECT).sort()).toEqual(['g-hr', 'g-mk']);
    expect(authorize(admin, 'list_grants', onGrant('admin', 'sales')).sort()).toEqual(['g-admin', 'g-aud']);
    expect(authorize(admin, 'read_audit', AUDIT_SUBJECT)).toEqual(['g-aud']);
  });

  it('throws the one forbidden problem with the missing permission', () => {
    expect(refusal(() => authorize(steward, 'grant', onGrant('analyst', 'sales')))).toEqual({ code: 'forbidden', status: 403, missing: 'grant analyst on sales' });
    expect(refusal(() => authorize(steward, 'grant', onGrant('steward', 'hr')))).toEqual({ code: 'forbidden', status: 403, missing: 'grant steward on hr' });
    expect(refusal(() => authorize(steward, 'read_audit', AUDIT_SUBJECT))).toEqual({ code: 'forbidden', status: 403, missing: 'read_audit' });
    expect(refusal(() => authorize(buildAbility(policies, []), 'read', 'dataset:sales.orders', 'amount'))).toEqual({ code: 'forbidden', status: 403, missing: 'read sales.orders.amount' });
  });

  it('composite questions: oversight of a domain, every subject (admin)', () => {
    expect(authorizeOversight(steward, policies, 'hr')).toEqual(['g-hr']);
    expect(refusal(() => authorizeOversight(steward, policies, 'sales'))).toMatchObject({ code: 'forbidden' });
    expect(authorizeEverything(admin, policies)).toEqual(['g-admin']);
    expect(refusal(() => authorizeEverything(steward, policies))).toMatchObject({ code: 'forbidden', missing: 'revoke every role on every domain (admin)' });
  });
});
