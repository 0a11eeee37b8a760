// The key that verifies tokens, and the algorithm pinned to it: HS256 for a shared secret, RS256 or
// ES256 for a PEM public key; or an identity provider's published keys (auth/remote-keys.ts), whose
// algorithm each key's type pins. Outside production, with no key configured, a random dev secret is
// created once in the data dir (mode 0600) so `npm run token` can mint tokens for the demo.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Algorithm } from 'jsonwebtoken';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import { ensurePrivateDir, PRIVATE_FILE } from '../state/private-files';

export interface VerifyKey {
  key: string | crypto.KeyObject;
  algorithms: Algorithm[];
  /** Where the key came from, for the start-up log. */
  source: string;
}

/**
 * The same key, ready to verify with: a shared secret becomes a secret KeyObject once, at start-up.
 * Handed a string, jsonwebtoken first tries to parse it as a PEM public key (and throws) on every
 * verification; the CPU profile of the benchmark showed that failed parse as 13% of all gateway time.
 */
export function verifyingKey(key: VerifyKey): VerifyKey {
  return typeof key.key === 'string' ? { ...key, key: crypto.createSecretKey(Buffer.from(key.key, 'utf8')) } : key;
}

/** Keys published by an identity provider: a JWKS URL, or an OIDC issuer whose discovery names one. */
export interface RemoteKeys {
  remote: { jwksUrl: string } | { oidcIssuer: string };
  source: string;
}

export const devSecretFile = (dataDir: string) => path.join(dataDir, 'dev-jwt-secret');

/** Reads a secret file from the data dir, creating it with random bytes (mode 0600) if missing;
 *  an existing file is brought to 0600, its directory to 0700. */
export function ensureSecretFile(file: string, bytes: number): Buffer {
  ensurePrivateDir(path.dirname(file));
  try {
    fs.writeFileSync(file, crypto.randomBytes(bytes).toString('hex'), { mode: PRIVATE_FILE, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fs.chmodSync(file, PRIVATE_FILE);
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
}

export function loadVerifyKey(config: Config): VerifyKey | RemoteKeys {
  if (config.jwt.jwksUrl) return { remote: { jwksUrl: config.jwt.jwksUrl }, source: config.jwt.jwksUrl };
  if (config.jwt.oidcIssuer) return { remote: { oidcIssuer: config.jwt.oidcIssuer }, source: config.jwt.oidcIssuer };
  if (config.jwt.secret) return { key: config.jwt.secret, algorithms: ['HS256'], source: 'MESHGUARD_JWT_SECRET' };
  if (config.jwt.publicKeyFile) {
    let key: crypto.KeyObject;
    try {
      key = crypto.createPublicKey(fs.readFileSync(config.jwt.publicKeyFile));
    } catch (e) {
      throw new ConfigError(`MESHGUARD_JWT_PUBLIC_KEY_FILE: cannot read a PEM public key (${(e as Error).message.split('\n')[0]})`);
    }
    const type = key.asymmetricKeyType;
    if (type === 'rsa') return { key, algorithms: ['RS256'], source: config.jwt.publicKeyFile };
    if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, algorithms: ['ES256'], source: config.jwt.publicKeyFile };
    throw new ConfigError(`MESHGUARD_JWT_PUBLIC_KEY_FILE: an RSA or P-256 EC public key is required, got ${type}`);
  }
  if (config.production) throw new ConfigError('MESHGUARD_JWT_SECRET, MESHGUARD_JWT_PUBLIC_KEY_FILE, MESHGUARD_JWT_JWKS_URL or MESHGUARD_OIDC_ISSUER: required when NODE_ENV=production');
  const secret = ensureSecretFile(devSecretFile(config.dataDir), 32).toString('hex');
  return { key: secret, algorithms: ['HS256'], source: devSecretFile(config.dataDir) };
}
