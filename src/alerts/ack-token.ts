/**
 * Signed acknowledge links (see common/signed-token: the claim is the alert id, signed
 * without a purpose prefix so links already sent keep working). Stateless, so any process
 * holding the secret can check a link; the alert row decides whether it was already used.
 */
import { signToken, verifyToken } from '../common/signed-token';

export type AckTokenCheck = { ok: true; alertId: number; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' };

const ALERT_ID = /^[1-9][0-9]{0,15}$/;

export function signAckToken(alertId: number, expiresAt: Date, secret: string): string {
  if (!Number.isSafeInteger(alertId) || alertId <= 0) throw new RangeError(`alertId must be a positive integer, got ${alertId}`);
  return signToken(String(alertId), expiresAt, secret, '');
}

/** Never throws on a bad token (only on an empty secret); a tampered id or expiry is 'invalid', never 'expired'. */
export function verifyAckToken(token: string, secret: string, now: Date): AckTokenCheck {
  const check = verifyToken(token, secret, now, '', ALERT_ID);
  if (!check.ok) return check;
  const alertId = Number(check.claim);
  return Number.isSafeInteger(alertId) ? { ok: true, alertId, expiresAt: check.expiresAt } : { ok: false, reason: 'invalid' };
}
