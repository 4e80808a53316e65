import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiKeysService } from '../auth/api-keys.service';
import { Principal } from '../auth/roles';
import { QUEUE_SESSION_COOKIE, QueueSessions } from './queue-sessions';

/** bull-board polls every few seconds; a session's key check is reused this long (a revoked key's session ends within it). */
const CACHE_MS = 5_000;
const CACHE_MAX = 1_000;

const UNAUTHORIZED = "Not signed in to the queue view: open it from the dashboard's Queues link as an admin.";
const FORBIDDEN = 'The queue view is for admin keys only.';

type Verdict = 'ok' | 'unauthorized' | 'forbidden';

/** The value of one cookie in a Cookie header (values are our own base64url tokens: no decoding). */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Guards /admin/queues, which is plain Express (bull-board) outside Nest's guards: an
 * `Authorization: Bearer <admin key>` header, or else the signed queue-session cookie whose
 * key still exists, is not revoked and is admin. Missing or invalid: 401; not admin: 403.
 */
@Injectable()
export class QueueViewAccess {
  private readonly cache = new Map<string, { principal: Promise<Principal | null>; until: number }>();

  constructor(
    private readonly keys: ApiKeysService,
    private readonly sessions: QueueSessions,
  ) {}

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      this.check(req).then((verdict) => (verdict === 'ok' ? next() : deny(res, verdict)), next);
    };
  }

  async check(req: Request, now = Date.now()): Promise<Verdict> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    // A key is checked as every API request checks it (remembered for auth.keyCacheSeconds).
    if (bearer) return this.verdict(await this.keys.authenticate(bearer, now));
    const token = readCookie(req.headers.cookie, QUEUE_SESSION_COOKIE);
    if (!token) return 'unauthorized';
    const session = await this.sessions.verify(token, new Date(now));
    if (!session.ok) return 'unauthorized';
    return this.verdict(await this.cached(`id:${session.keyId}`, now, () => this.keys.findActiveById(session.keyId)));
  }

  private verdict(principal: Principal | null): Verdict {
    if (!principal) return 'unauthorized';
    return principal.role === 'admin' ? 'ok' : 'forbidden';
  }

  private cached(key: string, now: number, load: () => Promise<Principal | null>): Promise<Principal | null> {
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    const principal = load();
    this.cache.set(key, { principal, until: now + CACHE_MS });
    // A failed lookup (the database away) is not remembered; the request itself answers 500.
    principal.catch(() => this.cache.delete(key));
    return principal;
  }
}

function deny(res: Response, verdict: 'unauthorized' | 'forbidden'): void {
  res
    .status(verdict === 'forbidden' ? 403 : 401)
    .type('text/plain')
    .set('Cache-Control', 'no-store')
    .send(verdict === 'forbidden' ? FORBIDDEN : UNAUTHORIZED);
}
