/**
 * Stateless signed tokens: base64url("<claim>.<expiresEpochSeconds>") + "." +
 * base64url(HMAC-SHA256(secret, purpose + that encoded payload)). Any process holding the
 * secret can check one. The purpose binds a MAC to its use, so a value signed for one
 * thing never passes as another (acknowledge links have none: links already sent must
 * keep working).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenCheck = { ok: true; claim: string; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' };

/** Real tokens are well under 100 characters; anything far longer is garbage and not worth hashing. */
const MAX_TOKEN_LENGTH = 256;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function mac(secret: string, purpose: string, encodedPayload: string): Buffer {
  // An empty key would make every token forgeable; that is a configuration bug, not bad input.
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('token secret must not be empty');
  return createHmac('sha256', secret)
    .update(purpose + encodedPayload, 'utf8')
    .digest();
}

export function signToken(claim: string, expiresAt: Date, secret: string, purpose: string): string {
  const ms = expiresAt instanceof Date ? expiresAt.getTime() : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('expiresAt must be a valid date after 1970');
  const payload = Buffer.from(`${claim}.${Math.floor(ms / 1000)}`, 'utf8').toString('base64url');
  return `${payload}.${mac(secret, purpose, payload).toString('base64url')}`;
}

/**
 * Never throws on a bad token (only on an empty secret). The signature is checked before
 * the payload is trusted, so a tampered claim or expiry is 'invalid', never 'expired'.
 * `claim` is the shape the claim must have.
 */
export function verifyToken(token: string, secret: string, now: Date, purpose: string, claim: RegExp): TokenCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) return invalid();
  const [payload, signature] = token.split('.') as [string, string];
  const expected = mac(secret, purpose, payload);
  const given = Buffer.from(signature, 'base64url');
  // timingSafeEqual needs equal lengths (an HMAC's length is public anyway); Node decodes
  // base64url leniently (stray trailing bits), so only the canonical form is accepted.
  if (given.length !== expected.length || given.toString('base64url') !== signature || !timingSafeEqual(given, expected)) return invalid();
  const match = /^([^.]+)\.([0-9]{1,12})$/.exec(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!match || !claim.test(match[1] as string)) return invalid();
  const expiresAt = new Date(Number(match[2]) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claim: match[1] as string, expiresAt };
}

const invalid = (): TokenCheck => ({ ok: false, reason: 'invalid' });
