// Deterministic masking: a value becomes an HMAC token under a server key, so analysts can still
// count distinct values and join on them, while the token never equals or contains the original.
import crypto from 'node:crypto';

export type Masker = (value: unknown) => string | null;

export function createMasker(key: Buffer): Masker {
  return (value) => {
    if (value === null || value === undefined) return null;
    const digest = crypto.createHmac('sha256', key).update(String(value)).digest('base64url');
    return `tok_${digest.slice(0, 22)}`;
  };
}
