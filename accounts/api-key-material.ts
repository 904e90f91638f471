import { hash } from 'node:crypto';
import { createRandomToken } from '../schema/db/ids.ts';

const keyPrefix = 'sk_live_';
/** sk_live_ followed by 40 base62 characters (~238 bits). */
const keyPattern = /^sk_live_[0-9A-Za-z]{40}$/;

export function createApiKeySecret(): string {
  return keyPrefix + createRandomToken(40);
}

export function isWellFormedApiKey(candidate: string): boolean {
  return keyPattern.test(candidate);
}

/** Keys carry enough entropy that a fast hash is safe; it keeps the auth path cheap. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** What may be shown of a key after creation: its first characters. */
export function displayPrefixOf(key: string): string {
  return `${key.slice(0, keyPrefix.length + 6)}…`;
}
