// A recipient's bearer token: 32 random bytes, shown once in the profile file; the state store keeps
// only its SHA-256 hash, which is compared in constant time after the lookup.
import crypto from 'node:crypto';

const PREFIX = 'mgs_';
const TOKEN = /^mgs_[A-Za-z0-9_-]{43}$/;

export function newRecipientToken(): { token: string; hash: string } {
  const token = `${PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

/** Could this text be a recipient token at all (anything else is refused before any lookup)? */
export const looksLikeToken = (text: string): boolean => TOKEN.test(text);

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
