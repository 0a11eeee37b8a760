// Masking: the remembered tokens are exactly the HMAC tokens, and the cache stays bounded.
import crypto from 'node:crypto';
import { MASK_CACHE_MAX, createMasker } from '../../src/policy/mask-value';

const key = crypto.randomBytes(32);
const direct = (v: unknown) => `tok_${crypto.createHmac('sha256', key).update(String(v)).digest('base64url').slice(0, 22)}`;

describe('createMasker', () => {
  it('gives the HMAC token, the same on a cache hit, and null for null', () => {
    const mask = createMasker(key);
    for (const v of ['a@example.com', 42, 'a@example.com', 42]) expect(mask(v)).toBe(direct(v));
    expect(mask(null)).toBeNull();
    expect(mask(undefined)).toBeNull();
    expect(mask('a@example.com')).not.toContain('example');
  });

  it('keeps giving the right tokens past the cache bound', () => {
    const mask = createMasker(key);
    for (let i = 0; i < MASK_CACHE_MAX + 50; i++) mask(`v${i}`);
    for (const i of [0, 1, MASK_CACHE_MAX, MASK_CACHE_MAX + 49]) expect(mask(`v${i}`)).toBe(direct(`v${i}`));
  });

  it('does not share tokens across keys', () => {
    expect(createMasker(crypto.randomBytes(32))('x')).not.toBe(createMasker(key)('x'));
  });
});
