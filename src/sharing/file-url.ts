// Short-lived signed file URLs, served by meshguard itself (never a cloud store's pre-signed URL):
// the token names the share, the recipient, the table and the snapshot file, and when it expires,
// signed with HMAC-SHA256 under the data dir's share-url-key. A download checks the signature and the
// time here, then that the share and recipient are still active (delta-sharing-routes.ts).
import crypto from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { ensureSecretFile } from '../auth/load-key';
import { fail } from '../errors';

/** How long a file URL works: minutes, so a URL handed out stops soon even without a revoke. */
export const FILE_URL_TTL_MS = 5 * 60_000;

export const shareUrlKeyFile = (dataDir: string) => path.join(dataDir, 'share-url-key');
export const loadShareUrlKey = (dataDir: string): Buffer => ensureSecretFile(shareUrlKeyFile(dataDir), 32);

const Payload = z.strictObject({
  /** share id, recipient id, table id, snapshot file hash, expiry (epoch ms) */
  s: z.string().max(36),
  r: z.string().max(36),
  t: z.string().max(36),
  h: z.string().regex(/^[0-9a-f]{64}$/),
  e: z.number().int(),
});
export type FilePayload = z.infer<typeof Payload>;

const mac = (key: Buffer, body: string) => crypto.createHmac('sha256', key).update('mgf1.').update(body).digest();

export function signFileToken(key: Buffer, p: FilePayload): string {
  const body = Buffer.from(JSON.stringify(p)).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The payload of a token this gateway signed that has not expired, or 403 share_file_expired. */
export function openFileToken(key: Buffer, token: string, now: Date): FilePayload {
  const refused = () => fail('share_file_expired', 'this file URL is not valid (expired or altered); query the table again for a new one');
  if (token.length > 1024) throw refused();
  const [body, sig, ...rest] = token.split('.');
  if (!body || !sig || rest.length || !/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(sig)) throw refused();
  const given = Buffer.from(sig, 'base64url');
  const want = mac(key, body);
  if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) throw refused();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  const p = Payload.safeParse(parsed);
  if (!p.success || p.data.e <= now.getTime()) throw refused();
  return p.data;
}
