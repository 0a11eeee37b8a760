// The Delta Sharing REST protocol (delta-io/delta-sharing PROTOCOL.md) under /delta-sharing/, for
// recipients authenticated by their profile's bearer token (authenticate-recipient.ts): list shares,
// get share, list schemas (one per domain: a share's domain), list tables, list all tables, table
// version (HEAD or GET), metadata and query (NDJSON), and the files the query hands out, served here
// at short-lived signed URLs, each download re-checking the share and recipient. Every answer is
// audited (recipient as subject, share:<name> as resource); errors are the protocol's JSON.
import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { MAX_BODY } from '../../app';
import { fail } from '../../errors';
import { FILE_URL_TTL_MS, openFileToken, signFileToken } from '../../sharing/file-url';
import { hintTest } from '../../sharing/json-predicate';
import { listPage } from '../../sharing/list-page';
import { snapshotDir, takeSnapshot, type Snapshot } from '../../sharing/snapshot';
import { fileLine, metaDataLine, protocolLine } from '../../sharing/table-metadata';
import { shareResource, type Share, type ShareTable } from '../../sharing/share-types';
import { answerColumns } from '../answer-formats';
import { recordOutcome } from '../audit-request';
import { activeRecipient, authenticateRecipient, recipientAccess } from '../authenticate-recipient';
import { limitQuery } from '../limit-query';
import { onlyParams } from '../only-params';
import { notFound, problemHandler } from '../problem';
import { sharingEndpoint } from '../public-url';
import { ctx } from '../request-context';
import { router } from '../router';
import { sendSharingError } from '../sharing-errors';

export const ListQuery = z.strictObject({ maxResults: z.string().optional(), pageToken: z.string().max(256).optional() });
const NoQuery = z.strictObject({});
export const VersionQuery = z.strictObject({ startingTimestamp: z.string().max(64).optional() });

/** The query body (PROTOCOL.md, Request Body); fields this server does not know are ignored, as hints may be. */
export const QueryBody = z.object({
  predicateHints: z.array(z.string().max(4096)).max(100).optional(),
  jsonPredicateHints: z.string().max(64 * 1024).optional(),
  limitHint: z.number().int().min(0).optional(),
  version: z.number().int().min(0).optional(),
  timestamp: z.string().optional(),
  startingVersion: z.number().int().optional(),
  endingVersion: z.number().int().optional(),
});

const NDJSON = 'application/x-ndjson; charset=utf-8';

