/**
 * The queue view's session cookie (see common/signed-token: the claim is the API key's id,
 * signed for the purpose "queue-session."). Stateless, so any API process can check it; the
 * key itself is looked up on use, so revoking the key ends its sessions.
 */
import { signToken, verifyToken } from '../common/signed-token';

export type QueueSessionCheck = { ok: true; keyId: string; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' };

export const KEY_ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Binds the MAC to this use, so a value signed for anything else never passes as a session. */
const PURPOSE = 'queue-session.';

export function signQueueSession(keyId: string, expiresAt: Date, secret: string): string {
  if (!KEY_ID_SHAPE.test(keyId)) throw new RangeError(`keyId must be a key's uuid, got ${keyId}`);
  return signToken(keyId.toLowerCase(), expiresAt, secret, PURPOSE);
}

/** Never throws on a bad token. The signature is checked before the payload is trusted. */
export function verifyQueueSession(token: string, secret: string, now: Date): QueueSessionCheck {
  const check = verifyToken(token, secret, now, PURPOSE, KEY_ID_SHAPE);
  return check.ok ? { ok: true, keyId: check.claim, expiresAt: check.expiresAt } : check;
}
