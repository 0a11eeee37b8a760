// Authenticates a Delta Sharing recipient by the bearer token of its profile file: looked up by its
// SHA-256 hash, compared in constant time, checked against the state store on every request (so a
// revoke or a deleted share takes effect on the very next one). Only 401 (no, unknown, revoked or
// expired token) or 403 (share deleted). Recipients are not JWT subjects: they reach only the
// protocol's routes. The audit entry names the recipient as subject and the share as resource.
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { GatewayError, fail } from '../errors';
import { hashToken, looksLikeToken, sameHash } from '../sharing/recipient-token';
import { recipientState, shareResource, type Recipient, type Share } from '../sharing/share-types';
import { ctx } from './request-context';

/** What a recipient's request carries after authentication. */
export interface RecipientAccess {
  share: Share;
  recipient: Recipient;
}

export const recipientSubject = (r: Recipient): string => `recipient:${r.name}`;

const REFUSALS = {
  token_revoked: 'this recipient was revoked; ask the data provider for a new profile',
  token_expired: 'this profile has expired; ask the data provider for a new one',
  share_deleted: 'this share was deleted by the data provider',
} as const;

/** The share and recipient named by ids (a file URL), if both are still active; else the refusal. */
export async function activeRecipient(deps: AppDeps, res: Response, share: Share | undefined, recipient: Recipient | undefined): Promise<RecipientAccess> {
  if (!share || !recipient || recipient.shareId !== share.id) throw fail('invalid_token', 'this credential names no recipient of this server');
  const c = ctx(res);
  c.recipient = recipientSubject(recipient);
  c.resource = shareResource(share.name);
  const refused = recipientState(share, recipient, deps.clock.now());
  if (refused) throw fail(refused, REFUSALS[refused]);
  return { share, recipient };
}

export function authenticateRecipient(deps: AppDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const c = ctx(res);
    c.action = 'share_authenticate';
    const header = req.get('authorization');
    if (!header) throw fail('missing_token', 'send the bearer token of your profile file: Authorization: Bearer <token>');
    const m = /^Bearer ([^\s]+)$/.exec(header);
    if (!m || !looksLikeToken(m[1])) throw fail('invalid_token', 'the bearer token is not a recipient token of this server');
    const hash = hashToken(m[1]);
    let found: Awaited<ReturnType<typeof deps.shares.recipientByTokenHash>>;
    let share: Share | undefined;
    try {
      found = await deps.shares.recipientByTokenHash(hash);
      share = found && (await deps.shares.byId(found.recipient.shareId));
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw fail('store_unavailable', 'the gateway state store did not answer; try again', {}, e);
    }
    if (!found || !sameHash(found.tokenHash, hash)) throw fail('invalid_token', 'the bearer token is not a recipient token of this server');
    res.locals.recipientAccess = await activeRecipient(deps, res, share, found.recipient);
    c.action = undefined;
    deps.recipientUsage.note(found.recipient.id, deps.clock.now().getTime());
    next();
  };
}

export const recipientAccess = (res: Response): RecipientAccess => res.locals.recipientAccess as RecipientAccess;
