// GET /v1/me, GET /v1/datasets and GET /v1/datasets/:domain/:dataset: what the caller may see and do.
import type { Response, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { authorizeDataset } from '../../policy/authorize';
import { datasetActions, visibleColumns } from '../../policy/decide-columns';
import type { DatasetInfo } from '../../policy/load-policies';
import type { AppAbility } from '../../policy/build-ability';
import { recordOutcome } from '../audit-request';
import { ctx } from '../request-context';
import { router } from '../router';

export function describeDataset(ability: AppAbility, ds: DatasetInfo) {
  return {
    domain: ds.domain,
    dataset: ds.name,
    description: ds.description,
    primaryKey: ds.primaryKey,
    actions: datasetActions(ability, ds),
    columns: visibleColumns(ability, ds).map((c) => ({
      name: c.name,
      type: ds.columns[c.name].type,
      classification: ds.columns[c.name].classification,
      masked: c.visibility === 'masked',
      nullable: ds.columns[c.name].nullable,
    })),
  };
}

/** A name from the URL, echoed only when it could be a catalog name: never long or odd attacker text. */
const echo = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : '(a name that is not in the catalog)');

export function findDataset(deps: AppDeps, res: Response, domain: string, dataset: string): DatasetInfo {
  const ds = deps.policies.datasets.get(`${domain}.${dataset}`);
  if (!ds) throw fail('dataset_not_found', `no dataset ${echo(domain)}.${echo(dataset)}`);
  ctx(res).resource = ds.key;
  return ds;
}

export function datasetsRoutes(deps: AppDeps): Router {
  const r = router();

  r.get('/v1/me', async (req, res) => {
    const c = ctx(res);
    c.action = 'me';
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'own identity', status: 200 });
    res.json({
      subject: c.principal!.subject,
      grants: c.access!.grants.map((g) => ({ id: g.id, role: g.role, domain: g.domain, expiresAt: g.expiresAt, reason: g.reason })),
    });
  });

  // The catalog a subject sees is a pure function of its ability's rules, which are a new array
  // whenever the subject's grants change (a new ability, or CASL's update()): computed once per rules.
  // Kept as the answer's bytes too, so a repeated listing costs no serialisation and no encoding.
  const catalogs = new WeakMap<object, { count: number; body: Buffer }>();
  const catalogFor = (ability: AppAbility) => {
    let catalog = catalogs.get(ability.rules);
    if (!catalog) {
      const datasets = [...deps.policies.datasets.values()].map((ds) => describeDataset(ability, ds)).filter((d) => d.actions.length > 0);
      catalog = { count: datasets.length, body: Buffer.from(JSON.stringify({ datasets })) };
      catalogs.set(ability.rules, catalog);
    }
    return catalog;
  };

  r.get('/v1/datasets', async (req, res) => {
    const c = ctx(res);
    c.action = 'list_datasets';
    const catalog = catalogFor(c.access!.ability);
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'datasets the caller may act on', status: 200, rowCount: catalog.count });
    res.type('application/json; charset=utf-8').send(catalog.body);
  });

  r.get('/v1/datasets/:domain/:dataset', async (req, res) => {
    const c = ctx(res);
    c.action = 'describe_dataset';
    const ds = findDataset(deps, res, req.params.domain, req.params.dataset);
    const d = describeDataset(c.access!.ability, ds);
    if (d.actions.length === 0) authorizeDataset(c.access!.ability, 'read', ds); // throws the standard refusal
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'caller may act on the dataset', status: 200 });
    res.json(d);
  });

  return r;
}
