// `meshguard token --sub alice`: mints a token with the configured HS256 secret (or the dev secret),
// for the demo and for operators. It cannot mint for RS256/ES256 deployments: their IdP does.
import jwt from 'jsonwebtoken';
import crypto from 'node:crypto';
import type { Config } from '../config';
import { loadVerifyKey } from '../auth/load-key';

export function mintToken(config: Config, sub: string, ttlSeconds = 3600): string {
  const key = loadVerifyKey(config);
  if ('remote' in key || key.algorithms[0] !== 'HS256' || typeof key.key !== 'string') {
    throw new Error('tokens for a public-key deployment are minted by its identity provider, not by meshguard');
  }
  return jwt.sign({ sub, jti: crypto.randomUUID() }, key.key, {
    algorithm: 'HS256',
    expiresIn: ttlSeconds,
    ...(config.jwt.issuer && { issuer: config.jwt.issuer }),
    ...(config.jwt.audience && { audience: config.jwt.audience }),
  });
}
