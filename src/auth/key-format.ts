import { createHash, randomBytes } from 'node:crypto';

/**
 * The text of an API key: `tp_<prefix>_<secret>`, both parts lowercase
 * base32 (RFC 4648 alphabet: no padding, no "_", safe in headers, shells and
 * URLs). The prefix (5 random bytes, 8 characters) is public: it is the
 * lookup key and what lists, logs and revoke show. The secret (20 random
 * bytes, 32 characters: 160 bits, above the 128) is shown once and
 * stored only as its SHA-256.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const PREFIX_BYTES = 5;
const SECRET_BYTES = 20;

export const KEY_PATTERN = /^tp_([a-z2-7]{8})_([a-z2-7]{32})$/;
export const PREFIX_PATTERN = /^[a-z2-7]{8}$/;

/** Base32 of a whole number of 5-byte groups (our sizes are), 8 characters per group. */
function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export interface GeneratedKey {
  /** The full key, shown once. */
  key: string;
  prefix: string;
  /** Hex SHA-256 of the secret part: what is stored. */
  secretHash: string;
}

export function generateKey(): GeneratedKey {
  const prefix = base32(randomBytes(PREFIX_BYTES));
  const secret = base32(randomBytes(SECRET_BYTES));
  return { key: `tp_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret).toString('hex') };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** The parts of a presented key, or undefined when it does not have the form. */
export function splitKey(text: string): { prefix: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(text);
  return match ? { prefix: match[1]!, secret: match[2]! } : undefined;
}

/** Whether a bearer token is meant as an API key (so a malformed one is reported as such, not as "not the admin token"). */
export function looksLikeKey(text: string): boolean {
  return text.startsWith('tp_');
}
