import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signAckToken, verifyAckToken } from '../../src/alerts/ack-token';

const SECRET = 's'.repeat(40);
const now = new Date('2026-11-23T12:00:00Z');
const expiresAt = new Date('2026-11-30T12:00:00Z');
const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('ack tokens', () => {
  it('round-trips the alert id and expiry', () => {
    const token = signAckToken(123, expiresAt, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).toBe(`123.${expiresAt.getTime() / 1000}`);
    expect(verifyAckToken(token, SECRET, now)).toEqual({ ok: true, alertId: 123, expiresAt });
  });

  it('drops sub-second precision of the expiry', () => {
    const token = signAckToken(7, new Date('2026-11-30T12:00:00.999Z'), SECRET);
    expect(verifyAckToken(token, SECRET, now)).toEqual({ ok: true, alertId: 7, expiresAt });
  });

  it('is URL-safe without padding or escaping', () => {
    for (let id = 1; id < 200; id += 7) {
      const token = signAckToken(id, new Date(expiresAt.getTime() + id * 1000), SECRET);
      expect(token).not.toMatch(/[=+/]/);
      expect(encodeURIComponent(token)).toBe(token);
    }
  });

  it('rejects a tampered alert id or expiry as invalid', () => {
    const [payload, signature] = signAckToken(123, expiresAt, SECRET).split('.') as [string, string];
    expect(Buffer.from(payload, 'base64url').toString()).toBe(`123.${expiresAt.getTime() / 1000}`);
    expect(verifyAckToken(`${b64(`124.${expiresAt.getTime() / 1000}`)}.${signature}`, SECRET, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(verifyAckToken(`${b64(`123.${expiresAt.getTime() / 1000 + 86400}`)}.${signature}`, SECRET, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('rejects a tampered signature as invalid', () => {
    const token = signAckToken(123, expiresAt, SECRET);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    expect(verifyAckToken(`${token.slice(0, -2)}${last}${token.slice(-1)}`, SECRET, now)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyAckToken(token.slice(0, -1), SECRET, now)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyAckToken(`${token}A`, SECRET, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects a token signed with another secret', () => {
    expect(verifyAckToken(signAckToken(123, expiresAt, 'x'.repeat(40)), SECRET, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('reports a valid token past its expiry as expired', () => {
    const token = signAckToken(123, expiresAt, SECRET);
    expect(verifyAckToken(token, SECRET, new Date(expiresAt.getTime() - 1000)).ok).toBe(true);
    expect(verifyAckToken(token, SECRET, expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyAckToken(token, SECRET, new Date('2027-01-01T00:00:00Z'))).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects an expired token with a bad signature as invalid, not expired', () => {
    const [, signature] = signAckToken(123, expiresAt, SECRET).split('.') as [string, string];
    expect(verifyAckToken(`${b64('123.1000')}.${signature}`, SECRET, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects garbage as invalid without throwing', () => {
    const good = signAckToken(123, expiresAt, SECRET);
    const garbage = [
      '',
      '.',
      'abc',
      'no-dot-here',
      `${good}.extra`,
      '..',
      'a.',
      '.b',
      '!!!.???',
      'a b.c',
      'YQ==.YQ==',
      'é.é',
      'x'.repeat(10_000),
      `${good.replace('.', '%2E')}`,
    ];
    for (const token of garbage)
      expect(verifyAckToken(token, SECRET, now), JSON.stringify(token.slice(0, 40))).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyAckToken(undefined as unknown as string, SECRET, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects a correctly signed payload that is not "<id>.<seconds>"', () => {
    const forge = (raw: string) => {
      const payload = b64(raw);
      return `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url')}`;
    };
    expect(verifyAckToken(forge(`123.${expiresAt.getTime() / 1000}`), SECRET, now).ok).toBe(true);
    for (const raw of [
      '0.1795000000',
      '-1.1795000000',
      '1.5.1795000000',
      'abc.1795000000',
      '123',
      '123.',
      '123.1e12',
      ' 123.1795000000',
      '99999999999999999.1795000000',
    ]) {
      expect(verifyAckToken(forge(raw), SECRET, now), raw).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('refuses to sign bad input or use an empty secret', () => {
    expect(() => signAckToken(0, expiresAt, SECRET)).toThrow(RangeError);
    expect(() => signAckToken(1.5, expiresAt, SECRET)).toThrow(RangeError);
    expect(() => signAckToken(1, new Date('nope'), SECRET)).toThrow(RangeError);
    expect(() => signAckToken(1, expiresAt, '')).toThrow();
    expect(() => verifyAckToken('a.b', '', now)).toThrow();
  });
});