export function deltaSharingRoutes(deps: AppDeps): Router {
  const r = router();
  r.use(limitQuery);
  const allow = (req: Request, res: Response, action: string, share: Share, o: { rowCount?: number; columns?: string[]; details?: Record<string, unknown> } = {}) =>
    recordOutcome(deps, req, res, { decision: 'allow', action, resource: shareResource(share.name), reason: `recipient of share ${share.name}`, status: 200, ...o });

  // Files first: their URL is the credential (a connector fetches it without the bearer token).
  r.get('/files/:token', async (req, res) => {
    const c = ctx(res);
    c.action = 'share_download';
    onlyParams(req, NoQuery);
    const p = openFileToken(deps.shareUrlKey, req.params.token, deps.clock.now());
    const [share, recipient] = await Promise.all([deps.shares.byId(p.s), deps.shares.recipientById(p.r)]);
    await activeRecipient(deps, res, share, recipient);
    const table = share!.tables.find((t) => t.id === p.t);
    if (!table) throw fail('share_file_gone', 'this file is no longer part of the share');
    const file = `${p.h}.parquet`;
    const dir = snapshotDir(deps.config.dataDir);
    if (!fs.existsSync(path.join(dir, file))) throw fail('share_file_gone', 'this file is no longer kept; query the table again for a new URL');
    await allow(req, res, 'share_download', share!, { details: { table: table.name, file: p.h, range: req.get('range') ?? null } });
    deps.recipientUsage.note(recipient!.id, deps.clock.now().getTime());
    await new Promise<void>((resolve) => {
      res.sendFile(file, { root: dir, dotfiles: 'deny', cacheControl: false, lastModified: false, headers: { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' } }, (err) => {
        if (err && !res.headersSent) res.status(416).end();
        resolve();
      });
    });
  });

  r.use(authenticateRecipient(deps));

  /** The recipient's share by the path's name (case-insensitive); another name is 404. */
  const shareOf = (res: Response, name: string): Share => {
    const { share } = recipientAccess(res);
    if (name.toLowerCase() !== share.name) throw fail('share_not_found', 'no share by that name is shared with you');
    return share;
  };
  const schemaOf = (res: Response, shareName: string, schema: string): Share => {
    const share = shareOf(res, shareName);
    if (schema.toLowerCase() !== share.domain.toLowerCase()) throw fail('not_found', `share ${share.name} has no schema by that name`);
    return share;
  };
  const tableOf = (res: Response, p: { share: string; schema: string; table: string }): { share: Share; table: ShareTable } => {
    const share = schemaOf(res, p.share, p.schema);
    const table = share.tables.find((t) => t.name === p.table.toLowerCase());
    if (!table) throw fail('not_found', `share ${share.name} has no table by that name in schema ${share.domain}`);
    return { share, table };
  };
  const datasetOf = (share: Share, table: ShareTable) => {
    const ds = deps.policies.datasets.get(`${share.domain}.${table.dataset}`);
    if (!ds) throw fail('share_file_gone', `table ${table.name} is no longer in the catalog`);
    return ds;
  };
  const tableItem = (share: Share, t: ShareTable) => ({ name: t.name, schema: share.domain, share: share.name, shareId: share.id, id: t.id });

  r.get('/shares', async (req, res) => {
    ctx(res).action = 'share_list_shares';
    const q = onlyParams(req, ListQuery);
    const { share } = recipientAccess(res);
    const page = listPage([{ name: share.name, id: share.id }], q);
    await allow(req, res, 'share_list_shares', share, { rowCount: page.items.length });
    res.json(page);
  });

  r.get('/shares/:share', async (req, res) => {
    ctx(res).action = 'share_get_share';
    onlyParams(req, NoQuery);
    const share = shareOf(res, req.params.share);
    await allow(req, res, 'share_get_share', share);
    res.json({ share: { name: share.name, id: share.id } });
  });

  r.get('/shares/:share/schemas', async (req, res) => {
    ctx(res).action = 'share_list_schemas';
    const q = onlyParams(req, ListQuery);
    const share = shareOf(res, req.params.share);
    const page = listPage([{ name: share.domain, share: share.name }], q);
    await allow(req, res, 'share_list_schemas', share, { rowCount: page.items.length });
    res.json(page);
  });

  r.get('/shares/:share/schemas/:schema/tables', async (req, res) => {
    ctx(res).action = 'share_list_tables';
    const q = onlyParams(req, ListQuery);
    const share = schemaOf(res, req.params.share, req.params.schema);
    const page = listPage(share.tables.map((t) => tableItem(share, t)), q);
    await allow(req, res, 'share_list_tables', share, { rowCount: page.items.length });
    res.json(page);
  });

  r.get('/shares/:share/all-tables', async (req, res) => {
    ctx(res).action = 'share_list_all_tables';
    const q = onlyParams(req, ListQuery);
    const share = shareOf(res, req.params.share);
    const page = listPage(share.tables.map((t) => tableItem(share, t)), q);
    await allow(req, res, 'share_list_all_tables', share, { rowCount: page.items.length });
    res.json(page);
  });

  // GET, and HEAD through it (Express answers HEAD with the GET route, without a body).
  r.get('/shares/:share/schemas/:schema/tables/:table/version', async (req, res) => {
    ctx(res).action = 'share_table_version';
    const q = onlyParams(req, VersionQuery);
    if (q.startingTimestamp !== undefined) throw fail('bad_request', 'startingTimestamp: this server shares no table history, only the current version', { parameter: 'startingTimestamp' });
    const { share, table } = tableOf(res, req.params);
    const snap = await takeSnapshot(deps, share, table, datasetOf(share, table));
    await allow(req, res, 'share_table_version', share, { details: { table: table.name, version: snap.table.version } });
    res.setHeader('Delta-Table-Version', String(snap.table.version));
    res.status(200).end();
  });

  r.get('/shares/:share/schemas/:schema/tables/:table/metadata', async (req, res) => {
    ctx(res).action = 'share_table_metadata';
    onlyParams(req, NoQuery);
    const { share, table } = tableOf(res, req.params);
    const ds = datasetOf(share, table);
    const snap = await takeSnapshot(deps, share, table, ds);
    await allow(req, res, 'share_table_metadata', share, { columns: snap.plan.columns.map((c) => c.name), details: { table: table.name, version: snap.table.version } });
    res.setHeader('Delta-Table-Version', String(snap.table.version));
    res.status(200).type(NDJSON).send(`${protocolLine()}\n${metaDataOf(snap, table, ds)}\n`);
  });

  const metaDataOf = (snap: Snapshot, table: ShareTable, ds: ReturnType<typeof datasetOf>) =>
    metaDataLine(table, answerColumns(snap.plan), (c) => ds.columns[c]?.description, ds.description);

  r.post('/shares/:share/schemas/:schema/tables/:table/query', express.json({ limit: MAX_BODY, strict: true, type: () => true }), async (req, res) => {
    ctx(res).action = 'share_query';
    onlyParams(req, NoQuery);
    const parsed = QueryBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fail('invalid_body', `${parsed.error.issues[0].path.join('.') || 'body'}: ${parsed.error.issues[0].message}`);
    const body = parsed.data;
    if (body.timestamp !== undefined || body.startingVersion !== undefined || body.endingVersion !== undefined) {
      throw fail('bad_request', 'this server shares no table history or change data feed: query the current version');
    }
    const { share, table } = tableOf(res, req.params);
    const ds = datasetOf(share, table);
    const clearColumns = table.columns.filter((col) => ds.columns[col].classification !== 'pii' || table.clear.includes(col));
    const hint = hintTest(body.jsonPredicateHints, clearColumns);
    const snap = await takeSnapshot(deps, share, table, ds, hint);
    if (body.version !== undefined && body.version !== snap.table.version) {
      throw fail('bad_request', `version ${body.version}: this server shares no table history; the current version is ${snap.table.version}`);
    }
    const { recipient } = recipientAccess(res);
    const expires = deps.clock.now().getTime() + FILE_URL_TTL_MS;
    const token = signFileToken(deps.shareUrlKey, { s: share.id, r: recipient.id, t: table.id, h: snap.file.fileHash, e: expires });
    const url = `${sharingEndpoint(deps.config, req)}/files/${token}`;
    await allow(req, res, 'share_query', share, {
      rowCount: snap.file.rows,
      columns: snap.plan.columns.map((c) => c.name),
      details: { table: table.name, version: snap.table.version, file: snap.file.fileHash, hinted: snap.hinted },
    });
    res.setHeader('Delta-Table-Version', String(snap.table.version));
    res.status(200).type(NDJSON).send(`${protocolLine()}\n${metaDataOf(snap, table, ds)}\n${fileLine(snap.file, url, expires)}\n`);
  });

  r.use(notFound);
  r.use(problemHandler(deps, sendSharingError));
  return r;
}
