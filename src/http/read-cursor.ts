// Keyset cursors as opaque tokens: the payload (subject, dataset, query, last key, the grants that
// authorised the first page, issue time) is encrypted (AES-256-CTR, so a primary key the caller may
// not read in clear never shows) and signed (HMAC-SHA256 over version, IV and ciphertext: encrypt
// then MAC). Both keys derive from one secret file in the data dir (cursor-key, mode 0600), which
// every gateway sharing a state store must share. Any token that does not verify is 400 invalid_cursor.
import crypto from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { ensureSecretFile } from '../auth/load-key';
import { fail } from '../errors';

export const cursorKeyFile = (dataDir: string) => path.join(dataDir, 'cursor-key');

export interface CursorKeys {
  encrypt: Buffer;
  sign: Buffer;
}

/** Reads (creating it if missing) the data dir's cursor secret and derives its two keys. */
export function loadCursorKeys(dataDir: string): CursorKeys {
  const secret = ensureSecretFile(cursorKeyFile(dataDir), 32);
  const derive = (use: string) => Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), `meshguard cursor ${use}`, 32));
  return { encrypt: derive('encryption'), sign: derive('signature') };
}

const KeyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const CursorPayload = z
  .object({
    /** The subject the cursor was issued to. */
    sub: z.string(),
    /** The dataset, as domain.dataset. */
    ds: z.string(),
    /** The first page's query parameters (page_size included): each page re-parses and re-plans them. */
    q: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    /** The page size. */
    n: z.number().int().positive(),
    /** The last key read: the values of the order columns, the primary key last. */
    k: z.array(KeyValue),
    /** The grants that authorised the first page. */
    g: z.array(z.string()),
    /** When the first page was read (ms), and the number of the page this cursor reads (2 for the first cursor). */
    iat: z.number().int(),
    page: z.number().int().min(2),
    /** The token that read the first page: its id and issue time (s), so revoking it stops the cursor. */
    tid: z.string().optional(),
    tiat: z.number().optional(),
  })
  .strict();
export type CursorPayload = z.infer<typeof CursorPayload>;

const VERSION = Buffer.from('mgc1');
const IV_BYTES = 16;
const MAC_BYTES = 32;
/** Longer tokens are refused unread; a cursor must fit a URL well under the 16 KB request limit. */
export const MAX_CURSOR_CHARS = 8192;

const mac = (keys: CursorKeys, iv: Buffer, body: Buffer) => crypto.createHmac('sha256', keys.sign).update(VERSION).update(iv).update(body).digest();

export function sealCursor(keys: CursorKeys, payload: CursorPayload): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-ctr', keys.encrypt, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, mac(keys, iv, body)]).toString('base64url');
}

const invalid = (why: string, cause?: unknown) => fail('invalid_cursor', `the cursor is not one this gateway issued (${why}); start again without it`, {}, cause);

/** The payload of a token this gateway sealed, or 400 invalid_cursor (malformed, altered, or not ours). */
export function openCursor(keys: CursorKeys, token: unknown): CursorPayload {
  if (typeof token !== 'string') throw fail('invalid_cursor', 'cursor may be given once, as text');
  if (token.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid('malformed');
  const raw = Buffer.from(token, 'base64url');
  // Only the canonical spelling: a changed last character whose bits decoding drops is still a change.
  if (raw.length <= IV_BYTES + MAC_BYTES || raw.toString('base64url') !== token) throw invalid('malformed');
  const iv = raw.subarray(0, IV_BYTES);
  const body = raw.subarray(IV_BYTES, raw.length - MAC_BYTES);
  if (!crypto.timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), mac(keys, iv, body))) throw invalid('bad signature');
  const decipher = crypto.createDecipheriv('aes-256-ctr', keys.encrypt, iv);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'));
  } catch (e) {
    throw invalid('unreadable', e);
  }
  const p = CursorPayload.safeParse(parsed);
  if (!p.success) throw invalid('unexpected content');
  return p.data;
}
