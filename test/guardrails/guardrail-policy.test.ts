// Guardrail declarations are validated at load (errors name the file and the path inside it), the
// alert webhook at start-up; and the pure guardrail decisions (breaker, change per update).
import { loadConfig } from '../../src/config';
import { breakerTrip, figuresOf } from '../../src/guardrails/breaker';
import { checkChange } from '../../src/guardrails/check-batch';
import { loadPolicies } from '../../src/policy/load-policies';
import { usePolicyCopy } from '../helpers/policy-copy';

describe('guardrail policy syntax', () => {
  const policies = usePolicyCopy('mg-guard-pol-');
  const { edit, loadError } = policies;

  it('loads the demo guardrails: durations in ms, breaker defaults', () => {
    const bids = loadPolicies(policies.dir).datasets.get('marketing.bids')!;
    expect(bids.uniqueKeys).toEqual([['campaign_id', 'keyword']]);
    expect(bids.guardrails).toMatchObject({ maxRowsPerRequest: 5000, quota: { rows: 20000, per: 3_600_000 }, columns: { bid: { min: 0, max: 50, maxChangePct: 20 } } });
    expect(bids.guardrails!.breaker).toEqual({ window: 3_600_000, factor: 1.5, minRows: 1000, baselineTtl: 86_400_000 });
  });

  it.each([
    ['a guard on a text column', (d: any) => (d.datasets.bids.guardrails.columns.keyword = { max: 1 }), 'policy datasets/marketing.yaml at datasets.bids.guardrails.columns.keyword: guardrails apply to integer or decimal columns; keyword is text'],
    ['a guard on an unknown column', (d: any) => (d.datasets.bids.guardrails.columns.price = { max: 1 }), 'policy datasets/marketing.yaml at datasets.bids.guardrails.columns.price: not a column of the dataset'],
    ['a bad duration', (d: any) => (d.datasets.bids.guardrails.quota.per = 'an hour'), 'policy datasets/marketing.yaml at datasets.bids.guardrails.quota.per: must be a duration such as 90s, 15m, 1h or 1d'],
    ['a breaker factor of 1', (d: any) => (d.datasets.bids.guardrails.breaker.factor = 1), 'policy datasets/marketing.yaml at datasets.bids.guardrails.breaker.factor'],
    ['min above max', (d: any) => (d.datasets.bids.guardrails.columns.bid.min = 60), 'policy datasets/marketing.yaml at datasets.bids.guardrails.columns.bid: min is larger than max'],
    ['an unknown member', (d: any) => (d.datasets.bids.guardrails.maxRows = 5), 'policy datasets/marketing.yaml at datasets.bids.guardrails'],
    ['a unique key on an unknown column', (d: any) => (d.datasets.bids.uniqueKeys = [['campaign_id', 'kw']]), 'policy datasets/marketing.yaml at datasets.bids.uniqueKeys.0: kw is not a column'],
  ])('refuses %s, naming the file and the path', (_name, change, message) => {
    edit('datasets/marketing.yaml', change);
    const m = loadError();
    expect(m.startsWith(message)).toBe(true);
    expect(m).not.toContain('\n');
  });

  it('validates role guardrails in roles.yaml', () => {
    edit('roles.yaml', (d) => (d.roles.scientist.guardrails = { quota: { rows: 0, per: '1h' } }));
    expect(loadError()).toMatch(/^policy roles\.yaml at roles\.scientist\.guardrails\.quota\.rows: /);
  });

  it('validates the alert webhook URL at start-up', () => {
    expect(() => loadConfig({ MESHGUARD_ALERT_WEBHOOK_URL: 'ftp://example.com/x' })).toThrow(/^MESHGUARD_ALERT_WEBHOOK_URL: must be an http/);
    expect(() => loadConfig({ MESHGUARD_ALERT_RETRIES: 'many' })).toThrow(/^MESHGUARD_ALERT_RETRIES: /);
    expect(loadConfig({ MESHGUARD_ALERT_WEBHOOK_URL: 'https://hooks.example.com/mg' }).alerts).toEqual({ webhookUrl: 'https://hooks.example.com/mg', retries: 5, backoffMs: 500 });
  });
});

describe('guardrail decisions', () => {
  const limits = { quotas: [], columns: { bid: { maxChangePct: 20 } } };

  it('trips the breaker on volume or on a mean departing by more than the factor, either way', () => {
    const base = figuresOf([{ rows: 100, stats: { bid: { sum: 100, n: 100 } } }]);
    const at = (rows: number, mean: number) => ({ rows, means: { bid: mean } });
    expect(breakerTrip(base, at(100, 1.49), 1.5, 0)).toBeUndefined();
    expect(breakerTrip(base, at(100, 1.51), 1.5, 0)).toMatchObject({ figure: 'mean(bid)' });
    expect(breakerTrip(base, at(100, 0.6), 1.5, 0)).toMatchObject({ figure: 'mean(bid)' });
    expect(breakerTrip(base, at(151, 1), 1.5, 0)).toMatchObject({ figure: 'volume', baseline: 100, current: 151 });
    expect(breakerTrip(base, at(1400, 1), 1.5, 1000)).toBeUndefined();
  });

  it('bounds the change per update against the stored value', () => {
    expect(() => checkChange(limits, { bid: 10 }, { bid: 12 }, 'rows[0]')).not.toThrow();
    expect(() => checkChange(limits, { bid: 10 }, { bid: 12.01 }, 'rows[0]')).toThrow(/more than 20 %/);
    expect(() => checkChange(limits, { bid: 10 }, { bid: 7.9 }, 'rows[0]')).toThrow(/more than 20 %/);
    expect(() => checkChange(limits, { bid: null }, { bid: 40 }, 'rows[0]')).not.toThrow();
    expect(() => checkChange(limits, { bid: 0 }, { bid: 1 }, 'rows[0]')).toThrow();
  });
});
