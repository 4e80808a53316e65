/**
 * The queue view's session cookie: token = base64url("<apiKeyId>.<expiresEpochSeconds>") +
 * "." + base64url(HMAC-SHA256(secret, "queue-session." + that encoded payload)). Stateless,
 * so any API process can check it; the key itself is looked up on use, so revoking the key
 * ends its sessions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type QueueSessionCheck = { ok: true; keyId: string; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' };

/** Real tokens are ~80 characters; anything far longer is garbage and not worth hashing. */
const MAX_TOKEN_LENGTH = 256;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const KEY_ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAYLOAD_SHAPE = /^([0-9a-fA-F-]{36})\.([0-9]{1,12})$/;
/** Binds the MAC to this use, so a value signed for anything else never passes as a session. */
const PURPOSE = 'queue-session.';

function mac(secret: string, encodedPayload: string): Buffer {
  // An empty key would make every token forgeable; that is a bug, not bad input.
  if (!secret) throw new Error('queue session secret must not be empty');
  return createHmac('sha256', secret).update(PURPOSE + encodedPayload, 'utf8').digest();
}

export function signQueueSession(keyId: string, expiresAt: Date, secret: string): string {
  if (!KEY_ID_SHAPE.test(keyId)) throw new RangeError(`keyId must be a key's uuid, got ${keyId}`);
  const ms = expiresAt.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('expiresAt must be a valid date after 1970');
  const payload = Buffer.from(`${keyId.toLowerCase()}.${Math.floor(ms / 1000)}`, 'utf8').toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** Never throws on a bad token. The signature is checked before the payload is trusted. */
export function verifyQueueSession(token: string, secret: string, now: Date): QueueSessionCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) return invalid();
  const [payload, signature] = token.split('.') as [string, string];
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  // Only the canonical encoding of the right length; timingSafeEqual needs equal lengths.
  if (given.length !== expected.length || given.toString('base64url') !== signature || !timingSafeEqual(given, expected)) return invalid();
  const match = PAYLOAD_SHAPE.exec(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!match || !KEY_ID_SHAPE.test(match[1] as string)) return invalid();
  const expiresAt = new Date(Number(match[2]) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, keyId: match[1] as string, expiresAt };
}

const invalid = (): QueueSessionCheck => ({ ok: false, reason: 'invalid' });
