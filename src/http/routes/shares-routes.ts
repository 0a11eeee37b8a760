// /v1/shares: shares with partners (issue 15), for admins (any domain) and stewards (their own
// domain). Thin adapters over the share use cases (sharing/share-commands.ts), each change committed
// with its audit entry; listings show the shares the caller may manage, with their recipients.
import type { Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { MAX_REASON } from '../../grants/use-case';
import { SHARE_SUBJECT } from '../../policy/build-ability';
import { authorize } from '../../policy/authorize';
import { addRecipient, createShare, deleteShare, mayManageShares, revokeRecipient, shareToManage } from '../../sharing/share-commands';
import { NewShareBody, SHARE_NAME } from '../../sharing/share-definition';
import { shareResource, type Recipient, type Share } from '../../sharing/share-types';
import { recordOutcome } from '../audit-request';
import { actorOf, changeWithAudit } from '../change-with-audit';
import { onlyParams } from '../only-params';
import { parseBody } from '../parse-body';
import { sharingEndpoint } from '../public-url';
import { ctx } from '../request-context';
import { router } from '../router';

const reason = z.string().max(MAX_REASON).optional();
export const NewRecipientBody = z.strictObject({
  name: z.string().regex(SHARE_NAME, 'must be lower case letters, digits and _, starting with a letter (at most 64)'),
  expiresAt: z.iso.datetime({ offset: true }),
  reason,
});

export const ShareListQuery = z.strictObject({ status: z.enum(['active', 'all']).optional() });
export const ShareChangeQuery = z.strictObject({ reason });

/** The audit resource of a path's share name: echoed only if it could be one. */
const resourceOf = (name: string) => shareResource(SHARE_NAME.test(name) ? name : '(not a share name)');

/** A share as the management API shows it: its tables (masked and clear columns spelled out) and recipients. */
function shareView(deps: AppDeps, share: Share, recipients: Recipient[]) {
  const now = deps.clock.now().getTime();
  return {
    ...share,
    tables: share.tables.map((t) => {
      const ds = deps.policies.datasets.get(`${share.domain}.${t.dataset}`);
      const masked = t.columns.filter((c) => ds?.columns[c]?.classification === 'pii' && !t.clear.includes(c));
      return { ...t, masked };
    }),
    recipients: recipients.map((r) => ({ ...r, active: !r.revokedAt && !share.deletedAt && Date.parse(r.expiresAt) > now })),
    lastUsedAt: recipients.reduce<string | null>((last, r) => (r.lastUsedAt && (!last || r.lastUsedAt > last) ? r.lastUsedAt : last), null),
  };
}

export function sharesRoutes(deps: AppDeps): Router {
  const r: Router = router();
  const setAction = (res: Response, action: string, resource: string | null) => {
    const c = ctx(res);
    c.action = action;
    c.resource = resource;
  };

  r.post('/v1/shares', async (req, res) => {
    setAction(res, 'share_create', 'share:new');
    const body = parseBody(req, NewShareBody);
    const share = await changeWithAudit(deps, req, res, (actor, trx) => createShare(deps, actor, body, trx));
    res.status(201).location(`/v1/shares/${share.name}`).json(shareView(deps, share, []));
  });

  r.get('/v1/shares', async (req, res) => {
    setAction(res, 'share_list', null);
    const q = onlyParams(req, ShareListQuery);
    const ability = ctx(res).access!.ability;
    const grantIds = authorize(ability, 'manage_shares', SHARE_SUBJECT);
    await deps.recipientUsage.flush(); // this process's recent recipient use shows in lastUsedAt
    const shares = (await deps.shares.list({ includeDeleted: q.status === 'all' })).filter((s) => mayManageShares(ability, s.domain));
    const views = await Promise.all(shares.map(async (s) => shareView(deps, s, await deps.shares.recipients(s.id))));
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'list shares', status: 200, rowCount: views.length, grantIds });
    res.json({ shares: views });
  });

  r.get('/v1/shares/:name', async (req, res) => {
    setAction(res, 'share_get', resourceOf(req.params.name));
    onlyParams(req, z.strictObject({}));
    const { share, grantIds } = await shareToManage(deps, actorOf(res), req.params.name);
    await deps.recipientUsage.flush();
    const view = shareView(deps, share, await deps.shares.recipients(share.id));
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'show share', status: 200, grantIds });
    res.json(view);
  });

  r.delete('/v1/shares/:name', async (req, res) => {
    setAction(res, 'share_delete', resourceOf(req.params.name));
    const q = onlyParams(req, ShareChangeQuery);
    await changeWithAudit(deps, req, res, (actor, trx) => deleteShare(deps, actor, { share: req.params.name, reason: q.reason }, trx));
    res.status(204).end();
  });

  r.post('/v1/shares/:name/recipients', async (req, res) => {
    setAction(res, 'share_add_recipient', resourceOf(req.params.name));
    const body = parseBody(req, NewRecipientBody);
    const endpoint = sharingEndpoint(deps.config, req);
    const { profile } = await changeWithAudit(deps, req, res, (actor, trx) => addRecipient(deps, actor, { share: req.params.name, endpoint, ...body }, trx));
    // The profile holds the token: shown once, never stored or cached.
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(profile);
  });

  r.delete('/v1/shares/:name/recipients/:recipient', async (req, res) => {
    setAction(res, 'share_revoke_recipient', resourceOf(req.params.name));
    const q = onlyParams(req, ShareChangeQuery);
    await changeWithAudit(deps, req, res, (actor, trx) => revokeRecipient(deps, actor, { share: req.params.name, recipient: req.params.recipient, reason: q.reason }, trx));
    res.status(204).end();
  });

  return r;
}
