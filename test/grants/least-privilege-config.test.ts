// The least-privilege settings and pure pieces: token max age and usage flush interval validated at
// start-up, durations, and the review findings of a grant (no HTTP, no database).
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import type { Grant } from '../../src/grants/grant-types';
import { reviewGrant } from '../../src/grants/review-grants';
import { loadPolicies } from '../../src/policy/load-policies';
import { parseDuration } from '../../src/parse-duration';
import { POLICIES } from '../helpers/test-gateway';

const DAY = 86_400_000;

describe('least-privilege configuration', () => {
  it('defaults: tokens live at most 24 h, usage flushed every 5 s', () => {
    expect(loadConfig({})).toMatchObject({ tokenMaxAgeMs: DAY, usageFlushMs: 5000 });
    expect(loadConfig({ MESHGUARD_TOKEN_MAX_AGE: '1h', MESHGUARD_USAGE_FLUSH_MS: '250' })).toMatchObject({ tokenMaxAgeMs: 3_600_000, usageFlushMs: 250 });
    expect(loadConfig({ MESHGUARD_TOKEN_MAX_AGE: '900' }).tokenMaxAgeMs).toBe(900_000);
  });

  it.each([
    [{ MESHGUARD_TOKEN_MAX_AGE: 'forever' }, /^MESHGUARD_TOKEN_MAX_AGE: /],
    [{ MESHGUARD_TOKEN_MAX_AGE: '10s' }, /^MESHGUARD_TOKEN_MAX_AGE: /],
    [{ MESHGUARD_TOKEN_MAX_AGE: '90d' }, /^MESHGUARD_TOKEN_MAX_AGE: /],
    [{ MESHGUARD_USAGE_FLUSH_MS: '0' }, /^MESHGUARD_USAGE_FLUSH_MS: /],
    [{ MESHGUARD_USAGE_FLUSH_MS: 'often' }, /^MESHGUARD_USAGE_FLUSH_MS: /],
  ])('%j is refused naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('parses durations', () => {
    expect([parseDuration('30d'), parseDuration('12h'), parseDuration('5m'), parseDuration('45s'), parseDuration('60'), parseDuration('1w')]).toEqual([30 * DAY, 43_200_000, 300_000, 45_000, 60_000, 7 * DAY]);
    for (const bad of ['', 'd', '3.5d', '-1d', '1y', '30 days']) expect(parseDuration(bad)).toBeUndefined();
  });
});

describe('review findings', () => {
  const policies = loadPolicies(POLICIES);
  const now = new Date('2026-06-01T00:00:00Z');
  const opts = { unusedForMs: 30 * DAY, expiringWithinMs: 14 * DAY };
  const grant = (over: Partial<Grant>): Grant => ({
    id: 'g', subject: 's', role: 'analyst', domain: 'sales', reason: 'r', createdBy: 'dana', createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-08-01T00:00:00.000Z', revokedAt: null, revokedBy: null, revokeReason: null, lastUsedAt: null, lastWriteAt: null, ...over,
  });

  it.each([
    ['never used, old', {}, ['unused']],
    ['never used, new', { createdAt: '2026-05-20T00:00:00.000Z' }, []],
    ['used recently', { lastUsedAt: '2026-05-30T00:00:00.000Z' }, []],
    ['last used long ago', { lastUsedAt: '2026-03-01T00:00:00.000Z' }, ['unused']],
    ['expiring soon', { lastUsedAt: '2026-05-30T00:00:00.000Z', expiresAt: '2026-06-10T00:00:00.000Z' }, ['expiring_soon']],
    ['scientist used for reads only', { role: 'scientist', lastUsedAt: '2026-05-30T00:00:00.000Z' }, ['broader_than_use']],
    ['scientist writing', { role: 'scientist', lastUsedAt: '2026-05-30T00:00:00.000Z', lastWriteAt: '2026-05-29T00:00:00.000Z' }, []],
    ['steward never writing', { role: 'steward', lastUsedAt: '2026-05-30T00:00:00.000Z' }, ['broader_than_use']],
  ])('%s', (_name, over, findings) => {
    const g = grant(over as Partial<Grant>);
    expect(reviewGrant(g, policies.roles[g.role], now, opts).findings).toEqual(findings);
  });
});
