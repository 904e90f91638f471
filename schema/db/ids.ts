import { randomBytes } from 'node:crypto';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random base62 string; 22 characters carry 131 bits. */
export function createRandomToken(length = 22): string {
  const bytes = randomBytes(length * 2);
  let token = '';
  for (const byte of bytes) {
    // 248 = 62 * 4: dropping bytes above it keeps every character equally likely.
    if (byte < 248) token += alphabet[byte % 62];
    if (token.length === length) return token;
  }
  return token + createRandomToken(length - token.length);
}

export function createId(prefix: 'proj' | 'key' | 'aiop' | 'sb' | 'wh' | 'whd' | 'evt' | 'sess'): string {
  return `${prefix}_${createRandomToken(20)}`;
}
