// Reads the policy files once at start-up into a catalog (stores, datasets) and resolved roles.
// Any error names the file and the path inside it; the version is a digest of the files in force.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { checkDatasetGuardrails } from '../guardrails/check-guardrail-policy';
import { loadMetrics, type MetricCatalog } from '../metrics/load-metrics';
import { lookupTable, type LookupTable } from './lookup-table';
import {
  DomainFileSchema,
  RolesFileSchema,
  StoresFileSchema,
  type ColumnDef,
  type DatasetGuardrails,
  type RoleDef,
  type RuleDef,
  type StoreDef,
} from './policy-schema';

export interface DatasetInfo {
  /** `domain.dataset`, as the audit log and URLs name it. */
  key: string;
  domain: string;
  name: string;
  store: string;
  table: string;
  primaryKey: string;
  description?: string;
  columns: LookupTable<ColumnDef>;
  columnNames: string[];
  /** guardrails (issue 5): unique keys besides the primary key, and the write guardrails. */
  uniqueKeys?: string[][];
  guardrails?: DatasetGuardrails;
  /** The CASL subject type of the dataset. */
  subjectType: string;
}

export interface RoleInfo extends RoleDef {
  name: string;
  /** The role's own rules and those of the roles it inherits, in order. */
  allRules: RuleDef[];
}

export interface Policies {
  version: string;
  stores: LookupTable<StoreDef>;
  datasets: Map<string, DatasetInfo>;
  domains: string[];
  roles: LookupTable<RoleInfo>;
  /** metrics (issue 13): semantic models and metrics of policies/metrics/. */
  metrics: MetricCatalog;
}

export const datasetSubjectType = (domain: string, name: string): string => `dataset:${domain}.${name}`;

function readYaml<S extends z.ZodType>(file: string, schema: S, hash: crypto.Hash): z.infer<S> {
  const sub = path.basename(path.dirname(file));
  const rel = sub === 'datasets' || sub === 'metrics' ? `${sub}/${path.basename(file)}` : path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`policy ${rel}: cannot be read`);
  }
  hash.update(rel).update('\0').update(text).update('\0');
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`policy ${rel}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`policy ${rel} at ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return parsed.data;
}

function resolveRoles(defs: LookupTable<RoleDef>): Record<string, RoleInfo> {
  const out: Record<string, RoleInfo> = {};
  const rulesOf = (name: string, seen: string[]): RuleDef[] => {
    const def = defs[name];
    if (!def) throw new ConfigError(`policy roles.yaml at roles.${seen.at(-1)}.inherits: unknown role ${name}`);
    if (seen.includes(name)) throw new ConfigError(`policy roles.yaml at roles.${name}.inherits: inheritance cycle`);
    return [...(def.inherits ?? []).flatMap((p) => rulesOf(p, [...seen, name])), ...def.rules];
  };
  for (const [name, def] of Object.entries(defs)) out[name] = { ...def, name, allRules: rulesOf(name, []) };
  return out;
}

function checkRules(roles: LookupTable<RoleInfo>, datasets: Map<string, DatasetInfo>): void {
  for (const role of Object.values(roles)) {
    role.rules.forEach((rule, i) => {
      const at = `policy roles.yaml at roles.${role.name}.rules.${i}`;
      if (rule.roles && rule.roles !== '*') {
        const unknown = rule.roles.find((r) => !roles[r]);
        if (unknown) throw new ConfigError(`${at}.roles: unknown role ${unknown}`);
      }
      if (rule.mask && rule.actions.some((a) => a !== 'read')) throw new ConfigError(`${at}.mask: only read rules can mask`);
      for (const key of ['aggregateOnly', 'minGroupSize'] as const) {
        if (rule[key] !== undefined && rule.actions.some((a) => a !== 'read_metrics')) throw new ConfigError(`${at}.${key}: only read_metrics rules take ${key}`);
      }
      if (!rule.rows) return;
      if (!rule.datasets) throw new ConfigError(`${at}.rows: a row condition needs the datasets it applies to`);
      for (const ds of datasets.values()) {
        if (!rule.datasets.includes(ds.name)) continue;
        const missing = Object.keys(rule.rows).find((c) => !ds.columns[c]);
        if (missing) throw new ConfigError(`${at}.rows.${missing}: dataset ${ds.key} has no such column`);
      }
    });
  }
}

export function loadPolicies(dir: string): Policies {
  if (!fs.existsSync(dir)) throw new ConfigError(`MESHGUARD_POLICIES_DIR: ${dir} does not exist`);
  const hash = crypto.createHash('sha256');
  const stores = lookupTable(readYaml(path.join(dir, 'stores.yaml'), StoresFileSchema, hash).stores);
  const { roles: roleDefs } = readYaml(path.join(dir, 'roles.yaml'), RolesFileSchema, hash);

  const datasets = new Map<string, DatasetInfo>();
  const domainsDir = path.join(dir, 'datasets');
  const files = fs.existsSync(domainsDir) ? fs.readdirSync(domainsDir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  for (const f of files) {
    const doc = readYaml(path.join(domainsDir, f), DomainFileSchema, hash);
    for (const [name, d] of Object.entries(doc.datasets)) {
      const at = `policy datasets/${f} at datasets.${name}`;
      if (!stores[d.store]) throw new ConfigError(`${at}.store: unknown store ${d.store}`);
      if (!d.columns[d.primaryKey]) throw new ConfigError(`${at}.primaryKey: ${d.primaryKey} is not a column`);
      checkDatasetGuardrails(at, d);
      const key = `${doc.domain}.${name}`;
      if (datasets.has(key)) throw new ConfigError(`${at}: dataset ${key} is declared twice`);
      datasets.set(key, {
        ...d,
        columns: lookupTable(d.columns),
        guardrails: d.guardrails && { ...d.guardrails, columns: d.guardrails.columns && lookupTable(d.guardrails.columns) },
        key,
        domain: doc.domain,
        name,
        columnNames: Object.keys(d.columns),
        subjectType: datasetSubjectType(doc.domain, name),
      });
    }
  }
  const roles = lookupTable(resolveRoles(lookupTable(roleDefs)));
  checkRules(roles, datasets);
  const domains = [...new Set([...datasets.values()].map((d) => d.domain))].sort();
  const metrics = loadMetrics(dir, datasets, domains, (file, schema) => readYaml(file, schema, hash));
  return { version: hash.digest('hex').slice(0, 16), stores, datasets, domains, roles, metrics };
}
