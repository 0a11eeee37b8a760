// Start-up validation: bad configuration and bad policy files are refused with one line that
// names the variable, or the file and the path inside it.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { loadPolicies } from '../../src/policy/load-policies';
import { usePolicyCopy } from '../helpers/policy-copy';
import { POLICIES } from '../helpers/test-gateway';

const configError = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadConfig({}, '/srv/mg');
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: '/srv/mg/data', policiesDir: '/srv/mg/policies', seedDemo: true, production: false });
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ MESHGUARD_STATE_URL: 'mysql://x' }, /^MESHGUARD_STATE_URL: must be a postgres/],
    [{ MESHGUARD_JWT_SECRET: 'short' }, /^MESHGUARD_JWT_SECRET: must be at least 32/],
    [{ MESHGUARD_JWT_SECRET: 'x'.repeat(32), MESHGUARD_JWT_PUBLIC_KEY_FILE: '/k.pem' }, /set one, not both/],
    [{ NODE_ENV: 'production' }, /required when NODE_ENV=production/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ])('refuses %j', (env, message) => {
    const m = configError(env as Record<string, string>);
    expect(m).toMatch(message);
    expect(m).not.toContain('\n');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ MESHGUARD_JWT_SECRET: '', PORT: '' }).port).toBe(8080);
  });
});

describe('policy files', () => {
  const policies = usePolicyCopy('mg-pol-');
  const { edit, loadError } = policies;

  it('loads the bundled policies, with a stable version digest', () => {
    const p = loadPolicies(policies.dir);
    expect(p.domains).toEqual(['hr', 'marketing', 'sales']);
    expect([...p.datasets.keys()].sort()).toEqual(['hr.employees', 'marketing.bids', 'marketing.campaigns', 'sales.customers', 'sales.orders']);
    expect(p.version).toBe(loadPolicies(POLICIES).version);
    edit('roles.yaml', (d) => (d.roles.analyst.description = 'changed'));
    expect(loadPolicies(policies.dir).version).not.toBe(p.version);
  });

  it('rejects a literal password in a store', () => {
    edit('stores.yaml', (d) => (d.stores.wh = { kind: 'postgres', urlEnv: 'WH_URL', password: 'hunter2' }));
    expect(loadError()).toMatch(/^policy stores.yaml at stores.wh.password: literal credentials are not allowed/);
  });

  it('rejects a connection string where the variable name belongs', () => {
    edit('stores.yaml', (d) => (d.stores.wh = { kind: 'postgres', urlEnv: 'postgres://u:p@h/db' }));
    expect(loadError()).toMatch(/^policy stores.yaml at stores.wh.urlEnv: must be the NAME of an environment variable/);
  });

  it.each([
    ['datasets/sales.yaml', (d: any) => (d.datasets.orders.columns.amount.classification = 'secret'), /^policy datasets\/sales.yaml at datasets.orders.columns.amount.classification/],
    ['datasets/sales.yaml', (d: any) => (d.datasets.orders.store = 'nowhere'), /datasets.orders.store: unknown store nowhere/],
    ['datasets/sales.yaml', (d: any) => (d.datasets.orders.primaryKey = 'nope'), /datasets.orders.primaryKey: nope is not a column/],
    ['datasets/sales.yaml', (d: any) => (d.datasets.orders.columns['bad name'] = { type: 'text', classification: 'public' }), /datasets.orders.columns/],
    ['roles.yaml', (d: any) => (d.roles.analyst.rules[0].actions = ['delete_everything']), /^policy roles.yaml at roles.analyst.rules.0.actions.0/],
    ['roles.yaml', (d: any) => (d.roles.analyst.inherits = ['ghost']), /unknown role ghost/],
    ['roles.yaml', (d: any) => (d.roles.analyst.inherits = ['scientist']), /inheritance cycle/],
    ['roles.yaml', (d: any) => (d.roles.eu_analyst.rules[0].rows = { planet: 'Mars' }), /rows.planet: dataset sales.orders has no such column/],
    ['roles.yaml', (d: any) => (d.roles.steward.rules[1].roles = ['ghost']), /roles.steward.rules.1.roles: unknown role ghost/],
  ])('names the file and path of an error in %s', (file, change, message) => {
    edit(file, change);
    expect(loadError()).toMatch(message);
  });

  it('reports invalid YAML with the file name', () => {
    fs.writeFileSync(path.join(policies.dir, 'roles.yaml'), 'roles: [unclosed');
    expect(loadError()).toMatch(/^policy roles.yaml: invalid YAML/);
  });
});
