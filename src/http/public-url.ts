// The gateway's URL as a partner reaches it: MESHGUARD_PUBLIC_URL, else the request's own scheme and
// Host (behind a proxy, set MESHGUARD_PUBLIC_URL). Used for profile endpoints and file URLs.
import type { Request } from 'express';
import type { Config } from '../config';

export const SHARING_PREFIX = '/delta-sharing';

export const publicUrl = (config: Config, req: Request): string => config.publicUrl ?? `${req.protocol}://${req.get('host')}`;

export const sharingEndpoint = (config: Config, req: Request): string => `${publicUrl(config, req)}${SHARING_PREFIX}`;
