// Reads policies/metrics/<domain>.yaml once at start-up into the metric catalog: each semantic model
// bound to its dataset, each metric resolved to a tree over the measures of ONE semantic model (so a
// query is one SQL statement). Every error names the file and the path inside it.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import type { DatasetInfo } from '../policy/load-policies';
import { lookupTable, type LookupTable } from '../policy/lookup-table';
import type { Filter } from '../query/query-spec';
import { parseDefinitionFilter, parseExpr, refsOf, type Expr } from './metric-expr';
import { MetricsFileSchema, type Aggregation, type MetricDefinition, type MetricInputDef, type TimeGrain } from './metric-schema';

export interface DimensionInfo {
  name: string;
  type: 'categorical' | 'time';
  column: string;
  /** Time dimensions: the finest grain it may be asked at. */
  grain?: TimeGrain;
  label?: string;
  description?: string;
}

export interface MeasureInfo {
  name: string;
  agg: Aggregation;
  expr: Expr;
  /** The dataset columns the expression reads. */
  columns: string[];
  timeDimension?: string;
}

export interface SemanticModelInfo {
  name: string;
  ds: DatasetInfo;
  /** Entity name -> its key column (a filter may name `entity__dimension`). */
  entities: LookupTable<string>;
  dimensions: LookupTable<DimensionInfo>;
  measures: LookupTable<MeasureInfo>;
}

/** A metric as the planner sees it: measures with their filters, combined by ratio or arithmetic. */
export type MetricNode =
  | { kind: 'measure'; measure: MeasureInfo; filters: Filter[] }
  | { kind: 'ratio'; numerator: MetricNode; denominator: MetricNode }
  | { kind: 'derived'; expr: Expr; inputs: Record<string, MetricNode> };

export interface MetricInfo {
  name: string;
  label: string;
  description?: string;
  type: MetricDefinition['type'];
  domain: string;
  model: SemanticModelInfo;
  node: MetricNode;
  /** The time dimension behind metric_time, if the metric has one. */
  timeDimension?: DimensionInfo;
}

export interface MetricCatalog {
  models: LookupTable<SemanticModelInfo>;
  metrics: LookupTable<MetricInfo>;
}

/** Reads and validates one policy file (load-policies.ts: errors name the file and path; the file counts in the policy version). */
export type ReadYaml = (file: string, schema: typeof MetricsFileSchema) => z.infer<typeof MetricsFileSchema>;

const numeric = (ds: DatasetInfo, c: string) => ['integer', 'decimal'].includes(ds.columns[c].type);

function bindModel(at: string, domain: string, def: ReturnType<typeof MetricsFileSchema.parse>['semantic_models'][number], datasets: Map<string, DatasetInfo>): SemanticModelInfo {
  const ds = datasets.get(def.model);
  if (!ds) throw new ConfigError(`${at}.model: unknown dataset ${def.model}`);
  if (ds.domain !== domain) throw new ConfigError(`${at}.model: ${def.model} belongs to domain ${ds.domain}, not to this file's domain ${domain}`);
  const col = (where: string, c: string) => {
    if (!ds.columns[c]) throw new ConfigError(`${at}.${where}: dataset ${ds.key} has no column ${c}`);
    return c;
  };
  const entities: Record<string, string> = Object.create(null);
  def.entities.forEach((e, i) => (entities[e.name] = col(`entities.${i}.expr`, e.expr ?? e.name)));
  const dimensions: Record<string, DimensionInfo> = Object.create(null);
  def.dimensions.forEach((d, i) => {
    const column = col(`dimensions.${i}.expr`, d.expr ?? d.name);
    if (Object.hasOwn(dimensions, d.name) || d.name === 'metric_time') throw new ConfigError(`${at}.dimensions.${i}.name: ${d.name} is declared twice or reserved`);
    if (d.type === 'time') {
      if (!['date', 'timestamp'].includes(ds.columns[column].type)) throw new ConfigError(`${at}.dimensions.${i}: time dimension ${d.name} needs a date or timestamp column`);
      if (!d.type_params) throw new ConfigError(`${at}.dimensions.${i}.type_params: a time dimension needs type_params.time_granularity`);
    } else if (d.type_params) throw new ConfigError(`${at}.dimensions.${i}.type_params: only time dimensions take type_params`);
    dimensions[d.name] = { name: d.name, type: d.type, column, grain: d.type_params?.time_granularity, label: d.label, description: d.description };
  });
  const timeDim = (where: string, name: string | undefined) => {
    if (name === undefined) return undefined;
    if (!Object.hasOwn(dimensions, name) || dimensions[name].type !== 'time') throw new ConfigError(`${at}.${where}: ${name} is not a time dimension of this model`);
    return name;
  };
  const defaultTime = timeDim('defaults.agg_time_dimension', def.defaults?.agg_time_dimension);
  const measures: Record<string, MeasureInfo> = Object.create(null);
  def.measures.forEach((m, i) => {
    const where = `measures.${i}.expr`;
    let expr: Expr;
    try {
      expr = m.expr === undefined ? { kind: 'ref', name: m.name } : typeof m.expr === 'number' ? { kind: 'num', value: m.expr } : parseExpr(m.expr);
    } catch (e) {
      throw new ConfigError(`${at}.${where}: ${(e as Error).message}`);
    }
    const columns = [...new Set(refsOf(expr))].map((c) => col(where, c));
    if ((expr.kind !== 'ref' || ['sum', 'average'].includes(m.agg)) && columns.some((c) => !numeric(ds, c))) {
      throw new ConfigError(`${at}.${where}: ${m.agg} over an expression needs numeric columns`);
    }
    if (columns.length === 0 && !['count', 'sum'].includes(m.agg)) throw new ConfigError(`${at}.${where}: ${m.agg} needs a column`);
    measures[m.name] = { name: m.name, agg: m.agg, expr, columns, timeDimension: timeDim(`measures.${i}.agg_time_dimension`, m.agg_time_dimension) ?? defaultTime };
  });
  return { name: def.name, ds, entities: lookupTable(entities), dimensions: lookupTable(dimensions), measures: lookupTable(measures) };
}

