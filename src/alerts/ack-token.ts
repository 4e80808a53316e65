/**
 * Signed acknowledge links: token = base64url("<alertId>.<expiresEpochSeconds>") + "." +
 * base64url(HMAC-SHA256(secret, that encoded payload)). Stateless, so any process holding
 * the secret can check a link; the alert row decides whether it was already used.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type AckTokenCheck = { ok: true; alertId: number; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' };

/** Real tokens are ~60 characters; anything far longer is garbage and not worth hashing. */
const MAX_TOKEN_LENGTH = 256;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const PAYLOAD_SHAPE = /^([1-9][0-9]{0,15})\.([0-9]{1,12})$/;

function requireSecret(secret: string): void {
  // An empty key would make every token forgeable; that is a configuration bug, not bad input.
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('ack token secret must not be empty');
}

function mac(secret: string, encodedPayload: string): Buffer {
  return createHmac('sha256', secret).update(encodedPayload, 'utf8').digest();
}

export function signAckToken(alertId: number, expiresAt: Date, secret: string): string {
  requireSecret(secret);
  if (!Number.isSafeInteger(alertId) || alertId <= 0) throw new RangeError(`alertId must be a positive integer, got ${alertId}`);
  const ms = expiresAt instanceof Date ? expiresAt.getTime() : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('expiresAt must be a valid date after 1970');
  const payload = Buffer.from(`${alertId}.${Math.floor(ms / 1000)}`, 'utf8').toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * Never throws on a bad token (only on an empty secret). The signature is checked before the
 * payload is trusted, so a tampered id or expiry is 'invalid', never 'expired'.
 */
export function verifyAckToken(token: string, secret: string, now: Date): AckTokenCheck {
  requireSecret(secret);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) return invalid();
  const [payload, signature] = token.split('.') as [string, string];
  if (!signatureMatches(secret, payload, signature)) return invalid();
  const claims = decodePayload(payload);
  if (!claims) return invalid();
  if (now.getTime() >= claims.expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, ...claims };
}

const invalid = (): AckTokenCheck => ({ ok: false, reason: 'invalid' });

function signatureMatches(secret: string, payload: string, signature: string): boolean {
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  // timingSafeEqual throws on unequal lengths; the length of an HMAC is public anyway.
  if (given.length !== expected.length) return false;
  // Node decodes base64url leniently (stray trailing bits); only the canonical form is accepted.
  if (given.toString('base64url') !== signature) return false;
  return timingSafeEqual(given, expected);
}

function decodePayload(payload: string): { alertId: number; expiresAt: Date } | null {
  const match = PAYLOAD_SHAPE.exec(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!match) return null;
  const alertId = Number(match[1]);
  const expiresAt = new Date(Number(match[2]) * 1000);
  if (!Number.isSafeInteger(alertId) || Number.isNaN(expiresAt.getTime())) return null;
  return { alertId, expiresAt };
}