/** A filter's dimension reference, `entity__dimension` (entity of the same model) or `dimension`. */
function filterColumn(model: SemanticModelInfo, ref: string): string {
  const parts = ref.split('__');
  const [entity, dim] = parts.length === 2 ? parts : [undefined, ref];
  if (parts.length > 2 || (entity !== undefined && !Object.hasOwn(model.entities, entity))) throw new Error(`${ref}: not an entity__dimension of semantic model ${model.name}`);
  const d = Object.hasOwn(model.dimensions, dim) ? model.dimensions[dim] : undefined;
  if (!d) throw new Error(`${ref}: ${dim} is not a dimension of semantic model ${model.name}`);
  return d.column;
}

const withFilters = (node: MetricNode, filters: Filter[]): MetricNode =>
  filters.length === 0
    ? node
    : node.kind === 'measure'
      ? { ...node, filters: [...node.filters, ...filters] }
      : node.kind === 'ratio'
        ? { kind: 'ratio', numerator: withFilters(node.numerator, filters), denominator: withFilters(node.denominator, filters) }
        : { kind: 'derived', expr: node.expr, inputs: Object.fromEntries(Object.entries(node.inputs).map(([k, v]) => [k, withFilters(v, filters)])) };

function leaves(node: MetricNode): MeasureInfo[] {
  if (node.kind === 'measure') return [node.measure];
  if (node.kind === 'ratio') return [...leaves(node.numerator), ...leaves(node.denominator)];
  return Object.values(node.inputs).flatMap(leaves);
}

export function loadMetrics(dir: string, datasets: Map<string, DatasetInfo>, domains: readonly string[], readYaml: ReadYaml): MetricCatalog {
  const metricsDir = path.join(dir, 'metrics');
  const files = fs.existsSync(metricsDir) ? fs.readdirSync(metricsDir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  const models: Record<string, SemanticModelInfo> = Object.create(null);
  const measureModel: Record<string, SemanticModelInfo> = Object.create(null);
  const defs: { at: string; def: MetricDefinition; domain: string }[] = [];
  for (const f of files) {
    const domain = f.replace(/\.ya?ml$/, '');
    const rel = `policy metrics/${f}`;
    if (!domains.includes(domain)) throw new ConfigError(`${rel}: ${domain} is not a domain of the catalog (name the file after its domain)`);
    const doc = readYaml(path.join(metricsDir, f), MetricsFileSchema);
    doc.semantic_models.forEach((m, i) => {
      const at = `${rel} at semantic_models.${i}`;
      if (Object.hasOwn(models, m.name)) throw new ConfigError(`${at}.name: semantic model ${m.name} is declared twice`);
      const model = bindModel(at, domain, m, datasets);
      models[m.name] = model;
      for (const [j, name] of Object.keys(model.measures).entries()) {
        if (Object.hasOwn(measureModel, name)) throw new ConfigError(`${at}.measures.${j}.name: measure ${name} is declared twice`);
        measureModel[name] = model;
      }
    });
    doc.metrics.forEach((def, i) => defs.push({ at: `${rel} at metrics.${i}`, def, domain }));
  }

  const byName = new Map<string, (typeof defs)[number]>();
  for (const d of defs) {
    if (byName.has(d.def.name)) throw new ConfigError(`${d.at}.name: metric ${d.def.name} is declared twice`);
    byName.set(d.def.name, d);
  }
  const resolved = new Map<string, MetricInfo>();
  const resolve = (name: string, seen: string[]): MetricInfo => {
    const done = resolved.get(name);
    if (done) return done;
    const entry = byName.get(name);
    if (!entry) throw new ConfigError(`${byName.get(seen.at(-1)!)!.at}.type_params: unknown metric ${name}`);
    if (seen.includes(name)) throw new ConfigError(`${entry.at}.type_params: metrics refer to each other in a cycle (${[...seen, name].join(' -> ')})`);
    const { at, def, domain } = entry;
    const input = (where: string, inp: MetricInputDef, model?: SemanticModelInfo): { node: MetricNode; alias: string } => {
      const spec = typeof inp === 'string' ? { name: inp } : inp;
      let node: MetricNode;
      let m = model;
      if (def.type === 'simple') {
        m = Object.hasOwn(measureModel, spec.name) ? measureModel[spec.name] : undefined;
        if (!m) throw new ConfigError(`${at}.${where}: unknown measure ${spec.name}`);
        node = { kind: 'measure', measure: m.measures[spec.name], filters: [] };
      } else {
        const sub = resolve(spec.name, [...seen, name]);
        if (sub.domain !== domain) throw new ConfigError(`${at}.${where}: metric ${spec.name} belongs to domain ${sub.domain}`);
        node = sub.node;
        m = sub.model;
      }
      return { node: withFilters(node, spec.filter ? filtersOf(`${at}.${where}.filter`, m!, spec.filter) : []), alias: 'alias' in spec && spec.alias ? spec.alias : spec.name };
    };
    const p = def.type_params;
    let node: MetricNode;
    if (def.type === 'simple') node = input('type_params.measure', p.measure!).node;
    else if (def.type === 'ratio') node = { kind: 'ratio', numerator: input('type_params.numerator', p.numerator!).node, denominator: input('type_params.denominator', p.denominator!).node };
    else {
      const inputs: Record<string, MetricNode> = Object.create(null);
      p.metrics!.forEach((inp, i) => {
        const { node: n, alias } = input(`type_params.metrics.${i}`, inp);
        inputs[alias] = n;
      });
      let expr: Expr;
      try {
        expr = parseExpr(p.expr!);
      } catch (e) {
        throw new ConfigError(`${at}.type_params.expr: ${(e as Error).message}`);
      }
      const unknown = refsOf(expr).find((r) => !Object.hasOwn(inputs, r));
      if (unknown) throw new ConfigError(`${at}.type_params.expr: ${unknown} is not one of type_params.metrics (name or alias)`);
      node = { kind: 'derived', expr, inputs };
    }
    const ms = leaves(node);
    const model = measureModel[ms[0].name];
    if (ms.some((m) => measureModel[m.name] !== model)) {
      throw new ConfigError(`${at}.type_params: all the measures of a metric must come from one semantic model (${[...new Set(ms.map((m) => measureModel[m.name].name))].join(', ')})`);
    }
    if (def.filter) node = withFilters(node, filtersOf(`${at}.filter`, model, def.filter));
    const times = [...new Set(ms.map((m) => m.timeDimension))];
    if (times.length > 1) throw new ConfigError(`${at}.type_params: the measures of a metric must share their agg_time_dimension`);
    const info: MetricInfo = { name, label: def.label, description: def.description, type: def.type, domain, model, node, timeDimension: times[0] ? model.dimensions[times[0]] : undefined };
    resolved.set(name, info);
    return info;
  };
  for (const name of byName.keys()) resolve(name, []);
  for (const [name, m] of resolved) {
    if (Object.hasOwn(m.model.dimensions, name) || name === 'metric_time') throw new ConfigError(`${byName.get(name)!.at}.name: metric ${name} has the name of a dimension`);
  }
  return { models: lookupTable(models), metrics: lookupTable(Object.fromEntries(resolved)) };
}

function filtersOf(at: string, model: SemanticModelInfo, text: string): Filter[] {
  try {
    return parseDefinitionFilter(text).map(({ dimension, ...f }) => ({ ...f, column: filterColumn(model, dimension) }));
  } catch (e) {
    throw new ConfigError(`${at}: ${(e as Error).message}`);
  }
}

